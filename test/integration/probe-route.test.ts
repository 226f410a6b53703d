import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AgentProcess, REPO, startAgentWith } from '../support/agent-proc.js';
import { TestHttpServer } from '../support/http-server.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';

// `/probe` as a blackbox_exporter: a real agent's probes against real local HTTP servers (one that answers, one
// that answers after 3 s, a closed port), scraped by a real Prometheus (Debian's) with the scrape config of
// docs/deployment.md, the text answer checked by promtool, and the scrape timeout header cutting a slow run short.

// What Prometheus 2.42 sends for a scrape.
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The scrape config of docs/deployment.md: its first YAML block with `metrics_path: /probe`. */
function documentedScrapeConfig(): Record<string, unknown> & { relabel_configs: Array<Record<string, unknown>> } {
  const doc = readFileSync(join(REPO, 'docs/deployment.md'), 'utf8');
  const block = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('/probe'))!;
  const cfg = parse(block) as { scrape_configs: Array<Record<string, unknown>> };
  return cfg.scrape_configs[0] as ReturnType<typeof documentedScrapeConfig>;
}

/** Polls `fn` until it gives a value. */
async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function promtoolCheckMetrics(text: string): { status: number | null; out: string } {
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (check.error) throw check.error;
  return { status: check.status, out: `${check.stdout}${check.stderr}` };
}

