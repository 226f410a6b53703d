import { describe, expect, it } from 'vitest';
import { runExposition } from '../../src/metrics/run-exposition.js';
import type { ProbeResult } from '../../src/probes/table.js';
import { noCatalog } from '../support/catalog-details.js';
import { samples, value } from '../support/exposition.js';

const T0 = 1_700_000_000_000;

function result(over: Partial<ProbeResult>): ProbeResult {
  return {
    probe: 'h',
    target: 'lan',
    type: 'http',
    outcome: 'ok',
    reason: '200 OK',
    success: true,
    trigger: 'manual',
    startedAt: T0,
    durationMs: 12.5,
    phases: { connect: 2, http: 10 },
    steps: [],
    ...over,
  } as ProbeResult;
}

/** The family names in order of their TYPE lines. */
const families = (text: string): string[] => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);

describe('runExposition: one run as blackbox_exporter would answer it', () => {
  it('probe_success and probe_duration_seconds without labels, then the per-run gauges with their labels', () => {
    const tls = {
      version: 'TLSv1.3',
      subject: 'CN=gw',
      issuer: 'CN=ca',
      notAfter: T0 + 10 * 86_400_000,
      earliestNotAfter: T0 + 5 * 86_400_000,
      earliestSubject: 'CN=ca',
      chainLength: 2,
      authorized: true,
    };
    const text = runExposition(result({ tls }));
    expect(families(text)).toEqual([
      'probe_success',
      'probe_duration_seconds',
      'mcp_probe_phase_duration_seconds',
      'mcp_probe_tls_cert_expiry_timestamp_seconds',
      'mcp_probe_tls_earliest_expiry_timestamp_seconds',
    ]);
    expect(samples(text, 'probe_success')).toEqual([{ labels: {}, value: 1 }]);
    expect(samples(text, 'probe_duration_seconds')).toEqual([{ labels: {}, value: 0.0125 }]);
    const labels = { probe: 'h', target: 'lan', type: 'http' };
    expect(value(text, 'mcp_probe_phase_duration_seconds', { ...labels, phase: 'connect' })).toBe(0.002);
    expect(value(text, 'mcp_probe_phase_duration_seconds', { ...labels, phase: 'http' })).toBe(0.01);
    expect(value(text, 'mcp_probe_tls_cert_expiry_timestamp_seconds', labels)).toBe(tls.notAfter / 1000);
    expect(value(text, 'mcp_probe_tls_earliest_expiry_timestamp_seconds', labels)).toBe(tls.earliestNotAfter / 1000);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('a failed run: probe_success 0; no counters, histograms or timestamps (they count across runs: /metrics)', () => {
    const text = runExposition(result({ outcome: 'timeout', success: false, reason: 'timeout after 1s in http' }));
    expect(samples(text, 'probe_success')).toEqual([{ labels: {}, value: 0 }]);
    for (const name of [
      'mcp_probe_success',
      'mcp_probe_runs_total',
      'mcp_probe_duration_seconds_bucket',
      'mcp_probe_last_run_timestamp_seconds',
      'mcp_probe_consecutive_failures',
      'mcpwatch_build_info',
    ])
      expect(text).not.toContain(name);
  });

  it("a catalog run: the type's own gauges (tools and state per server), not its counters", () => {
    const details = noCatalog({
      catalog: { ...noCatalog().catalog, tools: 2, toolsPerServer: { fs: 2, pg: 0 } },
      servers: { fs: { up: true, tools: 2 }, pg: { up: false, tools: 0, reason: 'internal', said: 'internal' } },
      protocol: { era: 'legacy', version: '2025-06-18', via: 'initialize' },
    });
    const text = runExposition(
      result({ probe: 'cat', type: 'mcp_catalog', success: false, outcome: 'expectation_failed', details } as never),
    );
    const labels = { probe: 'cat', target: 'lan', type: 'mcp_catalog' };
    expect(value(text, 'mcp_catalog_tools', { ...labels, server: 'fs' })).toBe(2);
    expect(value(text, 'mcp_catalog_server_up', { ...labels, server: 'fs' })).toBe(1);
    expect(value(text, 'mcp_catalog_server_up', { ...labels, server: 'pg' })).toBe(0);
    expect(
      value(text, 'mcp_probe_protocol_info', { probe: 'cat', target: 'lan', era: 'legacy', version: '2025-06-18' }),
    ).toBe(1);
    expect(text).not.toContain('mcp_catalog_server_failures_total');
    expect(text).not.toContain('mcp_catalog_changes_total');
  });

  it('comments come first, a line each', () => {
    const text = runExposition(result({}), ['reused: the run asked for 1.0 s before\nthis one']);
    expect(text.split('\n')[0]).toBe('# reused: the run asked for 1.0 s before this one');
    expect(text.split('\n')[1]).toBe('# HELP probe_success Whether the run succeeded (1) or not (0).');
  });

  it('each answer is its own: nothing carries over from one run to the next', () => {
    runExposition(result({ phases: { connect: 1, http: 2 } }));
    const text = runExposition(result({ phases: { http: 3 } }));
    expect(samples(text, 'mcp_probe_phase_duration_seconds').map((s) => s.labels.phase)).toEqual(['http']);
  });
});
