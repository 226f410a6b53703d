import { describe, expect, it } from 'vitest';
import { innermostMessage } from '../../src/util/errors.js';

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

  it('looks at most 5 causes deep, and keeps the outer message when no cause has one', () => {
    let deep = new Error('level 7');
    for (let i = 6; i >= 1; i--) deep = new Error(`level ${i}`, { cause: deep });
    const top = new Error('top', { cause: deep });
    expect(innermostMessage(top)).toBe('level 5');
    expect(innermostMessage(new Error('outer', { cause: 'a string cause' }))).toBe('outer');
    expect(innermostMessage(new Error('outer', { cause: new Error('') }))).toBe('outer');
  });
});
