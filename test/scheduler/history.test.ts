import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/probes/table.js';
import { ResultStore } from '../../src/scheduler/history.js';

const run = (startedAt: number, success = false): ProbeResult =>
  ({
    probe: 'p',
    type: 'http',
    target: 't',
    outcome: success ? 'ok' : 'http_error',
    success,
    reason: 'r',
    trigger: 'schedule',
    startedAt,
    durationMs: 1,
    phases: {},
    steps: [],
  }) as ProbeResult;

describe('ResultStore.amend', () => {
  it("replaces the probe's last run with its completed copy, counting nothing again; a run no longer last is left alone", () => {
    const store = new ResultStore();
    const first = run(1);
    store.add(first);
    const log = { from: 'a', to: 'b', containers: ['c'], about: [], records: [] };
    expect(store.amend({ ...first, gatewayLog: log })).toBe(true);
    expect(store.peek('p')).toMatchObject({ runs: 1, failures: 1, last: { startedAt: 1, gatewayLog: log } });
    expect(store.peek('p')?.history).toHaveLength(1);
    store.add(run(2, true));
    expect(store.amend({ ...first, gatewayLog: log })).toBe(false);
    expect(store.peek('p')?.last?.startedAt).toBe(2);
    expect(store.amend({ ...run(3), probe: 'unknown' })).toBe(false);
  });
});
