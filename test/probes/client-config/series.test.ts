// A pure unit test of what the client_config series definition writes: the ports are fakes that keep each series'
// value in a map (test/support/fake-series-ports.ts; the metrics layer, prom-client, is not involved).
import { describe, expect, it } from 'vitest';
import type { ClientConfigDetails } from '../../../src/probes/client-config/details.js';
import { series } from '../../../src/probes/client-config/series.js';
import { seriesUnderTest } from '../../support/fake-series-ports.js';

const LABELS = { probe: 'codex' };

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
  const { record, values, forget } = seriesUnderTest(series, LABELS);

  it('findings counted per code and severity', () => {
    record(details(finding('no_key', 'error'), finding('http_url', 'warning'), finding('http_url', 'warning')));
    expect(values()).toEqual({
      'clientConfigFindings{probe=codex,code=http_url,severity=warning}': 2,
      'clientConfigFindings{probe=codex,code=no_key,severity=error}': 1,
    });
  });

  it('one code at two severities: a series each', () => {
    record(details(finding('path', 'error'), finding('path', 'warning')));
    expect(values()).toEqual({
      'clientConfigFindings{probe=codex,code=path,severity=error}': 1,
      'clientConfigFindings{probe=codex,code=path,severity=warning}': 1,
    });
  });

  it('a code no longer found goes back to 0 (its alert resolves)', () => {
    record(details(finding('no_key', 'error'), finding('http_url', 'warning')));
    record(details(finding('http_url', 'warning')));
    expect(values()).toEqual({
      'clientConfigFindings{probe=codex,code=http_url,severity=warning}': 1,
      'clientConfigFindings{probe=codex,code=no_key,severity=error}': 0,
    });
    record(details());
    expect(Object.values(values())).toEqual([0, 0]);
  });

  it('no findings ever: no series', () => {
    record(details());
    expect(values()).toEqual({});
  });

  it('no details: the last values stay', () => {
    record(details(finding('no_key', 'error')));
    record(undefined);
    expect(values()).toEqual({ 'clientConfigFindings{probe=codex,code=no_key,severity=error}': 1 });
  });

  it('forget removes every series it set, those at 0 included', () => {
    record(details(finding('no_key', 'error')));
    record(details(finding('http_url', 'warning')));
    expect(Object.keys(values())).toHaveLength(2);
    forget();
    expect(values()).toEqual({});
  });
});
