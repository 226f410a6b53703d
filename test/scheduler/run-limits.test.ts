import { describe, expect, it } from 'vitest';
import { RunLimits } from '../../src/scheduler/run-limits.js';

const limits = (all: number, own: Record<string, number | undefined>) => ({
  maxConcurrentProbes: all,
  targets: Object.fromEntries(Object.entries(own).map(([n, l]) => [n, { maxConcurrentProbes: l }])),
});

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('RunLimits', () => {
  it("holds a target's runs to its own limit and all runs to the limit of all", async () => {
    const l = new RunLimits(limits(2, { a: 1, b: undefined }) as never);
    const a1 = await l.acquire('a');
    const a2 = l.acquire('a');
    expect(await settled(a2)).toBe(false);
    // a's second run waits on a alone: b's run gets the second slot of all.
    const b1 = await l.acquire('b');
    const b2 = l.acquire('b');
    expect(await settled(b2)).toBe(false);
    expect(l.queued).toBe(2);
    expect(l.oldestWait().target).toBe('a');
    a1();
    // a's slot is free but all are taken (a2 now waits on all, after b2).
    expect(await settled(a2)).toBe(false);
    b1();
    (await b2)();
    (await a2)();
    expect(l.queued).toBe(0);
    expect(l.oldestWait()).toEqual({ ms: 0 });
  });

  it('a waiter aborted while it waits on all gives its target slot back', async () => {
    const l = new RunLimits(limits(1, { a: 1 }) as never);
    const other = await l.acquire('b');
    const ac = new AbortController();
    const waiting = l.acquire('a', ac.signal);
    ac.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    other();
    (await l.acquire('a'))();
  });

  it('adopts a new config: a raised limit lets waiters in, a removed one no longer holds the target', async () => {
    const l = new RunLimits(limits(10, { a: 1 }) as never);
    const a1 = await l.acquire('a');
    const a2 = l.acquire('a');
    expect(await settled(a2)).toBe(false);
    l.adopt(limits(10, { a: 2 }) as never);
    expect(await settled(a2)).toBe(true);
    const a3 = l.acquire('a');
    expect(await settled(a3)).toBe(false);
    l.adopt(limits(10, {}) as never);
    expect(await settled(a3)).toBe(true);
    a1();
    (await a2)();
    (await a3)();
  });
});
