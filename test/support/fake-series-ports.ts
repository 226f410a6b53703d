// Fakes for pure unit tests of what a probe type's series definition writes: the ports keep each series' value
// in a map, as the registry would show it. A fake is fine there because the metrics layer (prom-client) is not
// what those tests are about; test/metrics covers the real families.
import { beforeEach, expect, it } from 'vitest';
import type { FamilyDefs, FamilyPorts, SeriesDef, SeriesLabels } from '../../src/probes/probe-type.js';

/** Ports that keep `family{label=value,…}` → value, as the registry would show the series. */
export function fakePorts(families: FamilyDefs) {
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

/**
 * A type's series definition under test, for one probe's labels: fresh fake ports and a fresh state before
 * each test (call it inside the `describe`). `values()` is every series written so far, sorted by key.
 */
export function seriesUnderTest<D>(series: SeriesDef<D, FamilyDefs, unknown>, labels: SeriesLabels) {
  let fake: ReturnType<typeof fakePorts>;
  let state: unknown;
  beforeEach(() => {
    fake = fakePorts(series.families);
    state = series.init();
  });
  const record = (d: D | undefined): void => series.record(fake.ports, labels, state, d);
  const values = (): Record<string, number> => fake.values();
  return {
    declare: () => series.declare!(fake.ports, labels),
    record,
    forget: () => series.forget(fake.ports, labels, state),
    values,
    /** The test that a run without details, or with the gateway's `refusal` for details, writes nothing. */
    itWritesNothingWithoutDetails(refusal: D): void {
      it.each([
        ['no details', undefined],
        ["the gateway's refusal", refusal],
      ])('%s: nothing is written', (_what, d) => {
        record(d);
        expect(values()).toEqual({});
      });
    },
  };
}
