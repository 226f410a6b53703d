import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/metrics/registry.js';
import { SelfRecorder } from '../../src/metrics/self-recorder.js';
import { VERSION } from '../../src/version.js';
import { samples, value } from '../support/exposition.js';

const OK = 'mcpwatch_config_last_reload_successful';
const AT = 'mcpwatch_config_last_reload_success_timestamp_seconds';

let registry: Registry;
let rec: SelfRecorder;
const text = (): Promise<string> => registry.metrics();

beforeEach(() => {
  registry = new Registry();
  rec = new SelfRecorder(createMetrics(registry, { defaultMetrics: false }));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('SelfRecorder', () => {
  it('configLoaded(true, at) sets ok 1 and the time of the load in seconds', async () => {
    rec.configLoaded(true, 1_700_000_000_000);
    const t = await text();
    expect(value(t, OK)).toBe(1);
    expect(value(t, AT)).toBe(1_700_000_000);
  });

  it('configLoaded(false) sets ok 0 and keeps the time of the last success', async () => {
    rec.configLoaded(true, 1_700_000_000_500);
    rec.configLoaded(false, 1_700_000_100_000);
    let t = await text();
    expect(value(t, OK)).toBe(0);
    expect(value(t, AT)).toBe(1_700_000_000.5);

    rec.configLoaded(false);
    t = await text();
    expect(value(t, OK)).toBe(0);
    expect(value(t, AT)).toBe(1_700_000_000.5);

    rec.configLoaded(true, 1_700_000_200_000);
    t = await text();
    expect(value(t, OK)).toBe(1);
    expect(value(t, AT)).toBe(1_700_000_200);
  });

  it('configLoaded(true) without a time uses the clock', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_750_000_000_250);
    rec.configLoaded(true);
    expect(value(await text(), AT)).toBe(1_750_000_000.25);
  });

  it('a failed first load leaves the success time at 0', async () => {
    rec.configLoaded(false, 1_700_000_000_000);
    const t = await text();
    expect(value(t, OK)).toBe(0);
    expect(value(t, AT)).toBe(0);
  });

  it('runs(inFlight, queued) sets the two gauges', async () => {
    rec.runs(3, 5);
    let t = await text();
    expect(value(t, 'mcpwatch_probes_in_flight')).toBe(3);
    expect(value(t, 'mcpwatch_probes_queued')).toBe(5);
    rec.runs(0, 0);
    t = await text();
    expect(value(t, 'mcpwatch_probes_in_flight')).toBe(0);
    expect(value(t, 'mcpwatch_probes_queued')).toBe(0);
  });

  it('shard(s) exports one mcpwatch_shard_info series, replaced when the shard changes', async () => {
    rec.shard({ index: 0, total: 1 });
    expect(samples(await text(), 'mcpwatch_shard_info').map((s) => [s.labels, s.value])).toEqual([
      [{ index: '0', total: '1' }, 1],
    ]);
    rec.shard({ index: 2, total: 3 });
    expect(samples(await text(), 'mcpwatch_shard_info').map((s) => [s.labels, s.value])).toEqual([
      [{ index: '2', total: '3' }, 1],
    ]);
  });

  it('build info is set once by createMetrics', async () => {
    expect(value(await text(), 'mcpwatch_build_info', { version: VERSION, node_version: process.version })).toBe(1);
  });
});
