import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgentWith, tempDir } from '../support/agent-proc.js';
import { ensureDocker, removeContainer, runContainer, uniqueName } from '../support/docker.js';
import { TestHttpServer } from '../support/http-server.js';

// The page at `/` in a real browser (Debian's chromium, headless) from a real agent with 500 http probes against a
// local server, 10 of them against a server that answers 401 quoting the key it got (as LiteLLM does), a catalog of
// the agent's own /mcp naming a server that is not there, and a followed container writing lines. The browser's DOM
// is read back (--dump-dom) and a screenshot written to the test's temp folder (--screenshot).

const KEY = 'sk-landing-SECRET-0123456789abcdef';
const TOKEN = 'tok-landing-page-0123456789';
const OK_PROBES = 490;
const FAILING = 10;

/** Debian's chromium, or a loud failure naming the package (scripts/setup-test-env.sh installs it). */
function chromium(): string {
  try {
    execFileSync('chromium', ['--version'], { stdio: 'ignore' });
    return 'chromium';
  } catch (err) {
    throw new Error(
      `cannot run chromium (Debian package chromium; scripts/setup-test-env.sh installs it): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Runs headless chromium on `url` with `args` (--dump-dom, --screenshot=…): its stdout. */
function browse(url: string, args: string[], profile: string): string {
  const r = spawnSync(
    chromium(),
    ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${profile}`, ...args, url],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** The rows of the section with this id, as the browser has them: the row's class and its cells' text. */
function rows(dom: string, id: string): Array<{ cls: string; cells: string[] }> {
  const from = dom.indexOf(`<section id="${id}">`);
  const section = dom.slice(from, dom.indexOf('</section>', from));
  return [...section.matchAll(/<tr class="([a-z]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
    cls: m[1]!,
    cells: [...m[2]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()),
  }));
}

describe('the page at / in a real browser', () => {
  let ok: TestHttpServer;
  let echo: TestHttpServer;
  let agent: AgentProcess;
  const container = uniqueName('landing-logs');
  const dir = tempDir('mcpwatch-landing-');
  let dom: string;

  beforeAll(async () => {
    chromium();
    ensureDocker();
    await runContainer({
      name: container,
      cmd: [
        'sh',
        '-c',
        'while true; do echo "INFO:     10.0.0.9:5000 - \\"GET /health HTTP/1.1\\" 200 OK"; sleep 1; done',
      ],
    });
    ok = await new TestHttpServer().start();
    echo = await new TestHttpServer().start();
    echo.mode = 'echo-auth';
    const probes = [
      ...Array.from(
        { length: OK_PROBES },
        (_, i) => `  - { name: ok-${String(i).padStart(3, '0')}, type: http, target: gw, every: 10m }`,
      ),
      ...Array.from({ length: FAILING }, (_, i) => `  - { name: bad-${i}, type: http, target: echo, every: 10m }`),
      '  - { name: self-catalog, type: mcp_catalog, target: self, servers: [ghost], every: 10m }',
    ].join('\n');
    agent = await startAgentWith(
      (port) => `targets:
  gw: { url: "${ok.url}", apiKey: "${KEY}" }
  echo: { url: "${echo.url}", apiKey: "${KEY}" }
  self: { url: "http://127.0.0.1:${port}", apiKey: "${TOKEN}" }
probes:
${probes}
logs:
  containers:
    - { name: ${container}, from: beginning }
mcpServer: { enabled: true, token: "${TOKEN}" }
`,
    );
    await agent.waitFor(
      async () => {
        const s = (await (await agent.get('/status')).json()) as { probes: Array<{ last?: unknown }> };
        return s.probes.every((p) => p.last !== undefined);
      },
      60_000,
      'every probe has run',
    );
    await agent.waitForTail(container);
    await agent.waitFor(
      async () => ((await agent.metric('mcpwatch_log_lines_total', { container })) ?? 0) >= 3,
      20_000,
      'log lines read',
    );
    dom = browse(`${agent.baseUrl}/`, ['--dump-dom'], join(dir, 'profile'));
  }, 180_000);
  afterAll(async () => {
    await agent?.stop();
    await ok?.stop();
    await echo?.stop();
    await removeContainer(container);
  });

  it('shows every probe, the failing ones first, each with its outcome, reason and run times', () => {
    const probes = rows(dom, 'probes');
    expect(probes).toHaveLength(OK_PROBES + FAILING + 1);
    // Failing first (in the config's order), then the others.
    expect(probes.slice(0, FAILING + 1).map((r) => [r.cls, r.cells[1]])).toEqual([
      ...Array.from({ length: FAILING }, (_, i) => ['fail', `bad-${i}`]),
      ['fail', 'self-catalog'],
    ]);
    expect(probes.slice(FAILING + 1).every((r) => r.cls === 'ok')).toBe(true);
    const bad = probes[0]!.cells;
    expect(bad.slice(0, 5)).toEqual(['FAIL', 'bad-0', 'http', 'echo', 'auth_rejected']);
    expect(bad[5]).toMatch(/401/);
    expect(bad[6]).toMatch(/^\d+s ago\s*never succeeded$/);
    expect(bad[7]).toMatch(/^in \d+m\d*s?$/);
    expect(dom).toContain('<title>mcpwatch: 11 probes failing</title>');
  });

  it('no key or token in it: what the gateway echoed is masked', () => {
    expect(dom).not.toContain(KEY);
    expect(dom).not.toContain('SECRET');
    expect(dom).not.toContain(TOKEN);
    expect(rows(dom, 'probes')[0]!.cells[5]).toContain('***');
  });

  it('the upstream servers of the catalog and the followed container with its lines', () => {
    expect(rows(dom, 'servers')[0]!.cells.slice(0, 2)).toEqual(['DOWN', 'ghost']);
    const logs = rows(dom, 'logs');
    expect(logs).toHaveLength(1);
    expect(logs[0]!.cells.slice(0, 3)).toEqual(['ok', container, 'following']);
    expect(Number(logs[0]!.cells[3])).toBeGreaterThanOrEqual(3);
  });

  it('links to /metrics, /status and each probe run with its steps, which answer', async () => {
    expect(dom).toContain('<a href="metrics">/metrics</a>');
    expect(dom).toContain('<a href="status">/status</a>');
    expect(dom).toContain('<a href="probe?name=bad-0&amp;debug=true"');
    for (const href of ['metrics', 'status', 'probe?name=bad-0&debug=true']) {
      const res = await fetch(new URL(href, `${agent.baseUrl}/`));
      expect(res.status, href).toBe(200);
    }
    const run = (await (await fetch(new URL('probe?name=bad-0&debug=true', `${agent.baseUrl}/`))).json()) as {
      steps: unknown[];
    };
    expect(run.steps.length).toBeGreaterThan(0);
  });

  it('renders: a screenshot of it in the test folder', () => {
    const shot = join(dir, 'landing.png');
    browse(`${agent.baseUrl}/`, [`--screenshot=${shot}`, '--window-size=1400,1600'], join(dir, 'profile'));
    expect(existsSync(shot)).toBe(true);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  }, 60_000);
});
