import { probeTypeOf, type ProbeResult } from '../probes/table.js';

/**
 * The upstream servers mcpwatch's probes found down in their last runs. The gateway's log errors about such a
 * server are that outage's: the probes already report it (MCPUpstreamServerDown), so they are counted with
 * `cause="server_down"` and the log's own alert leaves them out (one outage, one alarm).
 *
 * Servers are known by name, across targets: a server named alike at two gateways, down at one, explains the
 * other's log errors too.
 */
export class DownServers {
  private readonly byProbe = new Map<string, readonly string[]>();
  private counts = new Map<string, number>();

  /**
   * A probe's run: the servers it found down replace what its last run found. A run that could not tell (the
   * gateway did not answer) leaves them: the outage it last saw is still the best knowledge.
   */
  result(result: ProbeResult): void {
    const down = probeTypeOf(result.type)?.serversDown?.(result);
    if (down === undefined || (down.length === 0 && !this.byProbe.has(result.probe))) return;
    if (down.length === 0) this.byProbe.delete(result.probe);
    else this.byProbe.set(result.probe, down);
    this.recount();
  }

  /** Probes the config no longer has. */
  retain(names: ReadonlySet<string>): void {
    let changed = false;
    for (const name of this.byProbe.keys()) if (!names.has(name)) changed = this.byProbe.delete(name) || changed;
    if (changed) this.recount();
  }

  isDown(server: string): boolean {
    return (this.counts.get(server) ?? 0) > 0;
  }

  private recount(): void {
    const counts = new Map<string, number>();
    for (const servers of this.byProbe.values()) for (const s of servers) counts.set(s, (counts.get(s) ?? 0) + 1);
    this.counts = counts;
  }
}
