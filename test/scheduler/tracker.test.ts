import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/probes/table.js';
import { RunTracker } from '../../src/scheduler/tracker.js';

/** A run whose result and end the test settles by hand. */
function manual() {
  let finish!: (r: ProbeResult | undefined) => void;
  let stop!: () => void;
  const result = new Promise<ProbeResult | undefined>((r) => (finish = r));
  const settled = new Promise<void>((r) => (stop = r));
  return { result, settled, finish, stop, signal: undefined as AbortSignal | undefined };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('RunTracker', () => {
  it('holds a run from its start until its work has stopped, not just until its result', async () => {
    const t = new RunTracker();
    const run = manual();
    const result = t.start('p', () => run);
    expect([t.has('p'), t.size, t.current('p')]).toEqual([true, 1, result]);
    run.finish(undefined);
    await tick();
    expect(t.has('p')).toBe(true);
    run.stop();
    await tick();
    expect([t.has('p'), t.size, t.current('p')]).toEqual([false, 0, undefined]);
  });

  it('a run that ends after a newer one of the same name started leaves the newer one in place', async () => {
    const t = new RunTracker();
    const old = manual();
    const fresh = manual();
    void t.start('p', () => old);
    const current = t.start('p', () => fresh);
    old.stop();
    await tick();
    expect(t.current('p')).toBe(current);
  });

  it('abortAll aborts every run with the reason; drain says whether they all stopped in time', async () => {
    const t = new RunTracker();
    const runs = [manual(), manual()];
    runs.forEach((r, i) =>
      t.start(`p${i}`, (signal) => {
        r.signal = signal;
        return r;
      }),
    );
    const reason = new Error('shutting down');
    t.abortAll(reason);
    expect(runs.map((r) => r.signal?.reason)).toEqual([reason, reason]);
    expect(await t.drain(20)).toBe(false);
    runs.forEach((r) => r.stop());
    expect(await t.drain(1_000)).toBe(true);
    expect(await new RunTracker().drain(0)).toBe(true);
  });
});
