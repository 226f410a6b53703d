import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SelfRecorder } from '../../src/metrics/self-recorder.js';
import { VERSION } from '../../src/version.js';
import { samples, value } from '../support/exposition.js';
import { recorderOnTestMetrics } from '../support/runtime-config.js';

const OK = 'mcpwatch_config_last_reload_successful';
const AT = 'mcpwatch_config_last_reload_success_timestamp_seconds';

let rec: SelfRecorder;
let text: () => Promise<string>;
beforeEach(() => {
  ({ rec, text } = recorderOnTestMetrics((metrics) => new SelfRecorder(metrics)));
});

afterEach(() => {
  vi.useRealTimers();
});

/** The reload series: whether the last load succeeded, and when the last one that did was (seconds). */
async function lastReload(): Promise<{ ok: number | undefined; at: number | undefined }> {
  const t = await text();
  return { ok: value(t, OK), at: value(t, AT) };
}

describe('SelfRecorder', () => {
  it('configLoaded(true, at) sets ok 1 and the time of the load in seconds', async () => {
    rec.configLoaded(true, 1_700_000_000_000);
    expect(await lastReload()).toEqual({ ok: 1, at: 1_700_000_000 });
  });

  it('configLoaded(false) sets ok 0 and keeps the time of the last success', async () => {
    rec.configLoaded(true, 1_700_000_000_500);
    rec.configLoaded(false, 1_700_000_100_000);
    expect(await lastReload()).toEqual({ ok: 0, at: 1_700_000_000.5 });

    rec.configLoaded(false);
    expect(await lastReload()).toEqual({ ok: 0, at: 1_700_000_000.5 });

    rec.configLoaded(true, 1_700_000_200_000);
    expect(await lastReload()).toEqual({ ok: 1, at: 1_700_000_200 });
  });

  it('configLoaded(true) without a time uses the clock', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_750_000_000_250);
    rec.configLoaded(true);
    expect(value(await text(), AT)).toBe(1_750_000_000.25);
  });

  it('a failed first load leaves the success time at 0', async () => {
    rec.configLoaded(false, 1_700_000_000_000);
    expect(await lastReload()).toEqual({ ok: 0, at: 0 });
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
