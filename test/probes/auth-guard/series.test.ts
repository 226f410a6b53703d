// A pure unit test of what the guard's series definition writes: the ports are fakes that keep each series'
// value in a map (the metrics layer, prom-client, is not involved).
import { beforeEach, describe, expect, it } from 'vitest';
import type { GuardProbeDetails } from '../../../src/probes/auth-guard/details.js';
import { series } from '../../../src/probes/auth-guard/series.js';
import type { FamilyDefs, FamilyPorts, SeriesLabels } from '../../../src/probes/probe-type.js';

const LABELS = { probe: 'guard' };

/** Ports that keep `family{label=value,…}` → value, as the registry would show the series. */
function fakePorts(families: FamilyDefs) {
  const values = new Map<string, number>();
  const key = (family: string, labels: SeriesLabels) =>
    `${family}{${Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}}`;
  const port = (family: string) => ({
    set: (labels: SeriesLabels, v: number) => void values.set(key(family, labels), v),
    inc: (labels: SeriesLabels, by = 1) =>
      void values.set(key(family, labels), (values.get(key(family, labels)) ?? 0) + by),
    remove: (labels: SeriesLabels) => void values.delete(key(family, labels)),
  });
  const ports = Object.fromEntries(
    Object.keys(families).map((f) => [f, port(f)]),
  ) as unknown as FamilyPorts<FamilyDefs>;
  return { ports, values: () => Object.fromEntries([...values].sort(([a], [b]) => a.localeCompare(b))) };
}

describe('auth_guard series', () => {
  let fake: ReturnType<typeof fakePorts>;
  let state: unknown;
  const record = (d: GuardProbeDetails | undefined) => series.record(fake.ports, LABELS, state, d);

  beforeEach(() => {
    fake = fakePorts(series.families);
    state = series.init();
  });

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
    expect(fake.values()).toEqual({
      'authEnforced{probe=guard,check=no_key}': 1,
      'authEnforced{probe=guard,check=wrong_key}': 0,
    });
  });

  it('the valid-key check (accepted, not enforced) has no series', () => {
    record({ authChecks: { valid_key: { accepted: true, reason: 'the real key opened a session' } } });
    expect(fake.values()).toEqual({});
  });

  it('a check that could not be told (enforced undefined) leaves its last value alone', () => {
    record({ authChecks: { no_key: { enforced: false, reason: 'a session without a key' } } });
    record({ authChecks: { no_key: { reason: 'timeout after 5s in initialize' } } });
    expect(fake.values()).toEqual({ 'authEnforced{probe=guard,check=no_key}': 0 });
  });

  it('a check never told has no series', () => {
    record({ authChecks: { no_key: { reason: 'timeout after 5s in initialize' } } });
    expect(fake.values()).toEqual({});
  });

  it.each([
    ['no details', undefined],
    ["the gateway's refusal", { status: 502, body: 'Bad Gateway' }],
  ])('%s: nothing is written', (_what, d) => {
    record(d);
    expect(fake.values()).toEqual({});
  });

  it('forget removes the series of every check it set', () => {
    record({ authChecks: { no_key: { enforced: true, reason: 'rejected' } } });
    record({ authChecks: { wrong_key: { enforced: true, reason: 'rejected' } } });
    expect(Object.keys(fake.values())).toHaveLength(2);
    series.forget(fake.ports, LABELS, state);
    expect(fake.values()).toEqual({});
  });
});
