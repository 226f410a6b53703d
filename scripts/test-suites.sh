#!/usr/bin/env bash
# The test files as `npm test` runs them: two at a time (most of the integration time is spent waiting on real
# components: LiteLLM starting, probe intervals, Keycloak; each test makes its own ports, container names and temp
# folders), then apart, one at a time, the files that take the Docker engine away from the others (logs-docker kills
# dockerd; faults stops and restarts the containers it follows).
set -euo pipefail
cd "$(dirname "$0")/.."
APART=(test/integration/logs-docker.test.ts test/integration/faults.test.ts)
exclude=()
for f in "${APART[@]}"; do exclude+=(--exclude "$f"); done
npx vitest run --fileParallelism --maxWorkers=2 "${exclude[@]}"
npx vitest run "${APART[@]}"
