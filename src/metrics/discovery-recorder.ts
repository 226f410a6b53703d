import type { Metrics } from './registry.js';

/** Which way a server changed in a target's list (`mcp_discovery_changes_total{change}`). */
export const DISCOVERY_CHANGES = ['added', 'removed'] as const;

/**
 * Turns what discovery reports into metrics (src/discovery/discovery.ts's sink). The only place that writes the
 * `mcp_discovery_*` families; a server gone from the list loses its series, a target no longer discovered all of its.
 */
export class DiscoveryRecorder {
  /** The servers with an info series, by target. */
  private readonly listed = new Map<string, Set<string>>();

  constructor(private readonly m: Metrics) {}

  /** A target discovered from now on: its change counters start at 0, so increase() works from the first change. */
  declare(target: string): void {
    for (const change of DISCOVERY_CHANGES) this.m.discoveryChanges.inc({ target, change }, 0);
  }

  attempt(target: string, ok: boolean): void {
    this.m.discoverySuccess.set({ target }, ok ? 1 : 0);
  }

  /** The list in use: one info series per server, none for a server no longer listed. */
  servers(target: string, servers: readonly string[]): void {
    const now = new Set(servers);
    for (const server of this.listed.get(target) ?? [])
      if (!now.has(server)) this.m.discoveryServerInfo.remove({ target, server });
    for (const server of now) this.m.discoveryServerInfo.set({ target, server }, 1);
    this.listed.set(target, now);
    this.m.discoveryServers.set({ target }, now.size);
  }

  changed(target: string, change: { added: readonly string[]; removed: readonly string[] }): void {
    if (change.added.length > 0) this.m.discoveryChanges.inc({ target, change: 'added' }, change.added.length);
    if (change.removed.length > 0) this.m.discoveryChanges.inc({ target, change: 'removed' }, change.removed.length);
  }

  forget(target: string): void {
    for (const server of this.listed.get(target) ?? []) this.m.discoveryServerInfo.remove({ target, server });
    this.listed.delete(target);
    this.m.discoverySuccess.remove({ target });
    this.m.discoveryServers.remove({ target });
    for (const change of DISCOVERY_CHANGES) this.m.discoveryChanges.remove({ target, change });
  }
}
