import { describe, expect, it } from 'vitest';
import { RunRateLimiter } from '../../src/mcp-tools/rate-limit.js';
import type { ProbeResult } from '../../src/probes/table.js';

/** A run of `probe` that started at `startedAt` (only what the limiter reads matters). */
function run(probe: string, startedAt: number): ProbeResult {
  return { probe, startedAt } as ProbeResult;
}

describe('RunRateLimiter', () => {
  it('answers a probe run less than minIntervalMs ago with that run', () => {
    let now = 100_000;
    const limiter = new RunRateLimiter(10_000, 20, () => now);
    expect(limiter.take('p')).toEqual({ kind: 'run' });
    const result = run('p', now);
    limiter.remember('p', result);
    now += 4_400;
    expect(limiter.take('p')).toEqual({
      kind: 'cached',
      result,
      message: 'this probe ran 4 s ago: returning that run (at most one run per 10 s)',
    });
    // Another probe is not held back by this one.
    expect(limiter.take('q')).toEqual({ kind: 'run' });
    now += 5_600;
    expect(limiter.take('p')).toEqual({ kind: 'run' });
  });

  it('starts at most perMinute runs in any minute, and says when to try again', () => {
    let now = 0;
    const limiter = new RunRateLimiter(10_000, 3, () => now);
    for (const name of ['a', 'b', 'c']) {
      expect(limiter.take(name)).toEqual({ kind: 'run' });
      now += 1_000;
    }
    expect(limiter.take('d')).toEqual({
      kind: 'limited',
      message: '3 probe runs in the last minute; try again in 57 s',
    });
    // The first start leaves the window a minute after it.
    now = 60_000;
    expect(limiter.take('d')).toEqual({ kind: 'run' });
    expect(limiter.take('e')).toMatchObject({ kind: 'limited' });
  });

  it('does not count a cached answer as a run', () => {
    let now = 0;
    const limiter = new RunRateLimiter(10_000, 1, () => now);
    expect(limiter.take('p')).toEqual({ kind: 'run' });
    limiter.remember('p', run('p', now));
    now += 1_000;
    expect(limiter.take('p')).toMatchObject({ kind: 'cached' });
    expect(limiter.take('p')).toMatchObject({ kind: 'cached' });
  });
});
