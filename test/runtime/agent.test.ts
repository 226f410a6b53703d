import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/config/load.js';
import type { Config } from '../../src/config/parse.js';
import type { ConfigProblem } from '../../src/config/problems.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { shardOfName } from '../../src/config/shard.js';
import { Agent } from '../../src/runtime/agent.js';
import { Redactor } from '../../src/util/redact.js';
import { httpProbesConfig } from '../support/runtime-config.js';
import { until } from '../support/until.js';

// The Agent's reload: serialized, a failed or thrown reload keeps the running config and does
// not stop the next one, no reload once it is shutting down. `load` is a fake the tests drive.

const CONFIG_PATH = '/etc/mcpwatch/test.yaml';

// Silent, and a reload that sets another level still writes nowhere.
const devNull = new Writable({ write: (_c, _e, cb) => cb() });

/** A config with http probes of these names against a closed port (they fail fast: connect_error). */
const config = (...probes: string[]): Config => httpProbesConfig(probes);

function loaded(cfg: Config, warnings: ConfigProblem[] = []): LoadResult {
  return { ok: true, config: cfg, warnings, path: CONFIG_PATH };
}

function invalid(...problems: ConfigProblem[]): LoadResult {
  return { ok: false, problems, path: CONFIG_PATH };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A `load` that answers with what the test queued, one step per call, and counts its calls. */
class FakeLoad {
  private readonly queue: Array<() => Promise<LoadResult>> = [];
  calls = 0;

  next(step: LoadResult | Error | Deferred<LoadResult>): this {
    this.queue.push(() => {
      if (step instanceof Error) return Promise.reject(step);
      if ('promise' in step) return step.promise;
      return Promise.resolve(step);
    });
    return this;
  }

  readonly load = (): Promise<LoadResult> => {
    this.calls++;
    const step = this.queue.shift();
    if (!step) return Promise.reject(new Error('unexpected load: nothing queued'));
    return step();
  };
}

describe('Agent reload', () => {
  let agent: Agent | undefined;
  let fake: FakeLoad;

  function makeAgent(initial: Config): Agent {
    fake = new FakeLoad();
    agent = new Agent(initial, {
      configPath: CONFIG_PATH,
      load: fake.load,
      logger: pino({ level: 'silent' }, devNull),
      redactor: new Redactor(),
      metrics: createMetrics(new Registry(), { defaultMetrics: false }),
    });
    return agent;
  }

  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  it('reports a reload whose load throws as failed, and the next reload still applies', async () => {
    const a = makeAgent(config('one'));
    a.start();
    fake.next(new Error('disk on fire')).next(loaded(config('two', 'three')));

    await expect(a.reload()).resolves.toEqual({
      ok: false,
      problems: [{ path: '(agent)', message: 'reload failed: disk on fire' }],
      warnings: [],
    });
    expect(a.probeNames()).toEqual(['one']);
    expect(a.health().checks.config!.status).toBe('degraded');

    await expect(a.reload()).resolves.toEqual({ ok: true, problems: [], warnings: [] });
    expect(a.probeNames()).toEqual(['two', 'three']);
    expect(a.status().probes.map((p) => p.name)).toEqual(['two', 'three']);
    expect(a.health().checks.config!.status).toBe('ok');
    expect(a.status().config.lastReload.ok).toBe(true);
    expect(fake.calls).toBe(2);
  });

  it('runs a reload queued behind one that throws', async () => {
    const a = makeAgent(config('one'));
    a.start();
    const first = deferred<LoadResult>();
    fake.next(first).next(loaded(config('two')));

    const r1 = a.reload();
    const r2 = a.reload();
    await until(() => fake.calls === 1, 2_000);
    first.reject(new Error('boom'));
    await expect(r1).resolves.toMatchObject({ ok: false, problems: [{ message: 'reload failed: boom' }] });
    await expect(r2).resolves.toMatchObject({ ok: true });
    expect(a.probeNames()).toEqual(['two']);
  });

  it('passes the warnings of a valid load on', async () => {
    const a = makeAgent(config('one'));
    a.start();
    const warning = { path: 'targets.t', message: 'no apiKey: requests to this target are sent without a key' };
    fake.next(loaded(config('one', 'two'), [warning]));
    await expect(a.reload()).resolves.toEqual({ ok: true, problems: [], warnings: [warning] });
    expect(a.probeNames()).toEqual(['one', 'two']);
  });

  it('keeps the running config on an invalid load and degrades the health', async () => {
    const a = makeAgent(config('one'));
    a.start();
    const problems = [
      { path: 'probes[0].every', message: 'not a duration: "soon"' },
      { path: 'targets.t.url', message: 'required' },
    ];
    expect(a.health().checks.config!.status).toBe('ok');
    fake.next(invalid(...problems));

    await expect(a.reload()).resolves.toEqual({ ok: false, problems, warnings: [] });
    expect(a.probeNames()).toEqual(['one']);
    expect(a.status().probes.map((p) => [p.name, p.target, p.schedule])).toEqual([['one', 't', 'every 1h']]);

    const health = a.health();
    expect(health.checks.config).toMatchObject({
      status: 'degraded',
      message: 'the last reload failed: running the previous config',
      path: CONFIG_PATH,
      problems: ['probes[0].every: not a duration: "soon"', 'targets.t.url: required'],
    });
    expect(health.status).toBe('degraded');
    expect(a.status().config.lastReload).toMatchObject({
      ok: false,
      problems: ['probes[0].every: not a duration: "soon"', 'targets.t.url: required'],
    });

    // A good reload afterwards clears the degradation.
    fake.next(loaded(config('two')));
    await expect(a.reload()).resolves.toMatchObject({ ok: true });
    expect(a.health().checks.config!.status).toBe('ok');
    expect(a.probeNames()).toEqual(['two']);
  });

  it('a failed reload keeps the time the running config was loaded; a good one sets both times', async () => {
    const a = makeAgent(config('one'));
    a.start();
    const first = a.status().config;
    expect(first.lastReload.at).toBe(first.loadedAt);
    await new Promise((r) => setTimeout(r, 5));
    fake.next(invalid({ path: 'probes', message: 'bad' }));
    await a.reload();
    const failed = a.status().config;
    expect(failed.loadedAt).toBe(first.loadedAt);
    expect(failed.lastReload.at > first.loadedAt).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    fake.next(loaded(config('two')));
    await a.reload();
    const good = a.status().config;
    expect(good.loadedAt > failed.lastReload.at).toBe(true);
    expect(good.lastReload).toEqual({ at: good.loadedAt, ok: true, problems: [] });
    expect(a.health().checks.config).toMatchObject({ status: 'ok', loadedAt: good.loadedAt });
  });

  it('runs concurrent reloads one after the other; the last one wins', async () => {
    const a = makeAgent(config('one'));
    a.start();
    const first = deferred<LoadResult>();
    const second = deferred<LoadResult>();
    fake.next(first).next(second);

    const r1 = a.reload();
    const r2 = a.reload();
    await until(() => fake.calls === 1, 2_000);
    // The second reload waits for the first: its load is not even called yet.
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.calls).toBe(1);

    const order: string[] = [];
    void r1.then(() => order.push('r1'));
    void r2.then(() => order.push('r2'));

    first.resolve(loaded(config('two')));
    await expect(r1).resolves.toMatchObject({ ok: true });
    expect(a.probeNames()).toEqual(['two']);
    await until(() => fake.calls === 2, 2_000);

    second.resolve(loaded(config('three', 'four')));
    await expect(r2).resolves.toMatchObject({ ok: true });
    expect(order).toEqual(['r1', 'r2']);
    expect(a.probeNames()).toEqual(['three', 'four']);
    expect(a.health().checks.config!.status).toBe('ok');
  });

  it('serializes many reloads fired at once', async () => {
    const a = makeAgent(config());
    a.start();
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const n of names) fake.next(loaded(config(n)));
    const results = await Promise.all(names.map(() => a.reload()));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.calls).toBe(names.length);
    expect(a.probeNames()).toEqual(['e']);
  });

  it("answers 'shutting down' after stop(), without loading", async () => {
    const a = makeAgent(config('one'));
    a.start();
    await a.stop();
    const r = await a.reload();
    expect(r).toEqual({ ok: false, problems: [{ path: '(agent)', message: 'shutting down' }], warnings: [] });
    expect(fake.calls).toBe(0);
    expect(a.probeNames()).toEqual(['one']);
  });

  it('stop() is idempotent', async () => {
    const a = makeAgent(config());
    a.start();
    await Promise.all([a.stop(), a.stop()]);
    await a.stop();
  });

  it('stop() during a reload: the reload swaps nothing in, and no scheduler outlives the shutdown', async () => {
    const a = makeAgent(config('one'));
    a.start();
    const pending = deferred<LoadResult>();
    fake.next(pending);
    const reload = a.reload();
    await until(() => fake.calls === 1, 2_000);
    const stopped = a.stop();
    pending.resolve(loaded(config('two')));
    expect(await reload).toEqual({
      ok: false,
      problems: [{ path: '(agent)', message: 'shutting down' }],
      warnings: [],
    });
    await stopped;
    expect(a.probeNames()).toEqual(['one']);
    expect(a.health().checks.scheduler).toMatchObject({ running: false });
  });
});

