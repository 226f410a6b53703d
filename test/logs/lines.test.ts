import { describe, expect, it } from 'vitest';
import { tsToMs } from '../../src/logs/lines.js';

describe('tsToMs', () => {
  it('reads Docker timestamps to the millisecond', () => {
    expect(tsToMs('2026-11-24T10:11:22.800097038Z')).toBe(Date.parse('2026-11-24T10:11:22.800Z'));
    expect(tsToMs('2026-11-24T10:11:22Z')).toBe(Date.parse('2026-11-24T10:11:22Z'));
  });

  it('takes a timestamp it cannot read as now, never NaN (a NaN would throw where a match is formatted)', () => {
    const before = Date.now();
    for (const bad of ['garbage', '', 'xxxx-xx-xxTxx:xx:xx.123Z']) {
      const ms = tsToMs(bad);
      expect(ms, bad).toBeGreaterThanOrEqual(before);
      expect(ms, bad).toBeLessThanOrEqual(Date.now());
    }
    expect(() => new Date(tsToMs('garbage')).toISOString()).not.toThrow();
  });
});
