#!/usr/bin/env bash
# ensure-postgres-mcp.sh [VERSION[@DATE]]: makes sure a venv with crystaldba's Postgres MCP Pro
# (PyPI `postgres-mcp`, default 0.3.0@2025-09-20) exists at
# ${MCPWATCH_CACHE:-~/.cache/mcpwatch}/venv-postgres-mcp-VERSION and prints the path of its
# `postgres-mcp` executable (only that, on stdout).
#
# Same shape as ensure-litellm.sh: idempotent (reused when bin/postgres-mcp and the marker
# .mcpwatch-ok exist and the marker records the same VERSION@DATE; a half-finished venv is wiped
# and rebuilt), one install at a time per version (flock), uv from the same cache, and fails loudly
# (non-zero exit, reason on stderr).
#
# Why the extra options:
#  - postgres-mcp needs Python >= 3.12; the system python3 here is 3.11, so an interpreter is
#    looked for: $POSTGRES_MCP_PYTHON, then pyenv's versions, then python3.12+ on PATH.
#  - @DATE resolves every dependency as of that day (uv --exclude-newer). The default date is the
#    one the deployment's LiteLLM 1.77.1 is resolved at (test/support/litellm-versions.txt), so
#    postgres-mcp runs with the mcp/psycopg/pydantic of that time.
#  - 0.3.0 pins pglast==7.2.0, which the package index here does not carry (it has 7.20-7.22, all
#    uploaded in 2026-10, i.e. after any date of 2025): the pin is overridden with pglast>=7,<8 and
#    pglast alone is resolved as of PGLAST_DATE (--exclude-newer-package).
#  - mcp is held below 2 (mcp 2.x renamed FastMCP, which 0.3.0 imports), whatever the date.
set -euo pipefail

die() {
  echo "ensure-postgres-mcp: $*" >&2
  exit 1
}

DEFAULT_SPEC=0.3.0@2025-09-20
# pglast is resolved as of this day (the newest 7.x served here is 7.22, uploaded 2026-10-31).
PGLAST_DATE=2026-11-01
MIN_PY_MINOR=12

spec=${1:-$DEFAULT_SPEC}
version=${spec%@*}
date=
[ "$spec" != "$version" ] && date=${spec#*@}
[[ $version =~ ^[0-9]+(\.[0-9]+)*([a-z0-9.]*)$ ]] || die "not a version: '$version' (usage: ensure-postgres-mcp.sh [VERSION[@DATE]], e.g. $DEFAULT_SPEC)"
[ -z "$date" ] || [[ $date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "not a date (YYYY-MM-DD): '$date'"
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
venv=$cache/venv-postgres-mcp-$version
marker=$venv/.mcpwatch-ok
exe=$venv/bin/postgres-mcp

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
  if [ -n "${POSTGRES_MCP_PYTHON:-}" ]; then
    echo "$POSTGRES_MCP_PYTHON"
    return 0
  fi
  # pyenv: its versions folder directly (works without pyenv's shims or shell init), lowest
  # suitable version first (3.12 before 3.13), CPython only (names like 3.12.1).
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
exec 8>"$cache/.venv-postgres-mcp-$version.lock"
flock -w 900 8 || die "another install of postgres-mcp $version still holds $cache/.venv-postgres-mcp-$version.lock after 15 min"
if ready; then
  echo "$exe"
  exit 0
fi

python=$(find_python) || true
if [ -n "${POSTGRES_MCP_PYTHON:-}" ] && ! is_new_enough "$python"; then
  die "POSTGRES_MCP_PYTHON=$POSTGRES_MCP_PYTHON is not an executable Python >= 3.$MIN_PY_MINOR"
fi
[ -n "$python" ] || die "no Python >= 3.$MIN_PY_MINOR found (postgres-mcp needs one). Looked at \$POSTGRES_MCP_PYTHON, $(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")/versions/3.*/bin/python3 and python3.12/3.13/3.14/python3 on PATH (found: $(python3 --version 2>&1 || echo none)). Install one (e.g. 'pyenv install 3.12') or set POSTGRES_MCP_PYTHON=/path/to/python3.12"
echo "ensure-postgres-mcp: using $python ($("$python" --version 2>&1))" >&2

# uv, bootstrapped once for every venv of the tests (scripts/ensure-uv.sh).
uv=$(bash "$(dirname "$0")/ensure-uv.sh") || die "no uv (see above)"

override=$(mktemp)
trap 'rm -f "$override"' EXIT
printf '%s\n' 'pglast>=7,<8' 'mcp[cli]>=1.5,<2' >"$override"

echo "ensure-postgres-mcp: installing postgres-mcp==$version${date:+ (dependencies as of $date, pglast as of $PGLAST_DATE)} into $venv" >&2
rm -rf "$venv"
# No managed-Python downloads: the interpreter is the one found above (nothing to download here).
if ! { UV_PYTHON_DOWNLOADS=never "$uv" venv -q --python "$python" "$venv" >&2 &&
  "$uv" pip install -q --python "$venv/bin/python" --override "$override" \
    ${date:+--exclude-newer "$date" --exclude-newer-package "pglast=$PGLAST_DATE"} \
    "postgres-mcp==$version" >&2; }; then
  rm -rf "$venv"
  die "FAILED to install postgres-mcp==$version (see above; is PyPI reachable? does the version exist?)"
fi
[ -x "$exe" ] || {
  rm -rf "$venv"
  die "the install finished but $exe is missing"
}
"$venv/bin/python" -c 'import postgres_mcp.server' >/dev/null 2>&1 || {
  err=$("$venv/bin/python" -c 'import postgres_mcp.server' 2>&1 | tail -5)
  rm -rf "$venv"
  die "postgres-mcp $version installed but 'import postgres_mcp.server' fails: $err"
}
{
  echo "spec=$spec"
  echo "python=$python"
  "$venv/bin/python" -c 'import importlib.metadata as m; [print(p + "=" + m.version(p)) for p in ("postgres-mcp", "mcp", "pglast", "psycopg", "pydantic")]'
} >"$marker.tmp" && mv "$marker.tmp" "$marker"
echo "$exe"
