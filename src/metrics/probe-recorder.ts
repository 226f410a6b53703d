import type { Probe } from '../config/parse.js';
import { probeTypeOf, type ProbeResult } from '../probes/table.js';
import { OUTCOMES, type TokenRequestOutcome } from '../probes/types.js';
import type { Metrics } from './registry.js';

type ProbeLabels = { probe: string; target: string; type: string };
/** What the recorder reads of a configured probe: its labels. */
export type RecordedProbe = Pick<Probe, 'name' | 'target' | 'type'> & { key?: string | undefined };

const TOKEN_OUTCOMES: readonly TokenRequestOutcome[] = ['ok', 'rejected', 'error'];

interface Series {
  labels: ProbeLabels;
  /** Phases with a series, so they can be removed again. */
  phases: Set<string>;
  /** What the probe's type keeps of the series it set (its folder's series.ts). */
  typeState: unknown;
  failStreak: number;
  /** The TLS expiry gauges are set (an https target). */
  tls: boolean;
  /** The labels of its mcp_probe_protocol_info series, when set. */
  protocol?: { probe: string; target: string; era: string; version: string };
  /** The labels of its mcp_probe_key_info series (a probe with `key`). */
  key?: { probe: string; target: string; key: string };
}

/** Turns probe results into metrics. The only place that writes probe metrics. */
export class ProbeRecorder {
  private readonly series = new Map<string, Series>();
  /** Targets with oauth2, whose token series exist. */
  private oauthTargets = new Set<string>();

  constructor(private readonly m: Metrics) {}

  /**
   * Makes the set of probes with series match the config: counters of new probes start at 0
   * for every outcome (so rate() and increase() work from the first failure), removed or
   * relabelled probes lose all their series.
   */
  declare(probes: readonly RecordedProbe[], oauthTargets: readonly string[] = []): void {
    const tokenTargets = new Set(oauthTargets);
    for (const target of this.oauthTargets) {
      if (tokenTargets.has(target)) continue;
      for (const outcome of TOKEN_OUTCOMES) this.m.oauthTokenRequests.remove({ target, outcome });
      this.m.oauthTokenExpiry.remove({ target });
    }
    for (const target of tokenTargets) {
      if (!this.oauthTargets.has(target))
        for (const outcome of TOKEN_OUTCOMES) this.m.oauthTokenRequests.inc({ target, outcome }, 0);
    }
    this.oauthTargets = tokenTargets;

    const wanted = new Map(probes.map((p) => [p.name, labelsOf(p)]));
    for (const [name, s] of this.series) {
      const w = wanted.get(name);
      if (!w || w.target !== s.labels.target || w.type !== s.labels.type) this.forget(name);
    }
    for (const [name, labels] of wanted) {
      if (this.series.has(name)) continue;
      const own = this.typeSeries(labels.type);
      this.series.set(name, { labels, phases: new Set(), typeState: own?.def.init(), failStreak: 0, tls: false });
      for (const outcome of OUTCOMES) this.m.probeRuns.inc({ ...labels, outcome }, 0);
      this.m.probeSkipped.inc(labels, 0);
      own?.def.declare?.(own.ports, labels);
    }
    for (const p of probes) this.declareKey(p);
  }

  /** The named key a probe runs as (mcp_probe_key_info): set from the config, the old one removed on a change. */
  private declareKey(p: RecordedProbe): void {
    const s = this.series.get(p.name);
    if (!s) return;
    const labels = p.key !== undefined ? { probe: p.name, target: p.target, key: p.key } : undefined;
    if (s.key && (!labels || s.key.key !== labels.key || s.key.target !== labels.target)) {
      this.m.probeKey.remove(s.key);
      delete s.key;
    }
    if (labels) {
      this.m.probeKey.set(labels, 1);
      s.key = labels;
    }
  }

  /** Whether a result still belongs to the configured probe (a run may finish after a reload). */
  accepts(result: ProbeResult): boolean {
    const s = this.series.get(result.probe);
    return s !== undefined && s.labels.target === result.target && s.labels.type === result.type;
  }

  record(result: ProbeResult): void {
    const s = this.series.get(result.probe);
    if (!s || !this.accepts(result)) return;
    const { labels } = s;
    const endedAt = (result.startedAt + result.durationMs) / 1000;
    const seconds = result.durationMs / 1000;
    this.m.probeSuccess.set(labels, result.success ? 1 : 0);
    this.m.probeDuration.observe(labels, seconds);
    this.m.probeLastDuration.set(labels, seconds);
    this.m.probeRuns.inc({ ...labels, outcome: result.outcome });
    this.m.probeLastRun.set(labels, endedAt);
    if (result.success) this.m.probeLastSuccess.set(labels, endedAt);
    s.failStreak = result.success ? 0 : s.failStreak + 1;
    this.m.probeFailStreak.set(labels, s.failStreak);

