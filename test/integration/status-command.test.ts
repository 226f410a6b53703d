import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentSlot, freePort, runCli, type AgentProcess } from '../support/agent-proc.js';
import { TestHttpServer } from '../support/http-server.js';

// `mcpwatch status` (the built binary) against a real `mcpwatch run`: an http probe that succeeds, one to a closed
// port, one whose gateway echoes the key it was sent (the agent masks it; status never shows it); exit 0 all well,
// 1 something fails, 2 nothing listening. The agent's URL comes from its config's listen, read without the key the
// rest of the config needs (status runs without GW_KEY).

const KEY = 'sk-status-SECRET-8899aabbccddeeff0011';

describe('mcpwatch status against a running agent', () => {
  const slot = new AgentSlot();
  let gateway: TestHttpServer;
  let echo: TestHttpServer;
  let closedPort: number;

  beforeAll(async () => {
    gateway = await new TestHttpServer().start();
    echo = await new TestHttpServer().start();
    echo.mode = 'echo-auth';
    closedPort = await freePort();
  });
  afterEach(async () => {
    await slot.kill();
  });
  afterAll(async () => {
    await gateway.stop();
    await echo.stop();
  });

  const targets = (): string => `targets:
  gw: { url: "${gateway.url}", apiKey: "\${GW_KEY}" }
  echo: { url: "${echo.url}", apiKey: "\${GW_KEY}" }
  down: { url: "http://127.0.0.1:${closedPort}", timeout: 2s }
`;

  /** Until every probe of the agent has a result. */
  async function untilAllRan(agent: AgentProcess): Promise<void> {
    await agent.waitFor(
      async () => {
        const s = (await (await agent.get('/status')).json()) as { probes: Array<{ last?: unknown }> };
        return s.probes.every((p) => p.last !== undefined);
      },
      15_000,
      'every probe run once',
    );
  }

  it('all well: exit 0, the probe ok with its age; the URL from the config, no key needed', async () => {
    const agent = await slot.start(
      `${targets()}probes:\n  - { name: gw-up, type: http, target: gw, path: /health, every: 2s }\n`,
      { GW_KEY: KEY },
    );
    await untilAllRan(agent);
    const r = await runCli(['status', '--config', agent.configPath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^mcpwatch \\S+ at http://127\\.0\\.0\\.1:${agent.port}: up \\d+s, health ok$`),
    );
    expect(lines[1]).toBe('all well: 1 of 1 probe ok');
    expect(r.stdout).toMatch(/\n {2}ok {5}gw-up {2}http {2}ok {2}\d+s ago {2}200 OK\n/);
  });

  it('a probe failing: exit 1, it comes first with its reason; --json the same summary; no key anywhere', async () => {
    const agent = await slot.start(
      `${targets()}probes:
  - { name: gw-up, type: http, target: gw, path: /health, every: 2s }
  - { name: gw-down, type: http, target: down, path: /health, every: 2s }
  - { name: gw-echo, type: http, target: echo, path: /health, every: 2s }
`,
      { GW_KEY: KEY },
    );
    await untilAllRan(agent);
    const text = await runCli(['status', '--url', agent.baseUrl]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('PROBLEMS: 2 of 3 probes failing\n');
    const probes = text.stdout.slice(text.stdout.indexOf('\nProbes\n'));
    // Failing first, each with its reason on the next line; the ok one last.
    expect(probes).toMatch(
      /\n {2}FAIL {3}gw-down +http +connect_error +\d+s ago +never succeeded, \d+ of \d+ runs? failed\n/,
    );
    expect(probes).toMatch(new RegExp(`\\n {9}connection refused by 127\\.0\\.0\\.1:${closedPort}`));
    expect(probes.indexOf('gw-echo')).toBeLessThan(probes.indexOf('  ok     gw-up'));
    expect(probes).toMatch(/\n {2}FAIL {3}gw-echo +http +auth_rejected/);
    // What the echoing gateway answered is there (masked), so the key's absence below says something.
    expect(probes).toContain('Received API Key = ');

    const json = await runCli(['status', '--url', agent.baseUrl, '--json']);
    expect(json.code).toBe(1);
    const s = JSON.parse(json.stdout) as {
      ok: boolean;
      failing: string[];
      probes: Array<{ name: string; state: string; outcome: string; ageSeconds: number }>;
    };
    expect(s.ok).toBe(false);
    expect(s.failing).toEqual(['2 of 3 probes failing']);
    expect(s.probes.map((p) => [p.name, p.state, p.outcome])).toEqual([
      ['gw-down', 'fail', 'connect_error'],
      ['gw-echo', 'fail', 'auth_rejected'],
      ['gw-up', 'ok', 'ok'],
    ]);
    expect(s.probes.every((p) => p.ageSeconds >= 0 && p.ageSeconds < 30)).toBe(true);

    // The echoing gateway put the key in its answer: the agent masks it, and status shows only what the agent says.
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) expect(out).not.toContain(KEY);
  });

  it('nothing listening: exit 2, connection refused (the agent stopped; a port never used)', async () => {
    const agent = await slot.start(`${targets()}probes: []\n`, { GW_KEY: KEY });
    expect((await runCli(['status', '--config', agent.configPath])).code).toBe(0);
    await slot.kill();
    const stopped = await runCli(['status', '--config', agent.configPath]);
    expect(stopped.code).toBe(2);
    expect(stopped.stdout).toBe('');
    expect(stopped.stderr).toBe(
      `mcpwatch status: cannot read mcpwatch at http://127.0.0.1:${agent.port}: connection refused: nothing listens ` +
        `at 127.0.0.1:${agent.port} (is mcpwatch running, and is this its listen address?)\n`,
    );
    const port = await freePort();
    const json = await runCli(['status', '--url', `127.0.0.1:${port}`, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ url: `http://127.0.0.1:${port}`, reachable: false });
  });
});
