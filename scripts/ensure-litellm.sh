#!/usr/bin/env bash
# ensure-litellm.sh VERSION[@DATE]: makes sure a venv with litellm[proxy]==VERSION exists at
# ${MCPWATCH_CACHE:-~/.cache/mcpwatch}/venv-VERSION and prints its path (only that, on stdout).
#
# Idempotent: a venv is reused when it has bin/litellm AND the marker .mcpwatch-ok, which is written
# only after a successful install; a half-finished venv (killed install) is wiped and rebuilt.
# Fails loudly: non-zero exit, reason on stderr.
#
# Installs from PyPI with uv (bootstrapped once with `python3 -m venv` + pip into the cache)
# rather than plain pip, because uv can do two things pip cannot that real releases need here:
#  - @DATE (e.g. 1.77.1@2025-09-20) resolves every dependency as of that day (--exclude-newer).
#    An old release has loose pins and would otherwise get today's mcp/pydantic, which it never
#    ran with and which break it.
#  - --override: recent releases pin certifi to a version newer than some package indexes carry,
#    and pin companion packages that the index here does not serve; see overrides_for below, one
#    fixed set per version, so a given version always resolves the same way (no retry, no "newest").
# prisma is installed too, as LiteLLM's Docker image ships it: without it, recent releases answer
# a wrong key with 500 "No module named 'prisma'" instead of what a real deployment answers.
set -euo pipefail

die() {
  echo "ensure-litellm: $*" >&2
  exit 1
}

spec=${1:-}
[ -n "$spec" ] || die "usage: ensure-litellm.sh VERSION[@DATE]   (e.g. 1.77.1@2025-09-20)"
version=${spec%@*}
date=
[ "$spec" != "$version" ] && date=${spec#*@}
[[ $version =~ ^[0-9]+(\.[0-9]+)*([a-z0-9.]*)$ ]] || die "not a version: '$version'"
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
venv=$cache/venv-$version
marker=$venv/.mcpwatch-ok

ready() { [ -f "$marker" ] && [ -x "$venv/bin/litellm" ]; }
if ready; then
  echo "$venv"
  exit 0
fi
mkdir -p "$cache" || die "cannot create $cache"
command -v python3 >/dev/null || die "python3 is not installed"

# One install per version at a time (several versions may install in parallel).
exec 8>"$cache/.venv-$version.lock"
flock -w 900 8 || die "another install of $version still holds $cache/.venv-$version.lock after 15 min"
if ready; then
  echo "$venv"
  exit 0
fi

# uv, bootstrapped once for every venv of the tests (scripts/ensure-uv.sh).
uv=$(bash "$(dirname "$0")/ensure-uv.sh") || die "no uv (see above)"

override=$(mktemp)
log=$(mktemp)
trap 'rm -f "$override" "$log"' EXIT
# Overrides per version, one requirement a line (uv --override), each with why. A version that is
# not listed gets only the certifi line; add a case here when a new release pins something that is
# not installable, rather than loosening the install for every version.
overrides_for() {
  # Recent releases pin certifi newer than some package indexes carry.
  echo 'certifi>=2024.0.0'
  case $1 in
  1.109.1)
    # Pins litellm-proxy-extras==0.4.113 (only the prisma schema/migrations, unused without a
    # database), which the index no longer serves; 0.4.110 is what it ran with here since.
    echo 'litellm-proxy-extras==0.4.110'
    ;;
  1.110.2)
    # [proxy] needs litellm-proxy==1.110.2, which the index does not serve; the proxy code
    # (litellm/proxy, litellm_cli) ships inside the litellm wheel itself, so leave it out (a marker
    # that is never true drops the requirement).
    echo "litellm-proxy ; python_version < '0'"
    # Pins litellm-proxy-extras==0.4.114.post1 and litellm-enterprise==0.1.83.post1, neither served
    # here; take the newest that are (extras: database schema only; enterprise: unused hooks).
    echo 'litellm-proxy-extras==0.4.110'
    echo 'litellm-enterprise==0.1.83'
    ;;
  esac
}
overrides_for "$version" >"$override"

install() {
  rm -rf "$venv"
  "$uv" venv -q --python "$(command -v python3)" "$venv" >&2 &&
    "$uv" pip install -q --python "$venv/bin/python" --override "$override" \
      ${date:+--exclude-newer "$date"} "litellm[proxy]==$version" prisma 2>&1 | tee "$log" >&2
  return "${PIPESTATUS[0]}"
}

echo "ensure-litellm: installing litellm[proxy]==$version${date:+ (dependencies as of $date)} into $venv" \
  "with overrides: $(paste -sd '|' "$override" | sed 's/|/ | /g')" >&2
install || {
  rm -rf "$venv"
  hint="is PyPI reachable? does the version exist?"
  grep -qiE 'litellm-(proxy|enterprise)' "$log" &&
    hint="a package this release pins is not served here: add an override for $version in overrides_for"
  die "FAILED to install litellm[proxy]==$version (see above; $hint)"
}
[ -x "$venv/bin/litellm" ] || {
  rm -rf "$venv"
  die "the install finished but $venv/bin/litellm is missing"
}
LITELLM_LOCAL_MODEL_COST_MAP=True "$venv/bin/python" -c 'import litellm.proxy.proxy_server' >/dev/null 2>&1 || {
  rm -rf "$venv"
  die "litellm $version installed but 'import litellm.proxy.proxy_server' fails in $venv"
}
{
  echo "spec=$spec"
  echo "overrides=$(paste -sd '|' "$override")"
  "$venv/bin/python" -c 'import importlib.metadata as m; print("litellm=" + m.version("litellm")); print("litellm-proxy-extras=" + m.version("litellm-proxy-extras")); print("mcp=" + m.version("mcp"))'
} >"$marker.tmp" && mv "$marker.tmp" "$marker"
echo "$venv"
