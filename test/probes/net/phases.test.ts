import { describe, expect, it } from 'vitest';
import { createPhaseClock } from '../../../src/probes/net/phases.js';

describe('phase clock', () => {
  it('sums phases and reports the one in progress', () => {
    let t = 0;
    const c = createPhaseClock(() => t);
    c.start('connect');
    t = 5;
    c.start('initialize');
    t = 12;
    expect(c.current).toBe('initialize');
    c.end();
    c.add('connect', 1);
    expect(c.snapshot()).toEqual({ connect: 6, initialize: 7 });
  });
});