describe('/probe for a scrape, against a real agent and a real Prometheus', () => {
  let up: TestHttpServer;
  let slow: TestHttpServer;
  let asked: TestHttpServer;
  let agent: AgentProcess;
  let prom: Prometheus | undefined;
  const KEY = 'sk-probe-route-SECRET-0123456789abcdef';

  beforeAll(async () => {
    up = await new TestHttpServer().start();
    slow = await new TestHttpServer().start();
    slow.mode = 'slow';
    slow.slowMs = 3_000;
    asked = await new TestHttpServer().start();
    agent = await startAgentWith(`targets:
  up: { url: "${up.url}", apiKey: "${KEY}" }
  slow: { url: "${slow.url}", timeout: 5s }
  closed: { url: "http://127.0.0.1:1" }
  asked: { url: "${asked.url}" }
probes:
  - { name: up, type: http, target: up, every: 1h }
  - { name: down, type: http, target: closed, every: 1h }
  - { name: slow-a, type: http, target: slow, every: 1h }
  - { name: slow-b, type: http, target: slow, every: 1h }
  - { name: asked, type: http, target: asked, schedule: on_request }
`);
    // The runs at start are over: a /probe during one would join it.
    await agent.waitFor(
      async () => {
        const s = (await (await agent.get('/status')).json()) as { probes: Array<{ name: string; last?: unknown }> };
        return s.probes.filter((p) => p.name !== 'asked').every((p) => p.last !== undefined);
      },
      20_000,
      'the first runs',
    );
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await agent?.stop();
    await up?.stop();
    await slow?.stop();
    await asked?.stop();
  });

  it('schedule: on_request: never run by the agent itself; /probe runs it, and /status and the page say "on request"', async () => {
    type Status = {
      probes: Array<{ name: string; schedule: string; nextRunAt?: string; last?: { trigger: string }; runs: number }>;
    };
    const probeOf = async (): Promise<Status['probes'][number]> =>
      ((await (await agent.get('/status')).json()) as Status).probes.find((p) => p.name === 'asked')!;
    // The other probes have run (beforeAll); this one has not, and is not due.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(asked.requests).toBe(0);
    let p = await probeOf();
    expect(p).toMatchObject({ schedule: 'on request', runs: 0 });
    expect(p.nextRunAt).toBeUndefined();
    expect(p.last).toBeUndefined();
    expect(await (await agent.get('/metrics')).text()).not.toMatch(/^mcp_probe_success\{[^}]*probe="asked"/m);
    const page = await (await agent.get('/')).text();
    expect(page).toMatch(/<span class="name">asked<\/span>[\s\S]*?>on request<\/span>/);

    const res = await agent.get('/probe?name=asked', { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(await res.text()).toMatch(/^probe_success 1$/m);
    expect(asked.requests).toBe(1);
    p = await probeOf();
    expect(p).toMatchObject({ schedule: 'on request', runs: 1, last: { trigger: 'manual' } });
    expect(p.nextRunAt).toBeUndefined();
    // Its run is in /metrics as any run asked for; the page shows it as its last run, and still "on request".
    expect(await (await agent.get('/metrics')).text()).toMatch(/^mcp_probe_success\{[^}]*probe="asked"[^}]*\} 1$/m);
    const after = await (await agent.get('/')).text();
    expect(after).toMatch(/<span class="name">asked<\/span>[\s\S]*? ago<\/span>[\s\S]*?>on request<\/span>/);
    // And nothing more of its own.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(asked.requests).toBe(1);
  });

  it("answers the run's series in the text format for Prometheus's Accept, which promtool finds clean", async () => {
    for (const name of ['up', 'down']) {
      const res = await agent.get(`/probe?name=${name}`, { headers: { accept: PROMETHEUS_ACCEPT } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toMatch(new RegExp(`^probe_success ${name === 'up' ? 1 : 0}$`, 'm'));
      expect(text).toMatch(/^probe_duration_seconds \d+(\.\d+)?(e-\d+)?$/m);
      expect(text).not.toContain(KEY);
      if (name === 'up')
        expect(text).toMatch(/^mcp_probe_phase_duration_seconds\{probe="up",target="up",type="http",phase="http"\} /m);
      expect(promtoolCheckMetrics(text)).toEqual({ status: 0, out: '' });
    }
  });

  it('a second request within 10 s gets the same run, says so, and is still clean for promtool', async () => {
    const before = up.requests;
    const first = await agent.get('/probe?name=up&format=prometheus');
    // (the first test's run of `up` may still be within its 10 s: either way the second answers the first's run)
    const second = await agent.get('/probe?name=up&format=prometheus');
    expect(second.headers.get('x-mcpwatch-reused')).toBe('recent');
    const text = await second.text();
    expect(text.split('\n')[0]).toMatch(
      /^# the run asked for [\d.]+ s before this request answers it: \/probe runs a probe at most once per 10 s$/,
    );
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, out: '' });
    await first.text();
    expect(up.requests - before).toBeLessThanOrEqual(1);
    const json = (await (await agent.get('/probe?name=up')).json()) as { reused?: { run: string } };
    expect(json.reused?.run).toBe('recent');
  });

  it("X-Prometheus-Scrape-Timeout-Seconds shortens the run: 1.5 s leaves it 1 s, against a server's 3 s", async () => {
    const t0 = Date.now();
    const cut = await agent.get('/probe?name=slow-a', {
      headers: { accept: PROMETHEUS_ACCEPT, 'x-prometheus-scrape-timeout-seconds': '1.5' },
    });
    const text = await cut.text();
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(text).toMatch(/^probe_success 0$/m);
    const seconds = Number(/^probe_duration_seconds (\S+)$/m.exec(text)![1]);
    expect(seconds).toBeGreaterThanOrEqual(0.99);
    expect(seconds).toBeLessThan(1.4);
    const status = (await (await agent.get('/status')).json()) as {
      probes: Array<{ name: string; last?: { reason: string } }>;
    };
    expect(status.probes.find((p) => p.name === 'slow-a')!.last!.reason).toBe('timeout after 1s in http');
    // Without the header, the same kind of probe gets its own 5 s and the server's answer.
    const whole = (await (await agent.get('/probe?name=slow-b')).json()) as { outcome: string; durationMs: number };
    expect(whole.outcome).toBe('ok');
    expect(whole.durationMs).toBeGreaterThanOrEqual(2_900);
  }, 20_000);

  it("a real Prometheus scrapes /probe with docs/deployment.md's scrape config and sees probe_success", async () => {
    const job = documentedScrapeConfig();
    const address = job.relabel_configs.find((r) => r.target_label === '__address__')!;
    address.replacement = `127.0.0.1:${agent.port}`;
    // `asked` (schedule: on_request) among them: Prometheus is what runs it.
    const askedBefore = asked.requests;
    job.static_configs = [{ targets: ['up', 'down', 'asked'] }];
    job.scrape_interval = '2s';
    job.scrape_timeout = '2s';
    prom = await startPrometheus({ targets: [], scrapeConfigs: [job] });
    const jobName = job.job_name as string;
    const success = await poll(
      async () => {
        const r = await prom!.query(`probe_success{job="${jobName}"}`);
        return r.length === 3 ? r : undefined;
      },
      30_000,
      'probe_success of the three probes',
    );
    expect(Object.fromEntries(success.map((s) => [s.metric.instance, s.value[1]]))).toEqual({
      up: '1',
      down: '0',
      asked: '1',
    });
    expect(asked.requests).toBeGreaterThan(askedBefore);
    // The run's own series come with it, under the same job, and the scrapes themselves are up.
    const phases = await prom.query(`mcp_probe_phase_duration_seconds{job="${jobName}", probe="up"}`);
    expect(phases.length).toBeGreaterThan(0);
    const upSeries = await prom.query(`up{job="${jobName}"}`);
    expect(upSeries.map((s) => s.value[1])).toEqual(['1', '1', '1']);
  }, 60_000);
});
