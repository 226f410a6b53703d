import { describe, expect, it } from 'vitest';
import { settleWithin } from '../../src/util/deadline.js';
import { innermostMessage } from '../../src/util/errors.js';

describe('settleWithin', () => {
  it.each([
    ['fulfilled', () => Promise.resolve(1), 'fulfilled'],
    ['rejected (and not left unhandled)', () => Promise.reject(new Error('x')), 'rejected'],
    ['never settling', () => new Promise(() => undefined), 'timeout'],
  ] as const)('%s', async (_n, p, want) => {
    expect(await settleWithin(p(), 20)).toBe(want);
  });
});

describe('innermostMessage', () => {
  it('takes the deepest cause that has a message', () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { cause: new Error('') }),
    });
    expect(innermostMessage(err)).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(innermostMessage(new Error('plain'))).toBe('plain');
    expect(innermostMessage('a string')).toBe('a string');
    expect(innermostMessage(undefined)).toBe('undefined');
  });
});
