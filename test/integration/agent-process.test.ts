import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, freePort, tempDir, writeConfig } from '../support/agent-proc.js';
import { TestHttpServer } from '../support/http-server.js';

// The whole agent as a process (`mcpwatch run` from the built CLI) against a real local HTTP
// server that a test takes down and brings back.

const KEY = 'sk-agentproc-SECRET-0123456789abcdef';

function configYaml(serverUrl: string, port: number, probes: string, logLevel = 'info'): string {
  return `listen: 127.0.0.1:${port}
logLevel: ${logLevel}
stateDir: ./data
targets:
  gw:
    url: ${serverUrl}
    apiKey: \${GW_KEY}
probes:
${probes}`;
}

describe('mcpwatch run as a process', () => {
  let server: TestHttpServer;
  let agent: AgentProcess | undefined;
  let dir: string;

  beforeAll(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await agent?.stop('SIGKILL');
    agent = undefined;
    await server?.stop();
  });
  afterAll(() => undefined);

  /**
   * The agent on a free port, watching `server` with `probes`; its config written to `file` in `dir`. With
   * --web.enable-lifecycle: the reload tests POST /-/reload (without it, 403: test/integration/web-guard.test.ts).
   */
  async function startAgent(file: string, probes: string, logLevel?: string): Promise<AgentProcess> {
    const port = await freePort();
    const cfg = writeConfig(dir, configYaml(server.url, port, probes, logLevel), file);
    return AgentProcess.start(cfg, port, { GW_KEY: KEY }, ['--web.enable-lifecycle']);
  }

  it('sees the gateway go down and come back in mcp_probe_success', async () => {
    server = await new TestHttpServer().start();
    agent = await startAgent(
      'mcpwatch.yaml',
      '  - { name: live, type: http, target: gw, path: /health/liveliness, every: 200ms, timeout: 1s }\n',
    );
    const labels = { probe: 'live', target: 'gw', type: 'http' };
    await agent.waitFor(async () => (await agent!.metric('mcp_probe_success', labels)) === 1, 5_000, 'success 1');

    const serverPort = server.port;
    await server.stop();
    await agent.waitFor(
      async () => (await agent!.metric('mcp_probe_success', labels)) === 0,
      5_000,
      'success 0 after the server went down',
    );
    expect(await agent.metric('mcp_probe_runs_total', { ...labels, outcome: 'connect_error' })).toBeGreaterThan(0);
    // The gateway being down is a finding, not mcpwatch failing.
    const health = await agent.get('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', targets: { gw: { up: false, failing: ['live'] } } });

    await server.start(serverPort);
    await agent.waitFor(
      async () => (await agent!.metric('mcp_probe_success', labels)) === 1,
      5_000,
      'success 1 after the server came back',
    );
    expect(await agent.metric('mcp_probe_last_success_timestamp_seconds', labels)).toBeGreaterThan(
      Date.now() / 1000 - 10,
    );
    expect(await agent.stop('SIGTERM')).toBe(0);
  });

  it('keeps the running config when a reload (SIGHUP or POST /-/reload) finds the file broken', async () => {
    server = await new TestHttpServer().start();
    agent = await startAgent('reload.yaml', '  - { name: live, type: http, target: gw, every: 200ms }\n');
    const cfg = agent.configPath;
    const good = readFileSync(cfg, 'utf8');
    expect(await agent.metric('mcpwatch_config_last_reload_successful')).toBe(1);
    const labels = { probe: 'live', target: 'gw', type: 'http', outcome: 'ok' };
    await agent.waitFor(
      async () => ((await agent!.metric('mcp_probe_runs_total', labels)) ?? 0) > 0,
      5_000,
      'first run',
    );

    writeFileSync(
      cfg,
      good.replace('every: 200ms', 'every: 10x') + '  - { name: other, type: http, target: nowhere }\n',
    );
    agent.child.kill('SIGHUP');
    await agent.waitFor(
      async () => (await agent!.metric('mcpwatch_config_last_reload_successful')) === 0,
      5_000,
      'reload failure recorded',
    );
    // Still probing on the old config.
    const before = (await agent.metric('mcp_probe_runs_total', labels))!;
    await agent.waitFor(
      async () => (await agent!.metric('mcp_probe_runs_total', labels))! > before + 2,
      5_000,
      'old config still running',
    );
    const health = (await (await agent.get('/health')).json()) as {
      status: string;
      checks: { config: { problems: string[] } };
    };
    expect(health.status).toBe('degraded');
    expect(health.checks.config.problems).toEqual([
      'probes[0].every: invalid duration "10x" (expected a number with a unit: ms, s, m or h, e.g. 500ms, 10s, 5m)',
      'probes[1].target: unknown target "nowhere" (targets: gw)',
    ]);

    const bad = await agent.get('/-/reload', { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: unknown[] }).errors).toHaveLength(2);

    writeFileSync(cfg, good + '  - { name: second, type: http, target: gw, every: 1h }\n');
    const ok = await agent.get('/-/reload', { method: 'POST' });
    expect(ok.status).toBe(200);
    expect(await agent.metric('mcpwatch_config_last_reload_successful')).toBe(1);
    await agent.waitFor(
      async () => (await agent!.metric('mcp_probe_success', { probe: 'second' })) === 1,
      5_000,
      'new probe runs',
    );
    expect(((await (await agent.get('/health')).json()) as { status: string }).status).toBe('ok');
  });

  it('exits 0 promptly on SIGTERM, aborting a run in flight', async () => {
    server = await new TestHttpServer().start();
    server.mode = 'hang';
    agent = await startAgent('term.yaml', '  - { name: hang, type: http, target: gw, every: 1m, timeout: 5m }\n');
    await agent.waitFor(() => server.inFlight === 1, 5_000, 'run in flight');
    const t0 = Date.now();
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(server.inFlight).toBe(0);
  });

  it('SIGINT also exits 0', async () => {
    server = await new TestHttpServer().start();
    agent = await startAgent('int.yaml', '  - { name: a, type: http, target: gw, every: 1m }\n');
    expect(await agent.stop('SIGINT')).toBe(0);
  });

  it('never shows the configured key: not in its output, /status, /probe or /metrics', async () => {
    server = await new TestHttpServer().start();
    server.mode = 'echo-auth';
    const probes = `  - { name: echo, type: http, target: gw, every: 200ms, expect: { status: [200] } }
  - { name: echo-body, type: http, target: gw, every: 200ms, expect: { status: [401], contains: "nope" } }
`;
    agent = await startAgent('leak.yaml', probes, 'trace');
    await agent.waitFor(
      async () =>
        ((await agent!.metric('mcp_probe_runs_total', { probe: 'echo-body', outcome: 'expectation_failed' })) ?? 0) > 1,
      5_000,
      'runs',
    );
    // The server really received the key (so there was something to leak).
    expect(server.lastHeaders.authorization).toBe(`Bearer ${KEY}`);

    const status = await agent.text('/status');
    const probe = await agent.text('/probe?name=echo-body&debug=true');
    const metrics = await agent.text('/metrics');
    await agent.text('/metrics?x=sk-agentproc-SECRET-0123456789abcdef');
    await agent.stop('SIGTERM');
    for (const [where, text] of [
      ['stdout', agent.stdout],
      ['stderr', agent.stderr],
      ['/status', status],
      ['/probe', probe],
      ['/metrics', metrics],
    ] as const) {
      expect(text, where).not.toContain('SECRET');
    }
    // What it shows instead is useful: the header was sent with the Bearer prefix.
    expect(probe).toContain('Bearer sk-…cdef');
    expect(JSON.parse(status).probes[0].last.reason).toContain(
      '401 Unauthorized from gw (expected 200): the key was rejected',
    );
  });

  it('/probe runs a probe on demand; unknown names are a 404 listing the probes', async () => {
    server = await new TestHttpServer().start();
    agent = await startAgent('probe.yaml', '  - { name: a, type: http, target: gw, every: 1h }\n');
    // The probe's first scheduled run (at start) is over: a /probe during it would join it.
    await agent.waitFor(
      async () => {
        const status = (await (await agent!.get('/status')).json()) as { probes: Array<{ last?: unknown }> };
        return status.probes[0]?.last !== undefined;
      },
      10_000,
      'the first scheduled run',
    );
    const before = server.requests;
    const res = await agent.get('/probe?name=a');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { steps?: unknown };
    expect(body).toMatchObject({ probe: 'a', outcome: 'ok', success: true, trigger: 'manual' });
    expect(body.steps).toBeUndefined();
    expect(server.requests).toBe(before + 1);
    const debug = (await (await agent.get('/probe?name=a&debug=true')).json()) as { steps: { msg: string }[] };
    expect(debug.steps[0]!.msg).toBe(`GET ${server.url}/`);
    const unknown = await agent.get('/probe?name=zzz');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'unknown probe "zzz"', probes: ['a'] });
    expect((await agent.get('/probe')).status).toBe(400);
  });

  it('serves OpenMetrics when the scraper asks for it', async () => {
    server = await new TestHttpServer().start();
    agent = await startAgent('om.yaml', '  - { name: a, type: http, target: gw, every: 1h }\n');
    await agent.waitFor(async () => (await agent!.metric('mcp_probe_success', { probe: 'a' })) === 1, 5_000, 'run');
    const res = await agent.get('/metrics', {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
    });
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const text = await res.text();
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toContain('# TYPE mcp_probe_runs counter');
    expect(text).toContain('mcp_probe_runs_total{probe="a",target="gw",type="http",outcome="ok"} 1');
    const plain = await agent.get('/metrics');
    expect(plain.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await plain.text()).toContain('# TYPE mcp_probe_runs_total counter');
  });
});
