import type { Probe } from '../config/parse.js';
import {
  OUTCOMES,
  type CatalogDetails,
  type ClientConfigDetails,
  type GuardDetails,
  type ProbeResult,
  type TokenRequestOutcome,
} from '../probes/types.js';
import type { Metrics } from './registry.js';

type ProbeLabels = { probe: string; target: string; type: string };

const TOKEN_OUTCOMES: readonly TokenRequestOutcome[] = ['ok', 'rejected', 'error'];

interface Series {
  labels: ProbeLabels;
  /** Extra label values set for this probe, per metric, so they can be removed again. */
  phases: Set<string>;
  servers: Set<string>;
  /** Upstream servers with an mcp_catalog_server_up series. */
  upstreams: Set<string>;
  /** Servers with mcp_gateway_server_healthy (and maybe mcp_gateway_health_mismatch) series. */
  healthServers: Set<string>;
  /** "server\0reason" of each mcp_catalog_server_failures_total series. */
  failureSeries: Set<string>;
  tools: Set<string>;
  checks: Set<string>;
  /** "code\0severity" of each mcp_client_config_findings series. */
  findings: Set<string>;
  failStreak: number;
  /** The TLS expiry gauges are set (an https target). */
  tls: boolean;
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
  declare(probes: readonly Probe[], oauthTargets: readonly string[] = []): void {
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
      this.series.set(name, {
        labels,
        phases: new Set(),
        servers: new Set(),
        upstreams: new Set(),
        healthServers: new Set(),
        failureSeries: new Set(),
        tools: new Set(),
        checks: new Set(),
        findings: new Set(),
        failStreak: 0,
        tls: false,
      });
      for (const outcome of OUTCOMES) this.m.probeRuns.inc({ ...labels, outcome }, 0);
      this.m.probeSkipped.inc(labels, 0);
      if (labels.type === 'mcp_catalog') this.m.catalogChanges.inc(labels, 0);
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

  skipped(probe: Probe): void {
    const s = this.series.get(probe.name);
    if (s) this.m.probeSkipped.inc(s.labels);
  }

  /** Catalog and auth facts, from the details of MCP probe results. */
  private recordDetails(s: Series, result: ProbeResult): void {
    switch (result.type) {
      case 'mcp_catalog':
        if (result.details && 'catalog' in result.details) this.recordCatalog(s, result.details);
        return;
      case 'auth_guard':
        if (result.details && 'authChecks' in result.details) this.recordGuard(s, result.details);
        return;
      case 'client_config':
        if (result.details) this.recordClientFindings(s, result.details);
        return;
      case 'http':
      case 'mcp_call':
        return;
    }
  }

  /**
   * Findings per code and severity; codes no longer found go back to 0 (an alert resolves), a probe's series go with
   * it.
   */
  private recordClientFindings(s: Series, d: ClientConfigDetails): void {
    const counts = new Map<string, number>();
    for (const f of d.findings)
      counts.set(`${f.code}\u0000${f.severity}`, (counts.get(`${f.code}\u0000${f.severity}`) ?? 0) + 1);
    for (const key of new Set([...s.findings, ...counts.keys()])) {
      const [code, severity] = key.split('\u0000') as [string, string];
      this.m.clientConfigFindings.set({ ...s.labels, code, severity }, counts.get(key) ?? 0);
      s.findings.add(key);
    }
  }

  private recordCatalog(s: Series, d: CatalogDetails): void {
    const { labels } = s;
    const servers = new Set(Object.keys(d.catalog.toolsPerServer));
    for (const server of s.servers) if (!servers.has(server)) this.m.catalogTools.remove({ ...labels, server });
    for (const [server, n] of Object.entries(d.catalog.toolsPerServer))
      this.m.catalogTools.set({ ...labels, server }, n);
    s.servers = servers;
    if (d.catalog.changed) this.m.catalogChanges.inc(labels);
    const expected = d.expectedTools;
    for (const tool of s.tools) if (!(tool in expected)) this.m.catalogToolPresent.remove({ ...labels, tool });
    for (const [tool, present] of Object.entries(expected))
      this.m.catalogToolPresent.set({ ...labels, tool }, present ? 1 : 0);
    s.tools = new Set(Object.keys(expected));
    if (d.servers) {
      for (const server of s.upstreams)
        if (!(server in d.servers)) this.m.catalogServerUp.remove({ ...labels, server });
      for (const [server, st] of Object.entries(d.servers)) {
        this.m.catalogServerUp.set({ ...labels, server }, st.up ? 1 : 0);
        if (!st.up) {
          this.m.catalogServerFailures.inc({ ...labels, server, reason: st.reason });
          s.failureSeries.add(`${server}\u0000${st.reason}`);
        }
      }
      s.upstreams = new Set(Object.keys(d.servers));
    }
    // A health check that could not be read leaves the last values: it says nothing new.
    if (d.gatewayHealth && !d.gatewayHealth.error) {
      const health = d.gatewayHealth.servers;
      for (const server of s.healthServers) {
        if (!(server in health)) this.m.gatewayServerHealthy.remove({ ...labels, server });
        if (health[server]?.mismatch === undefined) this.m.gatewayHealthMismatch.remove({ ...labels, server });
      }
      for (const [server, h] of Object.entries(health)) {
        this.m.gatewayServerHealthy.set({ ...labels, server }, h.healthy ? 1 : 0);
        if (h.mismatch !== undefined) this.m.gatewayHealthMismatch.set({ ...labels, server }, h.mismatch ? 1 : 0);
      }
      s.healthServers = new Set(Object.keys(health));
    }
  }

  private recordGuard(s: Series, d: GuardDetails): void {
    for (const [check, r] of Object.entries(d.authChecks)) {
      if (r.enforced === undefined) continue;
      this.m.authEnforced.set({ ...s.labels, check }, r.enforced ? 1 : 0);
      s.checks.add(check);
    }
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
    for (const server of s.servers) this.m.catalogTools.remove({ ...labels, server });
    for (const tool of s.tools) this.m.catalogToolPresent.remove({ ...labels, tool });
    for (const server of s.upstreams) this.m.catalogServerUp.remove({ ...labels, server });
    for (const server of s.healthServers) {
      this.m.gatewayServerHealthy.remove({ ...labels, server });
      this.m.gatewayHealthMismatch.remove({ ...labels, server });
    }
    for (const key of s.failureSeries) {
      const [server, reason] = key.split('\u0000') as [string, string];
      this.m.catalogServerFailures.remove({ ...labels, server, reason });
    }
    for (const check of s.checks) this.m.authEnforced.remove({ ...labels, check });
    for (const key of s.findings) {
      const [code, severity] = key.split('\u0000') as [string, string];
      this.m.clientConfigFindings.remove({ ...labels, code, severity });
    }
    this.m.catalogChanges.remove(labels);
    this.series.delete(name);
  }
}

function labelsOf(p: Probe): ProbeLabels {
  return { probe: p.name, target: p.target, type: p.type };
}
