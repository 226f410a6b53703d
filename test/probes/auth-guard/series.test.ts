// A pure unit test of what the guard's series definition writes: the ports are fakes that keep each series'
// value in a map (test/support/fake-series-ports.ts; the metrics layer, prom-client, is not involved).
import { describe, expect, it } from 'vitest';
import { series } from '../../../src/probes/auth-guard/series.js';
import { seriesUnderTest } from '../../support/fake-series-ports.js';

const LABELS = { probe: 'guard' };

describe('auth_guard series', () => {
  const { record, values, forget, itWritesNothingWithoutDetails } = seriesUnderTest(series, LABELS);

  it('declares nothing for a new probe', () => {
    expect(series.declare).toBeUndefined();
  });

  it('each rejection check: 1 when the gateway refused its request, 0 when it let it through', () => {
    record({
      authChecks: {
        no_key: { enforced: true, status: 401, reason: 'rejected: 401' },
        wrong_key: { enforced: false, reason: 'a session opened with a wrong key' },
      },
    });
    expect(values()).toEqual({
      'authEnforced{probe=guard,check=no_key}': 1,
      'authEnforced{probe=guard,check=wrong_key}': 0,
    });
  });

  it('the valid-key check (accepted, not enforced) has no series', () => {
    record({ authChecks: { valid_key: { accepted: true, reason: 'the real key opened a session' } } });
    expect(values()).toEqual({});
  });

  it('a check that could not be told (enforced undefined) leaves its last value alone', () => {
    record({ authChecks: { no_key: { enforced: false, reason: 'a session without a key' } } });
    record({ authChecks: { no_key: { reason: 'timeout after 5s in initialize' } } });
    expect(values()).toEqual({ 'authEnforced{probe=guard,check=no_key}': 0 });
  });

  it('a check never told has no series', () => {
    record({ authChecks: { no_key: { reason: 'timeout after 5s in initialize' } } });
    expect(values()).toEqual({});
  });

  itWritesNothingWithoutDetails({ status: 502, body: 'Bad Gateway' });

  it('forget removes the series of every check it set', () => {
    record({ authChecks: { no_key: { enforced: true, reason: 'rejected' } } });
    record({ authChecks: { wrong_key: { enforced: true, reason: 'rejected' } } });
    expect(Object.keys(values())).toHaveLength(2);
    forget();
    expect(values()).toEqual({});
  });
});
