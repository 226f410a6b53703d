import { Registry } from 'prom-client';
import type { ProbeResult } from '../probes/table.js';
import { Pieces, SeriesGauge, type SeriesFamily } from './families.js';
import { ProbeRecorder } from './probe-recorder.js';
import { createMetrics, type Metrics } from './registry.js';

/**
 * One run's series in the Prometheus text format, as blackbox_exporter answers a probe (`/probe` for a scrape):
 * `probe_success` and `probe_duration_seconds` without labels (the scrape config gives them theirs), then the gauges
 * the recorder sets from that run (phases, the TLS expiry, the MCP protocol, the probe type's own gauges) with the
 * labels they have in /metrics. The recorder itself writes them, into a registry of their own made for this answer,
 * so the two expositions cannot disagree. Counters and histograms count across runs: they stay in /metrics.
 * `comments` go first, a `# ` line each.
 */
export function runExposition(result: ProbeResult, comments: readonly string[] = []): string {
  const m = createMetrics(new Registry(), { defaultMetrics: false });
  const recorder = new ProbeRecorder(m);
  recorder.declare([{ name: result.probe, target: result.target, type: result.type }]);
  recorder.record(result);

  const success = new SeriesGauge({
    name: 'probe_success',
    help: 'Whether the run succeeded (1) or not (0).',
    labelNames: [],
  });
  success.set({}, result.success ? 1 : 0);
  const duration = new SeriesGauge({
    name: 'probe_duration_seconds',
    help: 'How long the run took, in seconds.',
    labelNames: [],
  });
  duration.set({}, result.durationMs / 1000);

  const out = new Pieces();
  for (const c of comments) out.add(`# ${c.replace(/\s+/g, ' ')}\n`);
  const families: SeriesFamily[] = [
    success,
    duration,
    m.probePhase,
    m.tlsCertExpiry,
    m.tlsEarliestExpiry,
    m.probeProtocol,
    ...typeGauges(m, result.type),
  ];
  for (const f of families) {
    if (f.size === 0) continue;
    f.writeTo('text', out);
    out.add('\n');
  }
  return out.toString();
}

/** The gauges of the probe's type (its folder's series.ts), as registered. */
function typeGauges(m: Metrics, type: string): SeriesGauge[] {
  const ports: object = m.typeFamilies[type as keyof Metrics['typeFamilies']] ?? {};
  return Object.values(ports).filter((f): f is SeriesGauge => f instanceof SeriesGauge);
}
