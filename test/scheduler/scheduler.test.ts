import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config/parse.js';
import { PROBE_TABLE } from '../../src/probes/table.js';
import { ProbeCancelledError } from '../../src/probes/types.js';
import { type ProbeResult } from '../../src/probes/table.js';
import { runsOnRequest } from '../../src/config/fields.js';
import { phaseOf, Scheduler } from '../../src/scheduler/scheduler.js';
import { RunLimits } from '../../src/scheduler/run-limits.js';
import { RunTracker } from '../../src/scheduler/tracker.js';
import { Redactor } from '../../src/util/redact.js';
import { TestHttpServer } from '../support/http-server.js';
import { configOf, localTargetConfig } from '../support/runtime-config.js';
import { until } from '../support/until.js';

// A real local HTTP server stands in for the gateway: these tests are about time (overlap,
// timeouts, shutdown), which a server we can make slow or hang shows directly.

const logger = pino({ level: 'silent' });

const config = (server: TestHttpServer, probes: string, extra = ''): Config =>
  localTargetConfig(server.url, probes, extra);

function harness(
  cfg: Config,
  limit = 16,
  annotateFailure?: ConstructorParameters<typeof Scheduler>[0]['annotateFailure'],
) {
  const results: ProbeResult[] = [];
  const annotated: ProbeResult[] = [];
  const skips: string[] = [];
  const tracker = new RunTracker();
  const scheduler = new Scheduler({
    config: cfg,
    logger,
    redactor: new Redactor(),
    limiter: new RunLimits({ ...cfg, maxConcurrentProbes: limit }),
    tracker,
    onResult: (r) => results.push(r),
    onSkip: (p) => skips.push(p.name),
    ...(annotateFailure && { annotateFailure, onAnnotated: (r: ProbeResult) => annotated.push(r) }),
  });
  return { scheduler, tracker, results, skips, annotated };
}

type Harness = ReturnType<typeof harness>;