describe('Agent as the HTTP layer sees it', () => {
  it('answers without log tailing, catalogs or an MCP endpoint; scrapes with the gauges read then', async () => {
    const agent = new Agent(config('one'), {
      configPath: CONFIG_PATH,
      load: new FakeLoad().load,
      logger: pino({ level: 'silent' }, devNull),
      redactor: new Redactor(),
      metrics: createMetrics(new Registry(), { defaultMetrics: false }),
    });
    try {
      expect(agent.recentLogMatches()).toBeUndefined();
      expect(agent.catalogs()).toEqual([]);
      expect(agent.mcpAccess()).toBeNull();
      const text = (await agent.scrape('text')).toString();
      expect(text).toMatch(/^mcpwatch_probes_in_flight 0$/m);
      expect(text).toMatch(/^mcpwatch_probes_queued 0$/m);
      const result = await agent.runProbe('one');
      expect(result).toMatchObject({ probe: 'one', trigger: 'manual', outcome: 'connect_error' });
      expect(agent.status().probes[0]).toMatchObject({ name: 'one', runs: 1 });
    } finally {
      await agent.stop();
    }
  });
});

describe('Agent readiness and web access (/-/ready, the guard, POST /-/reload)', () => {
  function makeAgent(enableLifecycle?: boolean): Agent {
    return new Agent(config('one'), {
      configPath: CONFIG_PATH,
      load: new FakeLoad().load,
      logger: pino({ level: 'silent' }, devNull),
      redactor: new Redactor(),
      metrics: createMetrics(new Registry(), { defaultMetrics: false }),
      ...(enableLifecycle !== undefined && { enableLifecycle }),
    });
  }

  it('starting until start(), ready while the scheduler runs, stopping from stop() on', async () => {
    const agent = makeAgent();
    expect(agent.readiness()).toEqual({ ready: false, reason: 'starting' });
    agent.start();
    expect(agent.readiness()).toEqual({ ready: true });
    const stopped = agent.stop();
    expect(agent.readiness()).toEqual({ ready: false, reason: 'stopping' });
    await stopped;
    expect(agent.readiness()).toEqual({ ready: false, reason: 'stopping' });
  });

  it("webAccess: the config's web lists; the lifecycle from the flag or web.enableLifecycle", async () => {
    const off = makeAgent();
    const on = makeAgent(true);
    try {
      expect(off.webAccess()).toEqual({ allowedOrigins: [], allowedHosts: [], lifecycle: false });
      expect(on.webAccess().lifecycle).toBe(true);
    } finally {
      await Promise.all([off.stop(), on.stop()]);
    }
  });
});

