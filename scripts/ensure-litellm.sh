#!/usr/bin/env bash
# ensure-litellm.sh VERSION[@DATE]: makes sure a venv with litellm[proxy]==VERSION exists in the
# cache (${MCPWATCH_CACHE:-~/.cache/mcpwatch}/venv-VERSION) and prints its path. Reuses a finished
# venv; rebuilds a half-finished one. Installs with uv (from PyPI, into the cache): fast, and it can
# resolve dependencies as of DATE (--exclude-newer), which an old release needs: its loose pins
# otherwise pull today's packages (pydantic, mcp) that it was never run with and that break it.
set -euo pipefail
spec=${1:?usage: ensure-litellm.sh VERSION[@DATE]}
version=${spec%@*}
date=; [ "$spec" != "$version" ] && date=${spec#*@}
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
venv=$cache/venv-$version
if [ -f "$venv/.mcpwatch-ok" ] && [ -x "$venv/bin/litellm" ]; then
  echo "$venv"
  exit 0
fi
mkdir -p "$cache"

# uv in its own venv, bootstrapped once (under a lock: several versions install in parallel).
uv=$cache/uv/bin/uv
(
  flock 9
  if [ ! -x "$uv" ]; then
    python3 -m venv "$cache/uv" >&2
    "$cache/uv/bin/pip" install -q uv >&2
  fi
) 9>"$cache/.uv.lock"

# prisma: LiteLLM's Docker image ships it, and without it recent releases answer auth failures
# with 500 "No module named 'prisma'" instead of the 401 a real deployment gives.
# Recent litellm releases pin certifi to a version newer than some package indexes carry; the
# CA bundle's date does not matter for a proxy on loopback, so any recent certifi will do.
override=$cache/litellm-overrides.txt
echo 'certifi>=2024.0.0' >"$override"

echo "ensure-litellm: installing litellm[proxy]==$version into $venv" >&2
rm -rf "$venv"
if ! "$uv" venv -q --python "$(command -v python3)" "$venv" >&2 ||
  ! "$uv" pip install -q --python "$venv/bin/python" --override "$override" ${date:+--exclude-newer "$date"} "litellm[proxy]==$version" prisma >&2; then
  echo "ensure-litellm: FAILED to install litellm[proxy]==$version (is PyPI reachable?)" >&2
  rm -rf "$venv"
  exit 1
fi
touch "$venv/.mcpwatch-ok"
echo "$venv"