describe('scheduler', () => {
  let server: TestHttpServer;
  let h: Harness | undefined;

  beforeEach(async () => {
    server = await new TestHttpServer().start();
  });
  afterEach(async () => {
    await h?.scheduler.stop();
    h?.tracker.abortAll(new ProbeCancelledError('test over'));
    await h?.tracker.drain(2_000);
    h = undefined;
    vi.restoreAllMocks();
    await server.stop();
  });

  /** A harness of a scheduler of these probes (YAML list items) against the server, started. */
  function started(probes: string, limit?: number): Harness {
    const s = harness(config(server, probes), limit);
    s.scheduler.start();
    return s;
  }

  it('runs every probe right after start, then on its interval', async () => {
    const t0 = Date.now();
    h = started(
      '  - { name: a, type: http, target: t, every: 300ms }\n  - { name: b, type: http, target: t, every: 1h }\n',
    );
    await until(() => h!.results.length >= 2);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(h.results.map((r) => r.probe).sort()).toEqual(['a', 'b']);
    expect(h.results.every((r) => r.outcome === 'ok' && r.trigger === 'schedule')).toBe(true);
    await until(() => h!.results.filter((r) => r.probe === 'a').length >= 3, 3_000);
    expect(h.results.filter((r) => r.probe === 'b')).toHaveLength(1);
  });

  it('runs cron schedules with a seconds field', async () => {
    h = started('  - { name: c, type: http, target: t, schedule: "* * * * * *" }\n');
    await until(() => h!.results.length >= 3, 4_500);
    expect(h.results.every((r) => r.success)).toBe(true);
  });

  it('never overlaps two runs of one probe: a tick during a slow run is skipped and counted', async () => {
    server.mode = 'slow';
    server.slowMs = 900;
    h = started('  - { name: slow, type: http, target: t, every: 100ms, timeout: 5s }\n');
    await until(() => h!.results.length >= 2, 4_000);
    expect(server.maxInFlight).toBe(1);
    expect(h.skips.length).toBeGreaterThanOrEqual(5);
  });

  it('aborts a run at its timeout: the request is really cancelled, the reason names the phase', async () => {
    server.mode = 'hang';
    const t0 = Date.now();
    h = started('  - { name: hang, type: http, target: t, every: 1h, timeout: 300ms }\n');
    await until(() => h!.results.length === 1, 3_000);
    const r = h.results[0]!;
    expect(r.outcome).toBe('timeout');
    expect(r.reason).toBe('timeout after 300ms in http');
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(r.durationMs).toBeGreaterThanOrEqual(290);
    // The server sees the client go away: the abort reached the socket.
    await until(() => server.abandoned === 1, 2_000);
    expect(server.inFlight).toBe(0);
  });

  it('records a probe that throws as a failed run and keeps scheduling', async () => {
    let calls = 0;
    vi.spyOn(PROBE_TABLE.http, 'run').mockImplementation(async () => {
      calls++;
      if (calls === 1) throw new TypeError('cannot read properties of undefined');
      if (calls === 2) throw 'a string, not an Error';
      return { outcome: 'ok', reason: 'fine' };
    });
    h = started('  - { name: buggy, type: http, target: t, every: 100ms }\n');
    await until(() => h!.results.length >= 3, 3_000);
    expect(h.results.slice(0, 3).map((r) => [r.outcome, r.reason])).toEqual([
      ['internal_error', 'probe failed unexpectedly: cannot read properties of undefined'],
      ['internal_error', 'probe failed unexpectedly: a string, not an Error'],
      ['ok', 'fine'],
    ]);
  });

  it('a failed run is recorded at once, then annotated (the gateway log): runNow answers with the annotation; a success is not annotated; one that throws loses nothing', async () => {
    let n = 0;
    vi.spyOn(PROBE_TABLE.http, 'run').mockImplementation(async () =>
      ++n % 2 ? { outcome: 'http_error', reason: 'bad' } : { outcome: 'ok', reason: 'fine' },
    );
    const seen: string[] = [];
    let fail = false;
    let recordedFirst = false;
    h = harness(config(server, '  - { name: p, type: http, target: t, every: 1h }\n'), 16, async (r, probe) => {
      seen.push(`${probe.name}:${r.outcome}`);
      if (fail) throw new Error('annotation broke');
      await new Promise((res) => setTimeout(res, 50));
      // Recorded before the annotation is done, and no longer in flight: the cadence is the probe's.
      recordedFirst = h!.results.at(-1) === r && !h!.tracker.has('p');
      return { ...r, gatewayLog: { from: 'a', to: 'b', containers: ['litellm'], about: [], records: [] } };
    });
    const bad = await h.scheduler.runNow('p');
    expect(bad.gatewayLog?.containers).toEqual(['litellm']);
    expect(recordedFirst).toBe(true);
    expect(h.results.at(-1)?.gatewayLog).toBeUndefined();
    expect(h.annotated.map((r) => [r.startedAt, r.gatewayLog?.containers])).toEqual([[bad.startedAt, ['litellm']]]);
    const good = await h.scheduler.runNow('p');
    expect(good.gatewayLog).toBeUndefined();
    fail = true;
    const again = await h.scheduler.runNow('p');
    expect([again.outcome, again.gatewayLog]).toEqual(['http_error', undefined]);
    expect(h.results.map((r) => r.outcome)).toEqual(['http_error', 'ok', 'http_error']);
    expect(seen).toEqual(['p:http_error', 'p:http_error']);
    expect(h.annotated).toHaveLength(1);
  });

  it('stopping the scheduler cuts an annotation short (it gets the signal)', async () => {
    vi.spyOn(PROBE_TABLE.http, 'run').mockImplementation(async () => ({ outcome: 'http_error', reason: 'bad' }));
    h = harness(
      config(server, '  - { name: p, type: http, target: t, every: 1h }\n'),
      16,
      (r, _probe, signal) =>
        new Promise((res) =>
          signal.addEventListener('abort', () => res({ ...r, reason: 'cut short' }), { once: true }),
        ),
    );
    const pending = h.scheduler.runNow('p');
    await until(() => h!.results.length === 1, 2_000);
    await h.scheduler.stop();
    expect((await pending).reason).toBe('cut short');
  });

  it('ends the run on time even when a probe ignores the abort signal', async () => {
    vi.spyOn(PROBE_TABLE.http, 'run').mockImplementation(() => new Promise(() => undefined));
    h = started('  - { name: deaf, type: http, target: t, every: 1h, timeout: 200ms }\n');
    await until(() => h!.results.length === 1, 2_000);
    expect(h.results[0]).toMatchObject({ outcome: 'timeout', reason: 'timeout after 200ms' });
  });

  it('bounds the number of runs in flight across probes', async () => {
    server.mode = 'slow';
    server.slowMs = 400;
    const probes = [1, 2, 3, 4, 5, 6].map((i) => `  - { name: p${i}, type: http, target: t, every: 1h }\n`).join('');
    h = started(probes, 2);
    await until(() => h!.results.length === 6, 5_000);
    expect(server.maxInFlight).toBe(2);
    // The timeout clock starts when a run gets its slot: queued runs did not time out.
    expect(h.results.every((r) => r.success)).toBe(true);
  });

  it("a target's own maxConcurrentProbes: its runs one at a time, the other target's beside them", async () => {
    server.mode = 'slow';
    server.slowMs = 300;
    const cfg = configOf(
      `targets:\n  t: { url: "${server.url}", maxConcurrentProbes: 1 }\n  u: { url: "${server.url}" }\nprobes:\n` +
        ['t1', 't2', 't3', 'u1']
          .map((n) => `  - { name: ${n}, type: http, target: ${n[0]}, every: 1h, timeout: 1s }\n`)
          .join(''),
    );
    // Of all, 2: t's queued runs hold none of them, so u's run goes beside t's first.
    h = harness(cfg, 2);
    h.scheduler.start();
    await until(() => h!.results.length === 4, 5_000);
    expect(server.maxInFlight).toBe(2);
    expect(h.results.map((r) => r.probe).indexOf('u1')).toBeLessThan(2);
    // t's three one after another, each within its 1 s: the timeout starts when the run has its slots.
    expect(h.results.every((r) => r.success)).toBe(true);
  });

  it('runNow joins a run in flight instead of starting a second one', async () => {
    server.mode = 'slow';
    server.slowMs = 300;
    h = started('  - { name: a, type: http, target: t, every: 1h }\n');
    const [r1, r2] = await Promise.all([h.scheduler.runNow('a'), h.scheduler.runNow('a')]);
    expect(r1).toBe(r2);
    expect(server.requests).toBe(1);
    await expect(h.scheduler.runNow('nope')).rejects.toThrow('unknown probe "nope"');
  });

  it('request (/probe): a new run, then the same run within reuseWithinMs (recent), a new one after', async () => {
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    h = started('  - { name: a, type: http, target: t, every: 1h }\n');
    await until(() => h!.results.length === 1);
    const req = { reuseWithinMs: 10_000, withGatewayLog: true };
    const first = await h.scheduler.request('a', req);
    expect(first.reused).toBeUndefined();
    expect(first.result.trigger).toBe('manual');
    now += 9_999;
    const again = await h.scheduler.request('a', req);
    expect(again).toEqual({ result: first.result, reused: 'recent' });
    now += 1;
    const fresh = await h.scheduler.request('a', req);
    expect(fresh.reused).toBeUndefined();
    expect(fresh.result).not.toBe(first.result);
    expect(server.requests).toBe(3);
    await expect(h.scheduler.request('nope', req)).rejects.toThrow('unknown probe "nope"');
  });

  it('request joins a run in flight (scheduled or asked for) and says so', async () => {
    server.mode = 'slow';
    server.slowMs = 300;
    h = started('  - { name: a, type: http, target: t, every: 1h }\n');
    await until(() => server.inFlight === 1);
    const joined = await h.scheduler.request('a', { reuseWithinMs: 10_000, withGatewayLog: true });
    expect(joined).toMatchObject({ reused: 'in_flight', result: { trigger: 'schedule' } });
    // The first starts a run (a run asked for 0 ms ago is not reused), the second joins it.
    const [mine, theirs] = await Promise.all([
      h.scheduler.request('a', { reuseWithinMs: 0, withGatewayLog: true }),
      h.scheduler.request('a', { reuseWithinMs: 0, withGatewayLog: true }),
    ]);
    expect(mine.reused).toBeUndefined();
    expect(theirs).toEqual({ result: mine.result, reused: 'in_flight' });
    expect(server.requests).toBe(2);
  });

  it("request's timeoutMs shortens that run only, never lengthens it", async () => {
    server.mode = 'hang';
    h = harness(config(server, '  - { name: a, type: http, target: t, every: 1h, timeout: 1500ms }\n'));
    const t0 = Date.now();
    const short = await h.scheduler.request('a', { timeoutMs: 300, reuseWithinMs: 0, withGatewayLog: true });
    expect(short.result).toMatchObject({ outcome: 'timeout', reason: 'timeout after 300ms in http' });
    expect(Date.now() - t0).toBeLessThan(2_000);
    server.mode = 'ok';
    const long = await h.scheduler.request('a', { timeoutMs: 60_000, reuseWithinMs: 0, withGatewayLog: true });
    expect(long.result.outcome).toBe('ok');
    server.mode = 'hang';
    const own = h.scheduler.request('a', { timeoutMs: 60_000, reuseWithinMs: 0, withGatewayLog: true });
    await until(() => server.inFlight === 1);
    // The probe's own 1.5 s holds, not the 60 s asked for.
    expect((await own).result.reason).toBe('timeout after 1.5s in http');
  });

  it('request without withGatewayLog answers before the annotation; with it, after', async () => {
    vi.spyOn(PROBE_TABLE.http, 'run').mockImplementation(async () => ({ outcome: 'http_error', reason: 'bad' }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    h = harness(config(server, '  - { name: p, type: http, target: t, every: 1h }\n'), 16, async (r) => {
      await gate;
      return { ...r, reason: 'bad, with the log' };
    });
    const quick = await h.scheduler.request('p', { reuseWithinMs: 10_000, withGatewayLog: false });
    expect(quick.result.reason).toBe('bad');
    const slow = h.scheduler.request('p', { reuseWithinMs: 10_000, withGatewayLog: true });
    release();
    expect(await slow).toMatchObject({ reused: 'recent', result: { reason: 'bad, with the log' } });
  });

  it('nextRun: when the next scheduled run is due, while running', async () => {
    h = harness(config(server, '  - { name: a, type: http, target: t, every: 1h }\n'));
    expect(h.scheduler.nextRun('a')).toBeUndefined();
    h.scheduler.start();
    await until(() => h!.results.length === 1);
    const next = h.scheduler.nextRun('a')!;
    expect(next - Date.now()).toBeGreaterThan(3_500_000);
    expect(next - Date.now()).toBeLessThanOrEqual(3_600_000 + 10_000);
    expect(h.scheduler.nextRun('nope')).toBeUndefined();
  });

  it('on shutdown stops scheduling and aborts runs in flight without recording them', async () => {
    server.mode = 'hang';
    h = started('  - { name: a, type: http, target: t, every: 100ms, timeout: 30s }\n');
    await until(() => server.inFlight === 1);
    await h.scheduler.stop();
    h.tracker.abortAll(new ProbeCancelledError('shutting down'));
    expect(await h.tracker.drain(2_000)).toBe(true);
    await until(() => server.inFlight === 0, 2_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.results).toHaveLength(0);
    expect(server.requests).toBe(1);
  });

  it('schedule: on_request: never run by the scheduler (no next run, never stalled); request and runNow run it', async () => {
    h = started(
      '  - { name: asked, type: http, target: t, schedule: on_request }\n' +
        '  - { name: timed, type: http, target: t, every: 1h }\n',
    );
    expect(runsOnRequest(h.scheduler['slots'].get('asked')!.probe.scheduleSpec)).toBe(true);
    await until(() => h!.results.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.results.map((r) => r.probe)).toEqual(['timed']);
    expect(server.requests).toBe(1);
    expect(h.scheduler.nextRun('asked')).toBeUndefined();
    expect(h.scheduler.nextRun('timed')).toBeGreaterThan(Date.now());
    expect(h.scheduler.health(Date.now() + 10 * 3_600_000).stalled).toEqual(['timed']);
    const answer = await h.scheduler.request('asked', { reuseWithinMs: 10_000, withGatewayLog: false });
    expect([answer.result.probe, answer.result.trigger, answer.result.success]).toEqual(['asked', 'manual', true]);
    expect((await h.scheduler.runNow('asked')).probe).toBe('asked');
    expect(h.results.map((r) => r.probe)).toEqual(['timed', 'asked', 'asked']);
    // Still nothing of its own after those runs.
    await new Promise((r) => setTimeout(r, 500));
    expect(h.results).toHaveLength(3);
    expect(h.scheduler.nextRun('asked')).toBeUndefined();
  });

  it('reports probes whose tick is overdue as stalled', async () => {
    h = started('  - { name: a, type: http, target: t, every: 1s }\n');
    expect(h.scheduler.health().stalled).toEqual([]);
    expect(h.scheduler.health(Date.now() + 120_000).stalled).toEqual(['a']);
  });

  it('spreads probes with one interval over it: a stable phase per name, below the interval and 10 s', () => {
    const names = Array.from({ length: 500 }, (_, i) => `probe-${i}`);
    const phases = names.map((n) => phaseOf(n, 1_000));
    expect(phases.every((p) => p >= 0 && p < 1_000)).toBe(true);
    expect(names.map((n) => phaseOf(n, 1_000))).toEqual(phases);
    // 500 probes over 1 s: no 10 ms slot holds more than a handful of starts.
    const perSlot = new Map<number, number>();
    for (const p of phases) perSlot.set(Math.floor(p / 10), (perSlot.get(Math.floor(p / 10)) ?? 0) + 1);
    expect(Math.max(...perSlot.values())).toBeLessThan(20);
    expect(Math.max(...names.map((n) => phaseOf(n, 3_600_000)))).toBeLessThan(10_000);
  });
});