describe('Agent shards (config shard)', () => {
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  const NAMES = Array.from({ length: 30 }, (_, i) => `p${i}`);
  const sharded = (index: number, total: number): Config => ({ ...config(...NAMES), shard: { index, total } });

  it("runs, declares and shows only its shard's probes; a reload re-applies the shard, also when the shard itself changes", async () => {
    const registry = new Registry();
    const fake = new FakeLoad();
    agent = new Agent(sharded(1, 3), {
      configPath: CONFIG_PATH,
      load: fake.load,
      logger: pino({ level: 'silent' }, devNull),
      redactor: new Redactor(),
      metrics: createMetrics(registry, { defaultMetrics: false }),
    });
    const a = agent;
    const exported = async (): Promise<string[]> =>
      [
        ...new Set(
          [...(await registry.metrics()).matchAll(/^mcp_probe_runs_total\{probe="([^"]+)"/gm)].map((m) => m[1]!),
        ),
      ].sort();
    const shardInfo = async (): Promise<string[]> =>
      (await registry.metrics()).split('\n').filter((l) => l.startsWith('mcpwatch_shard_info{'));
    const mine = (index: number, total: number): string[] => NAMES.filter((n) => shardOfName(n, total) === index);

    expect(a.probeNames()).toEqual(mine(1, 3));
    expect(a.shardStatus()).toEqual({ index: 1, total: 3, probes: mine(1, 3).length, ofProbes: 30, tailsLogs: false });
    expect(a.status().shard).toEqual(a.shardStatus());
    expect(a.status().probes.map((p) => p.name)).toEqual(mine(1, 3));
    expect(await exported()).toEqual([...mine(1, 3)].sort());
    expect(await shardInfo()).toEqual(['mcpwatch_shard_info{index="1",total="3"} 1']);
    const other = NAMES.find((n) => shardOfName(n, 3) === 2)!;
    expect(a.probeElsewhere(other)).toEqual({ probe: other, shard: 2, total: 3, here: 1 });
    expect(a.probeElsewhere(mine(1, 3)[0]!)).toBeUndefined();
    expect(a.probeElsewhere('nope')).toBeUndefined();

    // The same shard, one probe more: only if it hashes here.
    fake.next(loaded({ ...config(...NAMES, 'extra'), shard: { index: 1, total: 3 } }));
    await expect(a.reload()).resolves.toMatchObject({ ok: true });
    expect(a.probeNames()).toEqual([...NAMES, 'extra'].filter((n) => shardOfName(n, 3) === 1));
    expect(a.shardStatus().ofProbes).toBe(31);

    // The shard changed: 0 of 2.
    fake.next(loaded(sharded(0, 2)));
    await expect(a.reload()).resolves.toMatchObject({ ok: true });
    expect(a.probeNames()).toEqual(mine(0, 2));
    expect(await exported()).toEqual([...mine(0, 2)].sort());
    expect(await shardInfo()).toEqual(['mcpwatch_shard_info{index="0",total="2"} 1']);

    // Back to one replica: everything.
    fake.next(loaded(config(...NAMES)));
    await expect(a.reload()).resolves.toMatchObject({ ok: true });
    expect(a.probeNames()).toEqual(NAMES);
    expect(await shardInfo()).toEqual(['mcpwatch_shard_info{index="0",total="1"} 1']);
  });
});
