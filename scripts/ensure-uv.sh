#!/usr/bin/env bash
# Prints the path of uv, bootstrapped once into ${MCPWATCH_CACHE:-~/.cache/mcpwatch}/uv with
# `python3 -m venv` + pip (under a lock, so parallel installs share one bootstrap). The venvs of
# LiteLLM and postgres-mcp are built with it (ensure-litellm.sh, ensure-postgres-mcp.sh).
set -euo pipefail
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
mkdir -p "$cache"
uv=$cache/uv/bin/uv
(
  flock 9
  if [ ! -x "$uv" ]; then
    command -v python3 >/dev/null || { echo "ensure-uv: python3 is not installed (needed to bootstrap uv)" >&2; exit 1; }
    echo "ensure-uv: bootstrapping uv into $cache/uv" >&2
    rm -rf "$cache/uv"
    python3 -m venv "$cache/uv" >&2 && "$cache/uv/bin/pip" install -q uv >&2
  fi
) 9>"$cache/.uv.lock" || { echo "ensure-uv: could not install uv with pip into $cache/uv (is PyPI reachable?)" >&2; exit 1; }
[ -x "$uv" ] || { echo "ensure-uv: uv is missing after bootstrap: $uv" >&2; exit 1; }
echo "$uv"
