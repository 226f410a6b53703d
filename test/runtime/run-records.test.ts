import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/parse.js';
import type { ProbeResult } from '../../src/probes/table.js';
import { oauthTargetsOf, RunRecords } from '../../src/runtime/run-records.js';
import { matching } from '../support/exposition.js';
import { capturingLogger, httpProbesConfig, testMetrics } from '../support/runtime-config.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

function result(probe: string, success: boolean, over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    probe,
    target: 't',
    type: 'http',
    outcome: success ? 'ok' : 'connect_error',
    reason: success ? 'HTTP 200' : 'connection refused',
    success,
    trigger: 'schedule',
    startedAt: T0,
    durationMs: 10,
    phases: {},
    steps: [],
    ...over,
  } as ProbeResult;
}

/** The value of `name` for probe `probe` (whatever its other labels), undefined without a series. */
async function probeValue(registry: Registry, name: string, probe: string): Promise<number | undefined> {
  return matching(await registry.metrics(), name, { probe })[0]?.value;
}

function records() {
  const { registry, metrics } = testMetrics();
  const { logger, lines } = capturingLogger();
  const r = new RunRecords(metrics, logger);
  return { r, registry, lines };
}

describe('RunRecords', () => {
  it("records a declared probe's run in the store and the metrics, and logs a change of outcome", async () => {
    const { r, registry, lines } = records();
    r.declare(httpProbesConfig(['a']));
    r.result(result('a', false));
    r.result(result('a', false, { startedAt: T0 + 1_000 }));
    r.result(result('a', true, { startedAt: T0 + 2_000 }));
    const rec = r.store.peek('a')!;
    expect([rec.runs, rec.failures]).toEqual([3, 2]);
    expect(r.lastStartOf('a')).toBe(T0 + 2_000);
    expect(await probeValue(registry, 'mcp_probe_success', 'a')).toBe(1);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'probe failing: connect_error: connection refused'],
      [20, 'probe run'],
      [30, 'probe recovered (was connect_error)'],
    ]);
  });

  it('drops a run of a probe that is no longer declared, or declared otherwise (it ended after a reload)', () => {
    const { r, lines } = records();
    r.declare(httpProbesConfig(['a']));
    r.result(result('gone', true));
    r.result(result('a', true, { target: 'elsewhere' }));
    expect(r.store.peek('gone')).toBeUndefined();
    expect(r.store.peek('a')).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('counts a skipped run', async () => {
    const { r, registry } = records();
    const config = httpProbesConfig(['a']);
    r.declare(config);
    r.skipped(config.probes[0]!);
    expect(r.store.peek('a')!.skipped).toBe(1);
    expect(await probeValue(registry, 'mcpwatch_probe_skipped_runs_total', 'a')).toBe(1);
  });

  it('declaring a config drops what was kept of the probes it no longer has', async () => {
    const { r, registry } = records();
    r.declare(httpProbesConfig(['a', 'b']));
    r.result(result('a', true));
    r.result(result('b', true));
    r.declare(httpProbesConfig(['b']));
    expect(r.store.peek('a')).toBeUndefined();
    expect(r.store.peek('b')!.runs).toBe(1);
    expect(r.lastStartOf('a')).toBeUndefined();
    expect(await probeValue(registry, 'mcp_probe_success', 'a')).toBeUndefined();
  });

  it('forgets what changed probes remember, and keeps their runs', () => {
    const { r } = records();
    r.declare(httpProbesConfig(['a', 'b']));
    r.result(result('a', true));
    r.store.get('a').memory = { catalog: { tools: ['x'] } } as never;
    r.store.get('b').memory = { catalog: { tools: ['y'] } } as never;
    r.forget(['a']);
    expect(r.store.peek('a')!.memory).toEqual({});
    expect(r.store.peek('a')!.runs).toBe(1);
    expect(r.store.peek('b')!.memory).toEqual({ catalog: { tools: ['y'] } });
  });
});

describe('oauthTargetsOf', () => {
  it('lists the targets with oauth2 that some probe uses, once each', () => {
    const config = {
      targets: { sso: { oauth2: {} }, plain: {}, unused: { oauth2: {} } },
      probes: [{ target: 'sso' }, { target: 'plain' }, { target: 'sso' }],
    } as unknown as Config;
    expect(oauthTargetsOf(config)).toEqual(['sso']);
  });
});
