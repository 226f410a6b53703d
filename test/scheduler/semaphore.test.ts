import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../src/scheduler/semaphore.js';

describe('Semaphore', () => {
  it('grants at most limit slots, in order, and drops aborted waiters', async () => {
    const l = new Semaphore(1);
    const r1 = await l.acquire();
    const order: number[] = [];
    const p2 = l.acquire().then((r) => (order.push(2), r));
    const ac = new AbortController();
    const p3 = l.acquire(ac.signal);
    const p4 = l.acquire().then((r) => (order.push(4), r));
    expect(l.queued).toBe(3);
    ac.abort(new Error('gone'));
    await expect(p3).rejects.toThrow('gone');
    r1();
    (await p2)();
    (await p4)();
    expect(order).toEqual([2, 4]);
    expect(l.inFlight).toBe(0);
  });
});
