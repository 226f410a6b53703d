#!/usr/bin/env bash
# ensure-python-mcp.sh [VERSION[@DATE]]: makes sure a venv with the official MCP Python SDK (PyPI `mcp`,
# default 2.3.0@2026-12-01) exists at ${MCPWATCH_CACHE:-~/.cache/mcpwatch}/venv-python-mcp-VERSION and prints
# the path of its `python` (only that, on stdout). The tests run test/support/python-mcp-server.py with it: the
# Python SDK's own server (MCPServer, streamable HTTP) as a target of the probes.
#
# Same shape as ensure-postgres-mcp.sh: idempotent (reused when bin/python and the marker .mcpwatch-ok exist and
# the marker records the same VERSION@DATE; a half-finished venv is wiped and rebuilt), one install at a time per
# version (flock), uv from the same cache (scripts/ensure-uv.sh), and fails loudly (non-zero exit, reason on
# stderr).
#
#  - Python: `mcp` 2.x needs >= 3.10; a 3.12+ is used, as for postgres-mcp (the system python3 here is 3.11): looked
#    for in $PYTHON_MCP_PYTHON, then pyenv's versions, then python3.12+ on PATH.
#  - @DATE resolves every dependency as of that day (uv --exclude-newer), so a given VERSION@DATE always installs
#    the same uvicorn/starlette/pydantic. 2.3.0 was uploaded in 2026-10; the date is when it was resolved here.
set -euo pipefail

die() {
  echo "ensure-python-mcp: $*" >&2
  exit 1
}

DEFAULT_SPEC=2.3.0@2026-12-01
MIN_PY_MINOR=12

spec=${1:-$DEFAULT_SPEC}
version=${spec%@*}
date=
[ "$spec" != "$version" ] && date=${spec#*@}
[[ $version =~ ^[0-9]+(\.[0-9]+)*([a-z0-9.]*)$ ]] || die "not a version: '$version' (usage: ensure-python-mcp.sh [VERSION[@DATE]], e.g. $DEFAULT_SPEC)"
[ -z "$date" ] || [[ $date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "not a date (YYYY-MM-DD): '$date'"
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
venv=$cache/venv-python-mcp-$version
marker=$venv/.mcpwatch-ok
exe=$venv/bin/python

ready() { [ -f "$marker" ] && [ -x "$exe" ] && grep -qxF "spec=$spec" "$marker"; }
if ready; then
  echo "$exe"
  exit 0
fi
mkdir -p "$cache" || die "cannot create $cache"

# A Python >= 3.12, found robustly; prints its path or nothing.
is_new_enough() {
  [ -n "$1" ] && [ -x "$1" ] && "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, $MIN_PY_MINOR) else 1)" >/dev/null 2>&1
}
find_python() {
  local c root v
  if [ -n "${PYTHON_MCP_PYTHON:-}" ]; then
    echo "$PYTHON_MCP_PYTHON"
    return 0
  fi
  # pyenv: its versions folder directly (works without pyenv's shims or shell init), lowest suitable version first,
  # CPython only (names like 3.12.1).
  root=$(pyenv root 2>/dev/null || true)
  for root in "$root" "${PYENV_ROOT:-}" "$HOME/.pyenv"; do
    [ -n "$root" ] && [ -d "$root/versions" ] || continue
    while read -r v; do
      c=$root/versions/$v/bin/python3
      is_new_enough "$c" && { echo "$c"; return; }
    done < <(ls -1 "$root/versions" | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -t. -k1,1n -k2,2n -k3,3n)
  done
  for c in python3.12 python3.13 python3.14 python3; do
    c=$(command -v "$c" 2>/dev/null) || continue
    is_new_enough "$c" && { echo "$c"; return; }
  done
  return 0
}

# One install per version at a time.
exec 8>"$cache/.venv-python-mcp-$version.lock"
flock -w 900 8 || die "another install of mcp $version still holds $cache/.venv-python-mcp-$version.lock after 15 min"
if ready; then
  echo "$exe"
  exit 0
fi

python=$(find_python) || true
if [ -n "${PYTHON_MCP_PYTHON:-}" ] && ! is_new_enough "$python"; then
  die "PYTHON_MCP_PYTHON=$PYTHON_MCP_PYTHON is not an executable Python >= 3.$MIN_PY_MINOR"
fi
[ -n "$python" ] || die "no Python >= 3.$MIN_PY_MINOR found. Looked at \$PYTHON_MCP_PYTHON, $(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")/versions/3.*/bin/python3 and python3.12/3.13/3.14/python3 on PATH (found: $(python3 --version 2>&1 || echo none)). Install one (e.g. 'pyenv install 3.12') or set PYTHON_MCP_PYTHON=/path/to/python3.12"
echo "ensure-python-mcp: using $python ($("$python" --version 2>&1))" >&2

# uv, bootstrapped once for every venv of the tests (scripts/ensure-uv.sh).
uv=$(bash "$(dirname "$0")/ensure-uv.sh") || die "no uv (see above)"

echo "ensure-python-mcp: installing mcp==$version${date:+ (dependencies as of $date)} into $venv" >&2
rm -rf "$venv"
# No managed-Python downloads: the interpreter is the one found above (nothing to download here).
if ! { UV_PYTHON_DOWNLOADS=never "$uv" venv -q --python "$python" "$venv" >&2 &&
  "$uv" pip install -q --python "$exe" ${date:+--exclude-newer "$date"} "mcp==$version" >&2; }; then
  rm -rf "$venv"
  die "FAILED to install mcp==$version (see above; is PyPI reachable? does the version exist${date:+ on $date}?)"
fi
# What the test server imports: MCPServer (2.x's name for FastMCP) and uvicorn, which serves its streamable HTTP.
check='from mcp.server.mcpserver import MCPServer; import uvicorn'
"$exe" -c "$check" >/dev/null 2>&1 || {
  err=$("$exe" -c "$check" 2>&1 | tail -5)
  rm -rf "$venv"
  die "mcp $version installed but '$check' fails: $err"
}
{
  echo "spec=$spec"
  echo "python=$python"
  "$exe" -c 'import importlib.metadata as m; [print(p + "=" + m.version(p)) for p in ("mcp", "mcp-types", "uvicorn", "starlette", "pydantic")]'
} >"$marker.tmp" && mv "$marker.tmp" "$marker"
echo "$exe"