    const phases = new Set(Object.keys(result.phases));
    for (const phase of s.phases) if (!phases.has(phase)) this.m.probePhase.remove({ ...labels, phase });
    for (const [phase, ms] of Object.entries(result.phases))
      this.m.probePhase.set({ ...labels, phase }, (ms ?? 0) / 1000);
    s.phases = phases;

    this.recordTls(s, result);
    this.recordProtocol(s, result);
    this.recordOAuth(result);
    this.recordDetails(s, result);
  }

  /**
   * Token requests of the run, per target (the token is the target's, shared by its probes), and the expiry of the
   * token it used.
   */
  private recordOAuth(result: ProbeResult): void {
    const o = result.oauth;
    if (!o || !this.oauthTargets.has(result.target)) return;
    for (const r of o.requests) this.m.oauthTokenRequests.inc({ target: result.target, outcome: r.outcome });
    if (o.expiresAt !== undefined && o.token !== 'none')
      this.m.oauthTokenExpiry.set({ target: result.target }, o.expiresAt / 1000);
  }

  /**
   * The certificate's expiry from every run that connected over TLS. A run that did not get that
   * far leaves the last values (the certificate did not change); one that succeeded without TLS
   * (the target is no longer https) removes them.
   */
  private recordTls(s: Series, result: ProbeResult): void {
    if (result.tls) {
      this.m.tlsCertExpiry.set(s.labels, result.tls.notAfter / 1000);
      this.m.tlsEarliestExpiry.set(s.labels, result.tls.earliestNotAfter / 1000);
      s.tls = true;
    } else if (s.tls && result.success) {
      this.m.tlsCertExpiry.remove(s.labels);
      this.m.tlsEarliestExpiry.remove(s.labels);
      s.tls = false;
    }
  }

  /** What the run spoke (an MCP run's `details.protocol`): one series per probe, the old one removed on a change. */
  private recordProtocol(s: Series, result: ProbeResult): void {
    const p = (result.details as { protocol?: { era?: unknown; version?: unknown } } | undefined)?.protocol;
    if (typeof p?.era !== 'string' || typeof p.version !== 'string') return;
    const labels = { probe: s.labels.probe, target: s.labels.target, era: p.era, version: p.version };
    if (s.protocol && (s.protocol.era !== labels.era || s.protocol.version !== labels.version))
      this.m.probeProtocol.remove(s.protocol);
    this.m.probeProtocol.set(labels, 1);
    s.protocol = labels;
  }

  skipped(probe: Probe): void {
    const s = this.series.get(probe.name);
    if (s) this.m.probeSkipped.inc(s.labels);
  }

  /** What the probe's type records from its details (its folder's series.ts). */
  private recordDetails(s: Series, result: ProbeResult): void {
    const own = this.typeSeries(result.type);
    own?.def.record(own.ports, s.labels, s.typeState, result.details);
  }

  /** A type's series definition and its families, when it records any. */
  private typeSeries(type: string) {
    const def = probeTypeOf(type)?.series;
    const ports = this.m.typeFamilies[type as keyof Metrics['typeFamilies']];
    return def && ports ? { def, ports } : undefined;
  }

  private forget(name: string): void {
    const s = this.series.get(name);
    if (!s) return;
    const { labels } = s;
    for (const g of [
      this.m.probeSuccess,
      this.m.probeLastDuration,
      this.m.probeLastRun,
      this.m.probeLastSuccess,
      this.m.probeFailStreak,
      this.m.tlsCertExpiry,
      this.m.tlsEarliestExpiry,
    ])
      g.remove(labels);
    this.m.probeDuration.remove(labels);
    this.m.probeSkipped.remove(labels);
    for (const outcome of OUTCOMES) this.m.probeRuns.remove({ ...labels, outcome });
    for (const phase of s.phases) this.m.probePhase.remove({ ...labels, phase });
    if (s.protocol) this.m.probeProtocol.remove(s.protocol);
    if (s.key) this.m.probeKey.remove(s.key);
    const own = this.typeSeries(labels.type);
    own?.def.forget(own.ports, labels, s.typeState);
    this.series.delete(name);
  }
}

function labelsOf(p: RecordedProbe): ProbeLabels {
  return { probe: p.name, target: p.target, type: p.type };
}
