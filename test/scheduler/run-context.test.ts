import { pino } from 'pino';
import { Client, Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/parse.js';
import { createPhaseClock } from '../../src/probes/net/phases.js';
import type { TokenSource } from '../../src/probes/oauth/token-source.js';
import { runContext, type RunDeps, type RunSetup } from '../../src/scheduler/run-context.js';
import { Redactor } from '../../src/util/redact.js';
import { TestHttpServer } from '../support/http-server.js';
import { localTargetConfig } from '../support/runtime-config.js';

// A probe's context for one run, against a real local HTTP server: its connections, its step log.

describe('runContext', () => {
  let server: TestHttpServer;
  let config: Config;
  const debug: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void debug.push(JSON.parse(l).msg) });

  beforeAll(async () => {
    server = await new TestHttpServer().start();
    config = localTargetConfig(server.url, '  - { name: p, type: http, target: t, every: 1h, timeout: 5s }\n');
  });
  afterAll(async () => {
    await server.stop();
  });

  function context(setup: Partial<RunSetup> = {}, deps: Partial<RunDeps> = {}) {
    const signal = new AbortController().signal;
    const base: RunSetup = {
      signal,
      phases: createPhaseClock(),
      logger,
      t0: performance.now(),
      keepSteps: true,
      freshConnection: true,
    };
    const d: RunDeps = { target: config.targets.t!, logger, redactor: new Redactor(), ...deps };
    return runContext(config.probes[0]!, d, { ...base, ...setup });
  }

  it('gives the probe its signal, timeout, target, clock and an empty memory unless it has one', () => {
    const signal = new AbortController().signal;
    const phases = createPhaseClock();
    const { ctx } = context({ signal, phases });
    expect(ctx).toMatchObject({ signal, phases, timeoutMs: 5_000, target: config.targets.t, memory: {} });
    expect(ctx).not.toHaveProperty('guard');
    expect(ctx).not.toHaveProperty('oauth');
    const memory = { catalog: { tools: ['x'] } };
    expect(context({}, { memory }).ctx.memory).toBe(memory);
  });

  it('keeps the step log, timed from the start and at most 200 steps; every step goes to the debug log', () => {
    debug.length = 0;
    const { ctx, steps } = context({ t0: performance.now() - 1_000 });
    ctx.step('first', { a: 1 });
    for (let i = 0; i < 300; i++) ctx.step(`step ${i}`);
    expect(steps).toHaveLength(200);
    expect(steps[0]).toEqual({ t: expect.any(Number), msg: 'first', data: { a: 1 } });
    expect(steps[0]!.t).toBeGreaterThanOrEqual(1_000);
    expect(debug).toHaveLength(301);
  });

  it('keeps no step log when told not to (scheduled runs)', () => {
    const { ctx, steps } = context({ keepSteps: false });
    ctx.step('one');
    expect(steps).toEqual([]);
  });

  it('a fresh connection per request, or a dispatcher made when first used: a Client or a Pool; closed after', async () => {
    const fresh = context();
    const res = await fresh.ctx.request(server.url, { method: 'GET', headers: {}, signal: fresh.ctx.signal });
    for await (const _ of res.body);
    expect(res.statusCode).toBe(200);
    await fresh.close(); // no dispatcher was made
    expect(fresh.tls()).toBeUndefined(); // plain http

    const single = context({ freshConnection: true });
    expect(single.ctx.dispatcher).toBeInstanceOf(Client);
    expect(single.ctx.dispatcher).toBe(single.ctx.dispatcher);
    const pooled = context({ freshConnection: false });
    expect(pooled.ctx.dispatcher).toBeInstanceOf(Pool);
    const r = await pooled.ctx.dispatcher.request({ origin: server.url, path: '/', method: 'GET' });
    await r.body.text();
    await pooled.close();
    await single.close();
    expect((pooled.ctx.dispatcher as Pool).closed).toBe(true);
    expect((single.ctx.dispatcher as Client).closed).toBe(true);
  });

  it("passes on the guard, and the target's token for this run", () => {
    const guard = { announce: () => undefined } as unknown as RunDeps['guard'];
    let asked: unknown;
    const oauthRun = { facts: {} };
    const oauth = {
      forRun: (r: unknown) => {
        asked = r;
        return oauthRun;
      },
    } as unknown as TokenSource;
    const signal = new AbortController().signal;
    const { ctx } = context({ signal }, { guard, oauth });
    expect(ctx.guard).toBe(guard);
    expect(ctx.oauth).toBe(oauthRun);
    expect(asked).toMatchObject({ signal, timeoutMs: 5_000, step: ctx.step });
  });
});
