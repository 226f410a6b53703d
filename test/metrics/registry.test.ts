import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesCounter, SeriesGauge, SeriesHistogram } from '../../src/metrics/families.js';
import { createMetrics, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../../src/metrics/registry.js';
import { PROBE_TYPES, probeTypeOf } from '../../src/probes/table.js';
import { VERSION } from '../../src/version.js';
import { value } from '../support/exposition.js';

// Every metric mcpwatch exports, made once on one Registry: each family registered once, each probe
// type's own families made from the probe table, and a second set of them on another Registry.

const PROBE_LABELS = ['probe', 'target', 'type'];

describe('createMetrics', () => {
  it('registers every family once, the probe families with the probe labels', () => {
    const registry = new Registry();
    const m = createMetrics(registry, { defaultMetrics: false });
    const names = registry.getMetricsAsArray().map((x) => x.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of [
      'mcp_probe_success',
      'mcp_probe_duration_seconds',
      'mcp_probe_runs_total',
      'mcp_probe_phase_duration_seconds',
      'mcp_probe_consecutive_failures',
      'mcp_probe_tls_cert_expiry_timestamp_seconds',
      'mcp_oauth_token_requests_total',
      'mcpwatch_probe_skipped_runs_total',
      'mcpwatch_log_matches_total',
      'mcpwatch_build_info',
      'mcpwatch_config_last_reload_successful',
      'mcpwatch_shard_info',
    ])
      expect(names).toContain(name);
    expect(m.probeSuccess).toBeInstanceOf(SeriesGauge);
    expect(m.probeDuration).toBeInstanceOf(SeriesHistogram);
    expect(m.probeRuns).toBeInstanceOf(SeriesCounter);
    expect(m.probeSuccess.labelNames).toEqual(PROBE_LABELS);
    expect(m.probeRuns.labelNames).toEqual([...PROBE_LABELS, 'outcome']);
    expect(m.probePhase.labelNames).toEqual([...PROBE_LABELS, 'phase']);
    expect(m.registry).toBe(registry);
    // Docker's gauge waits until log tailing is configured.
    expect(names).not.toContain('mcpwatch_docker_up');
    // Without the default metrics, nothing of Node's.
    expect(names.some((n) => n.startsWith('nodejs_') || n.startsWith('process_'))).toBe(false);
  });

  it("each probe type's families from the table: the probe labels plus its own, registered with the rest", () => {
    const registry = new Registry();
    const m = createMetrics(registry, { defaultMetrics: false });
    for (const type of PROBE_TYPES) {
      const defs = probeTypeOf(type)?.series?.families;
      if (!defs) {
        expect(m.typeFamilies).not.toHaveProperty(type);
        continue;
      }
      const ports = m.typeFamilies[type] as Record<string, SeriesGauge | SeriesCounter>;
      expect(Object.keys(ports).sort()).toEqual(Object.keys(defs).sort());
      for (const [key, d] of Object.entries(defs)) {
        const f = ports[key]!;
        expect(f).toBeInstanceOf(d.kind === 'gauge' ? SeriesGauge : SeriesCounter);
        expect(f.name).toBe(d.name);
        expect(f.help).toBe(d.help);
        expect(f.labelNames).toEqual([...PROBE_LABELS, ...d.labels]);
        expect(registry.getSingleMetric(d.name)).toBe(f);
      }
    }
    // The types that record series of their own, and one that does not.
    expect(Object.keys(m.typeFamilies).sort()).toEqual(['auth_guard', 'client_config', 'mcp_catalog']);
    expect(m.typeFamilies).not.toHaveProperty('http');
  });

  it('writes what it is given; build info is set from the start', async () => {
    const registry = new Registry();
    const m = createMetrics(registry, { defaultMetrics: false });
    m.probeSuccess.set({ probe: 'web', target: 'gw', type: 'http' }, 1);
    const ports = m.typeFamilies.auth_guard as unknown as Record<string, SeriesGauge>;
    const [port] = Object.values(ports);
    port!.set({ probe: 'g', target: 'gw', type: 'auth_guard', check: 'no_key' }, 1);
    const text = await registry.metrics();
    expect(value(text, 'mcp_probe_success', { probe: 'web', target: 'gw', type: 'http' })).toBe(1);
    expect(value(text, port!.name, { probe: 'g', target: 'gw', type: 'auth_guard', check: 'no_key' })).toBe(1);
    expect(value(text, 'mcpwatch_build_info', { version: VERSION, node_version: process.version })).toBe(1);
  });

  it("Node's default metrics, without the gauges named like counters", () => {
    const registry = new Registry();
    createMetrics(registry);
    const names = registry.getMetricsAsArray().map((x) => x.name);
    expect(names).toContain('process_cpu_user_seconds_total');
    expect(names).toContain('nodejs_eventloop_lag_seconds');
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      expect(names).not.toContain(n);
  });

  it('a second createMetrics on a new Registry works, and its series are its own', async () => {
    const a = new Registry();
    const b = new Registry();
    const ma = createMetrics(a, { defaultMetrics: false });
    const mb = createMetrics(b, { defaultMetrics: false });
    expect(b.getMetricsAsArray().map((x) => x.name)).toEqual(a.getMetricsAsArray().map((x) => x.name));
    expect(mb.probeSuccess).not.toBe(ma.probeSuccess);
    ma.probeSuccess.set({ probe: 'only-a', target: 't', type: 'http' }, 1);
    ma.logLines.inc({ container: 'litellm', stream: 'stdout' });
    const textB = await b.metrics();
    expect(textB).not.toContain('only-a');
    expect(value(textB, 'mcpwatch_log_lines_total', { container: 'litellm', stream: 'stdout' })).toBeUndefined();
    expect(value(await a.metrics(), 'mcpwatch_log_lines_total', { container: 'litellm', stream: 'stdout' })).toBe(1);
  });

  it('the same Registry twice is refused (every family is registered once)', () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    expect(() => createMetrics(registry, { defaultMetrics: false })).toThrow(/already been registered/);
  });

  it('the content types of both formats', () => {
    expect(PROMETHEUS_CONTENT_TYPE).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(OPENMETRICS_CONTENT_TYPE).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
  });
});
