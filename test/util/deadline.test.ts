import { describe, expect, it } from 'vitest';
import { settleWithin } from '../../src/util/deadline.js';

describe('settleWithin', () => {
  it.each([
    ['fulfilled', () => Promise.resolve(1), 'fulfilled'],
    ['rejected (and not left unhandled)', () => Promise.reject(new Error('x')), 'rejected'],
    ['never settling', () => new Promise(() => undefined), 'timeout'],
  ] as const)('%s', async (_n, p, want) => {
    expect(await settleWithin(p(), 20)).toBe(want);
  });
});
