import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/parse.js';
import { ProbeCancelledError } from '../../src/probes/types.js';
import { probeLogger, runProbe } from '../../src/scheduler/run.js';
import { Redactor } from '../../src/util/redact.js';
import { TestHttpServer } from '../support/http-server.js';
import { localTargetConfig } from '../support/runtime-config.js';
import { until } from '../support/until.js';

// One run of a probe, end to end, against a real local HTTP server standing in for the gateway.

const logger = pino({ level: 'silent' });

describe('runProbe', () => {
  let server: TestHttpServer;
  let config: Config;

  beforeEach(async () => {
    server = await new TestHttpServer().start();
    config = localTargetConfig(server.url, '  - { name: web, type: http, target: t, every: 1h, timeout: 300ms }\n');
  });
  afterEach(async () => {
    await server.stop();
  });

  const run = (trigger: 'manual' | 'schedule' = 'manual', cancel?: AbortSignal, probe = config.probes[0]!) =>
    runProbe(
      probe,
      { target: config.targets.t!, logger, redactor: new Redactor() },
      { trigger, ...(cancel && { cancel }) },
    );

  it('a run that succeeds: its result, with the step log of a run someone looks at', async () => {
    const h = run();
    const res = await h.result;
    await h.settled;
    expect(res).toMatchObject({
      probe: 'web',
      type: 'http',
      target: 't',
      outcome: 'ok',
      success: true,
      trigger: 'manual',
      startedAt: expect.any(Number),
      durationMs: expect.any(Number),
    });
    expect(res.phases).toHaveProperty('http');
    expect(res.steps.length).toBeGreaterThan(0);
    expect(server.requests).toBe(1);
  });

  it('a scheduled run keeps no step log', async () => {
    const res = await run('schedule').result;
    expect(res.success).toBe(true);
    expect(res.steps).toEqual([]);
  });

  it('a gateway that does not answer: a timeout naming the phase; the request is really cancelled', async () => {
    server.mode = 'hang';
    const t0 = Date.now();
    const h = run();
    const res = await h.result;
    expect(res).toMatchObject({ outcome: 'timeout', success: false, reason: 'timeout after 300ms in http' });
    expect(Date.now() - t0).toBeLessThan(1_500);
    await h.settled;
    await until(() => server.abandoned === 1, 2_000);
  });

  it('a run cancelled (shutdown, reload), also before it started: says so', async () => {
    server.mode = 'hang';
    const cancel = new AbortController();
    const h = run('manual', cancel.signal);
    await until(() => server.inFlight === 1, 2_000);
    cancel.abort(new ProbeCancelledError('shutting down'));
    expect(await h.result).toMatchObject({ outcome: 'timeout', reason: 'cancelled: shutting down' });
    const early = run('manual', AbortSignal.abort(new ProbeCancelledError('reloading')));
    expect(await early.result).toMatchObject({ outcome: 'timeout', reason: 'cancelled: reloading' });
  });

  it('a probe type this build does not have: an internal error, not a throw', async () => {
    const probe = { ...config.probes[0]!, type: 'nope' } as unknown as Config['probes'][number];
    const h = run('manual', undefined, probe);
    expect(await h.result).toMatchObject({
      outcome: 'internal_error',
      reason: 'probe type nope is not supported by this build',
    });
    await h.settled;
    expect(server.requests).toBe(0);
  });
});

describe('probeLogger', () => {
  it("binds the probe's name, type and target to its lines", () => {
    const lines: Array<Record<string, unknown>> = [];
    const base = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const probe = { name: 'web', type: 'http', target: 't' } as Config['probes'][number];
    probeLogger(base, probe).info('hello');
    expect(lines[0]).toMatchObject({ probe: 'web', type: 'http', target: 't', msg: 'hello' });
  });
});
