#!/usr/bin/env bash
# Runs the unit tests and the process tests (the built CLI and agent as processes, the MCP
# conformance suite with `mcpwatch probe` as the client, both protocol eras against in-process SDK
# servers) on the Node the Docker image runs (26, from npm, cached: scripts/ensure-node.sh), beside
# `npm test` on this machine's Node. The tests that need Docker, LiteLLM or Prometheus run once, in
# `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
node=$(bash scripts/ensure-node.sh)
export PATH="$(dirname "$node"):$PATH"
echo "test-node26: $(node --version)" >&2
npx tsc -p tsconfig.json --noEmit
npx vitest run --exclude 'test/integration/**'
npx vitest run test/integration/agent-process.test.ts test/integration/cli.test.ts test/integration/mcp-server.test.ts test/integration/conformance.test.ts \
  test/integration/mcp-protocol-eras.test.ts test/integration/mcp-protocol-probes.test.ts
