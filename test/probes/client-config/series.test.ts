// A pure unit test of what the client_config series definition writes: the ports are fakes that keep each
// series' value in a map (the metrics layer, prom-client, is not involved).
import { beforeEach, describe, expect, it } from 'vitest';
import type { ClientConfigDetails } from '../../../src/probes/client-config/details.js';
import { series } from '../../../src/probes/client-config/series.js';
import type { FamilyDefs, FamilyPorts, SeriesLabels } from '../../../src/probes/probe-type.js';

const LABELS = { probe: 'codex' };

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

type Finding = ClientConfigDetails['findings'][number];
const finding = (code: string, severity: Finding['severity']): Finding => ({
  line: 3,
  code,
  severity,
  message: `${code} found`,
  fix: 'fix it',
});
const details = (...findings: Finding[]): ClientConfigDetails => ({
  client: 'codex',
  file: '/home/ops/.codex/config.toml',
  server: 'litellm',
  line: 1,
  findings,
});

describe('client_config series', () => {
  let fake: ReturnType<typeof fakePorts>;
  let state: unknown;
  const record = (d: ClientConfigDetails | undefined) => series.record(fake.ports, LABELS, state, d);

  beforeEach(() => {
    fake = fakePorts(series.families);
    state = series.init();
  });

  it('findings counted per code and severity', () => {
    record(details(finding('no_key', 'error'), finding('http_url', 'warning'), finding('http_url', 'warning')));
    expect(fake.values()).toEqual({
      'clientConfigFindings{probe=codex,code=http_url,severity=warning}': 2,
      'clientConfigFindings{probe=codex,code=no_key,severity=error}': 1,
    });
  });

  it('one code at two severities: a series each', () => {
    record(details(finding('path', 'error'), finding('path', 'warning')));
    expect(fake.values()).toEqual({
      'clientConfigFindings{probe=codex,code=path,severity=error}': 1,
      'clientConfigFindings{probe=codex,code=path,severity=warning}': 1,
    });
  });

  it('a code no longer found goes back to 0 (its alert resolves)', () => {
    record(details(finding('no_key', 'error'), finding('http_url', 'warning')));
    record(details(finding('http_url', 'warning')));
    expect(fake.values()).toEqual({
      'clientConfigFindings{probe=codex,code=http_url,severity=warning}': 1,
      'clientConfigFindings{probe=codex,code=no_key,severity=error}': 0,
    });
    record(details());
    expect(Object.values(fake.values())).toEqual([0, 0]);
  });

  it('no findings ever: no series', () => {
    record(details());
    expect(fake.values()).toEqual({});
  });

  it('no details: the last values stay', () => {
    record(details(finding('no_key', 'error')));
    record(undefined);
    expect(fake.values()).toEqual({ 'clientConfigFindings{probe=codex,code=no_key,severity=error}': 1 });
  });

  it('forget removes every series it set, those at 0 included', () => {
    record(details(finding('no_key', 'error')));
    record(details(finding('http_url', 'warning')));
    expect(Object.keys(fake.values())).toHaveLength(2);
    series.forget(fake.ports, LABELS, state);
    expect(fake.values()).toEqual({});
  });
});
