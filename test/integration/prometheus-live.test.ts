import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, REPO, startAgentWith, tempDir } from '../support/agent-proc.js';
import { TestHttpServer } from '../support/http-server.js';
import { ensureDocker, removeContainer, runContainer, uniqueName } from '../support/docker.js';
import { startEraServer, type EraServer } from '../support/era-servers.js';
import { startKeycloak, type Keycloak } from '../support/keycloak.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';
import { makeCa, makeCert } from '../support/test-certs.js';

// A real Prometheus scrapes a running mcpwatch (over OpenMetrics, as Prometheus asks for it)
// and evaluates the shipped alert rules (their `for:` shortened to seconds). The gateway is a
// local HTTP server that the test takes down; mcpwatch's own /mcp endpoint stands in for an MCP
// gateway for the catalog and auth guard probes; a container replaying LiteLLM log lines feeds the
// log panels. For the panels of the rest: an https server with a certificate made by openssl (TLS expiry), a real
// Keycloak issuing the token of a target behind SSO (the OAuth token), a Codex entry with a finding (client
// findings), a catalog naming a server that is not there (per-server state), and a target with `discover` whose
// server list is an MCP SDK server's answering LiteLLM's `GET /v1/mcp/server` (era-servers.ts: discovered servers).

const TOKEN = 'tok-prometheus-test-0123456789';

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('alerts and dashboard against a real Prometheus', () => {
  let gw: TestHttpServer;
  let agent: AgentProcess;
  let prom: Prometheus;
  let kc: Keycloak;
  let tls: HttpsServer;
  let listing: EraServer;
  const container = uniqueName('prom-litellm');

  beforeAll(async () => {
    ensureDocker();
    await runContainer({
      name: container,
      cmd: [
        'sh',
        '-c',
        [
          'while true; do',
          '  echo "10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - Malformed API Key passed in. Ensure Key has \\`Bearer \\` prefix." >&2',
          '  echo "Requester IP Address:10.0.0.9" >&2',
          '  echo "INFO:     10.0.0.9:5000 - \\"POST /mcp/ HTTP/1.1\\" 401 Unauthorized"',
          '  echo "10:00:00 - LiteLLM:WARNING: mcp_server_manager.py:557 - Error listing tools from mcp_pg: ConnectError" >&2',
          '  sleep 1',
          'done',
        ].join('\n'),
      ],
    });
    gw = await new TestHttpServer().start();
    listing = await startEraServer('dual', {
      gatewayRoutes: [
        { id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'alpha', status: 'healthy', listsTools: true },
        { id: 'a1b2c3d4-0000-4000-8000-000000000002', name: 'beta', status: 'healthy', listsTools: true },
      ],
    });
    kc = await startKeycloak();
    const ca = makeCa('mcpwatch prometheus-live CA', 30);
    const leaf = makeCert(ca, 'gw-tls.test', 20);
    tls = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    const dir = tempDir();
    const codex = join(dir, 'config.toml');
    const secret = kc.clients.secret;
    agent = await startAgentWith((port) => {
      // A Codex entry without x-mcp-servers: a finding to count.
      writeFileSync(codex, `[mcp_servers.self]\nurl = "http://127.0.0.1:${port}/mcp"\nbearer_token_env_var = "X"\n`);
      return `targets:
  gw: { url: "${gw.url}", apiKey: sk-prom-test-0123456789abcdef }
  self: { url: "http://127.0.0.1:${port}", apiKey: "${TOKEN}", mcpPath: /mcp }
  gw-tls: { url: "https://127.0.0.1:${(tls.address() as AddressInfo).port}", tls: { caFile: "${ca.certFile}" } }
  sso: { url: "http://127.0.0.1:${port}", apiKey: "${TOKEN}", apiKeyHeader: x-litellm-api-key, oauth2: { clientId: ${secret.clientId}, clientSecret: "${secret.clientSecret}", tokenUrl: "${kc.tokenUrl}" } }
  listing:
    url: "${listing.url}"
    apiKey: sk-prom-listing-0123456789abcdef
    discover: { every: 5s, probes: [{ type: mcp_catalog, every: 2s }] }
probes:
  - { name: gw-live, type: http, target: gw, path: /health/liveliness, every: 250ms, timeout: 1s }
  - { name: self-catalog, type: mcp_catalog, target: self, every: 1s, expect: { tools: [get_health, not_a_tool] } }
  - { name: self-guard, type: auth_guard, target: self, every: 2s }
  - { name: self-servers, type: mcp_catalog, target: self, every: 2s, servers: [ghost] }
  - { name: tls-live, type: http, target: gw-tls, every: 2s }
  - { name: sso-live, type: http, target: sso, path: /health, every: 2s }
  - { name: codex, type: client_config, target: self, file: "${codex}", server: self, live: false, every: 2s }
logs:
  containers:
    - { name: ${container}, from: beginning }
mcpServer: { enabled: true, token: "${TOKEN}" }
`;
    });
    prom = await startPrometheus({ targets: [`127.0.0.1:${agent.port}`], forSeconds: 3 });
  }, 240_000);
  afterAll(async () => {
    await prom?.stop();
    await agent?.stop();
    await gw?.stop();
    await listing?.stop();
    tls?.close();
    await kc?.cleanup();
    await removeContainer(container);
  });

  it('scrapes mcpwatch (OpenMetrics) and sees the probes succeed', async () => {
    await until('up == 1', 20_000, async () =>
      (await prom.query('up{job="mcpwatch"}'))[0]?.value[1] === '1' ? true : undefined,
    );
    await until('gw-live success', 20_000, async () =>
      (await prom.query('mcp_probe_success{probe="gw-live"}'))[0]?.value[1] === '1' ? true : undefined,
    );
    // Counters arrive with their _total names through the OpenMetrics conversion.
    expect((await prom.query('mcp_probe_runs_total{probe="gw-live",outcome="ok"}')).length).toBe(1);
  }, 60_000);

  it('the probe alert goes pending, then firing, when the gateway goes down', async () => {
    await gw.stop();
    const pending = await until('MCPProbeFailing pending', 30_000, async () =>
      (await prom.alerts()).find(
        (a) => a.labels.alertname === 'MCPProbeFailing' && a.labels.probe === 'gw-live' && a.state === 'pending',
      ),
    );
    expect(pending.labels).toMatchObject({ target: 'gw', type: 'http', severity: 'warning' });
    await until('MCPProbeFailing firing', 30_000, async () =>
      (await prom.alerts()).find(
        (a) => a.labels.alertname === 'MCPProbeFailing' && a.labels.probe === 'gw-live' && a.state === 'firing',
      ),
    );
    // The expected tool that is not there fires too; auth is enforced, so that alert stays quiet.
    await until('MCPExpectedToolMissing firing', 30_000, async () =>
      (await prom.alerts()).find(
        (a) =>
          a.labels.alertname === 'MCPExpectedToolMissing' && a.labels.tool === 'not_a_tool' && a.state === 'firing',
      ),
    );
    expect((await prom.alerts()).filter((a) => a.labels.alertname === 'MCPGatewayAuthNotEnforced')).toEqual([]);
    expect(await prom.query('mcp_auth_enforced{probe="self-guard"} == 1')).toHaveLength(3);
  }, 90_000);

  it('every dashboard query returns data', async () => {
    const dash = JSON.parse(readFileSync(`${REPO}/config/grafana/dashboards/mcpwatch.json`, 'utf8')) as {
      panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ name: string; definition?: string }> };
    };
    const fill = (expr: string): string =>
      expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '5m')
        .replaceAll('$job', 'mcpwatch')
        .replaceAll('$target', '.*')
        .replaceAll('$container', '.*');
    // The discovered servers' panel: the target `listing`'s two servers, read from its server list.
    await until('mcp_discovery_server_info', 30_000, async () =>
      (await prom.query('mcp_discovery_server_info{target="listing"}')).length === 2 ? true : undefined,
    );
    const empty: string[] = [];
    for (const panel of dash.panels.filter((p) => p.type !== 'row')) {
      for (const t of panel.targets ?? []) {
        const result = await prom.query(fill(t.expr));
        if (result.length === 0) empty.push(`${panel.title}: ${t.expr}`);
      }
    }
    expect(empty).toEqual([]);
    // The template variables resolve too.
    for (const v of dash.templating.list.filter((x) => x.definition)) {
      const m = /label_values\(([^,]+), (\w+)\)/.exec(v.definition!)!;
      const res = await fetch(`${prom.url}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(fill(m[1]!))}`);
      expect(((await res.json()) as { data: string[] }).data.length, v.name).toBeGreaterThan(0);
    }
  }, 60_000);

  it('the text exposition passes promtool check metrics, with every kind of series present', async () => {
    const res = await fetch(`${agent.baseUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    // What promtool reads is the whole of it: probe, log, self and process metrics.
    for (const name of [
      'mcp_probe_runs_total',
      'mcp_probe_duration_seconds_bucket',
      'mcp_catalog_tools',
      'mcpwatch_log_matches_total',
      'process_cpu_seconds_total',
      'nodejs_active_handles',
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
    }
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (check.error) throw check.error;
    expect({ status: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, out: '' });
  }, 30_000);
});
