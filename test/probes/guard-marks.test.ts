import { describe, expect, it } from 'vitest';
import {
  GUARD_KEY_PREFIX,
  guardMarkerIn,
  guardQuery,
  newGuardKey,
  newGuardMarker,
  quotesGuardKey,
} from '../../src/probes/guard-marks.js';

describe('guard marks', () => {
  it('a marker put in a query is found again in the request path, among other parameters', () => {
    const m = newGuardMarker();
    expect(m).toMatch(/^[0-9a-f]{16}$/);
    expect(guardMarkerIn(`/mcp/?${guardQuery(m)}`)).toBe(m);
    expect(guardMarkerIn(`/mcp/?a=1&${guardQuery(m)}&b=2`)).toBe(m);
    expect(guardMarkerIn('/mcp/?a=1')).toBeUndefined();
  });

  it('the wrong key is recognisable in a log line, and fresh each time', () => {
    const k = newGuardKey();
    expect(k.startsWith(GUARD_KEY_PREFIX)).toBe(true);
    expect(newGuardKey()).not.toBe(k);
    expect(quotesGuardKey(`Received API Key = ${k}, Key Hash`)).toBe(true);
    expect(quotesGuardKey('Received API Key = sk-1234')).toBe(false);
  });
});
