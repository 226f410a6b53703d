import type { GatewayVersion } from '../gateway-state/build-version.js';
import { HEALTH_STATUSES } from '../gateway-state/container-facts.js';
import type { ContainerFacts } from '../gateway-state/container-track.js';
import type { GatewaySink } from '../gateway-state/gateway-watch.js';
import { budgetRemaining, type KeyInfo } from '../gateway-state/key-info.js';
import type { Metrics } from './registry.js';

/**
 * Turns what the gateway watch reports into metrics. The only place that writes the `mcp_gateway_container_*`,
 * `mcp_gateway_restart_pending`, `mcp_gateway_build_info` and `mcp_key_*` families. The watch reports totals (kept
 * across mcpwatch restarts); the counters are raised by what a total grew by.
 */
export class GatewayRecorder implements GatewaySink {
  private readonly totals = new Map<string, { restarts: number; ooms: number }>();
  private readonly builds = new Map<string, GatewayVersion>();

  constructor(private readonly m: Metrics) {}

  /**
   * A container is followed: its series come with the first look, the counters at the totals kept in stateDir (a 0
   * first would read as that many restarts after an mcpwatch restart).
   */
  containerAdded(container: string): void {
    this.totals.delete(container);
  }

  containerRemoved(container: string): void {
    for (const g of [this.m.containerRunning, this.m.containerExitCode, this.m.containerStarted, this.m.restartPending])
      g.remove({ container });
    this.m.containerRestarts.remove({ container });
    this.m.containerOomKills.remove({ container });
    for (const status of HEALTH_STATUSES) this.m.containerHealth.remove({ container, status });
    this.totals.delete(container);
  }

  containerFacts(f: ContainerFacts): void {
    const container = f.container;
    const was = this.totals.get(container) ?? { restarts: 0, ooms: 0 };
    // The first look creates the series (at 0 too, so increase() works from the first restart).
    this.m.containerRestarts.inc({ container }, Math.max(0, f.restarts - was.restarts));
    this.m.containerOomKills.inc({ container }, Math.max(0, f.ooms - was.ooms));
    this.totals.set(container, { restarts: Math.max(was.restarts, f.restarts), ooms: Math.max(was.ooms, f.ooms) });
    this.m.containerRunning.set({ container }, f.running ? 1 : 0);
    this.health(container, f.health);
    if (f.exitCode !== undefined) this.m.containerExitCode.set({ container }, f.exitCode);
    if (f.startedAtMs !== undefined) this.m.containerStarted.set({ container }, f.startedAtMs / 1000);
    this.m.restartPending.set({ container }, f.pending.length > 0 ? 1 : 0);
  }

  buildInfo(target: string, v: GatewayVersion | undefined): void {
    const old = this.builds.get(target);
    if (old) this.m.gatewayBuildInfo.remove({ target, ...old });
    this.builds.delete(target);
    if (!v) return;
    this.m.gatewayBuildInfo.set({ target, version: v.version, source: v.source }, 1);
    this.builds.set(target, v);
  }

  /**
   * A named key's answer: the series it knows set, the others removed (a key that never expires has no expiry series,
   * an unlimited one no budget). A key refused as expired keeps the expiry its refusal names (in the past), one refused
   * as blocked is blocked; nothing is known of a key the gateway cannot tell about (no database) or refuses otherwise.
   * An ask that failed (no answer, an unexpected one) leaves the series as they were: a gateway down for a while does
   * not end an expiry alert. Undefined: the key is gone, every series of it removed.
   */
  keyLifetime(target: string, key: string, info: KeyInfo | undefined): void {
    if (info?.state === 'error') return;
    const labels = { target, key };
    const set = (g: { set(l: typeof labels, v: number): void; remove(l: typeof labels): void }, v: number | null) => {
      if (v === null) g.remove(labels);
      else g.set(labels, v);
    };
    const ok = info?.state === 'ok' ? info : undefined;
    const expiresAt = ok ? ok.expiresAt : info?.state === 'expired' ? info.expiresAt : null;
    set(this.m.keyExpiry, expiresAt === null ? null : expiresAt / 1000);
    set(this.m.keyBudgetMax, ok ? ok.maxBudget : null);
    set(this.m.keyBudgetRemaining, ok ? budgetRemaining(ok) : null);
    set(this.m.keyBlocked, ok ? (ok.blocked ? 1 : 0) : info?.state === 'blocked' ? 1 : null);
  }

  private health(container: string, current: string): void {
    for (const status of HEALTH_STATUSES) this.m.containerHealth.set({ container, status }, status === current ? 1 : 0);
  }
}
