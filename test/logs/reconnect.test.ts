import { describe, expect, it } from 'vitest';
import { Backoff, isApiError, RECHECK_MS, waitAfterEnd } from '../../src/logs/reconnect.js';

describe('waitAfterEnd', () => {
  it.each([
    ['running again, same id (restarted, or the stream broke): at once', { id: 'a', running: true }, undefined],
    ['stopped, same id: the re-check interval', { id: 'a', running: false }, RECHECK_MS],
    ['gone: the re-check interval', undefined, RECHECK_MS],
    ['re-created and running: next turn', { id: 'b', running: true }, 0],
    ['re-created, not running: next turn', { id: 'b', running: false }, 0],
  ])('%s', (_name, again, wait) => expect(waitAfterEnd('a', again)).toBe(wait));
});

describe('Backoff', () => {
  it('doubles up to its limit and starts again after a reset', () => {
    const b = new Backoff();
    const waits = Array.from({ length: 8 }, () => b.next());
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
    b.reset();
    expect(b.next()).toBe(500);
  });
});

describe('isApiError', () => {
  it.each([
    ['an error status from Docker', Object.assign(new Error('no such container'), { statusCode: 404 }), true],
    ['no answer', Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }), false],
    ['a status that is not a number', Object.assign(new Error('x'), { statusCode: '404' }), false],
    ['null', null, false],
    ['a string', 'boom', false],
  ])('%s', (_name, err, want) => expect(isApiError(err)).toBe(want));
});
