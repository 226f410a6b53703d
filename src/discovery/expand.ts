// Pure: a target's discover templates expanded over the servers its gateway lists, merged with the configured
// probes (a configured probe for a server wins over a discovered one of the same type).
import type { Config, Probe } from '../config/parse.js';

/** The known server list of each target with a `discover` block (a target not listed: none known yet). */
export type ServerLists = ReadonlyMap<string, readonly string[]>;

/** What discovery makes of one server of a target's list. */
export interface DiscoveredServer {
  server: string;
  /** In the target's `exclude`: never probed. */
  excluded: boolean;
  /** The probes made for it from the templates. */
  probes: Probe[];
  /** Templates left out for it, because a configured probe of that type asks for the server: type → its name. */
  configured: Record<string, string>;
}

/**
 * A discovered probe's name: `{target}/{server}/{type}`. A configured probe's name has no `/` (the config refuses
 * one), so the two never meet.
 */
export function discoveredName(target: string, server: string, type: string): string {
  return `${target}/${server}/${type}`;
}

/**
 * Pure: what the templates of `target` make of its servers (in list order): for each server not excluded, a probe
 * per template named `{target}/{server}/{type}` with `servers: [server]`, unless a configured probe of the target and
 * that type asks for the server (its `servers` lists it).
 */
export function expandTarget(config: Config, target: string, servers: readonly string[]): DiscoveredServer[] {
  const spec = config.discover?.[target];
  if (!spec) return [];
  const configured = new Map<string, string>();
  for (const p of config.probes)
    if (p.target === target && 'servers' in p) for (const s of p.servers) configured.set(`${p.type}\u0000${s}`, p.name);
  const exclude = new Set(spec.exclude);
  return servers.map((server) => {
    const out: DiscoveredServer = { server, excluded: exclude.has(server), probes: [], configured: {} };
    if (out.excluded) return out;
    for (const t of spec.templates) {
      const by = configured.get(`${t.type}\u0000${server}`);
      if (by !== undefined) out.configured[t.type] = by;
      // A template's type takes servers (the config refuses one that does not): the probe is of that type.
      else out.probes.push({ ...t, name: discoveredName(target, server, t.type), servers: [server] } as Probe);
    }
    return out;
  });
}

/** Pure: every target's discovered probes, target by target in the config's order. */
export function discoveredProbes(config: Config, lists: ServerLists): Probe[] {
  return Object.keys(config.discover ?? {}).flatMap((target) =>
    expandTarget(config, target, lists.get(target) ?? []).flatMap((s) => s.probes),
  );
}

/** Pure: `config` with its discovered probes after the configured ones (what the agent runs: shards apply to both). */
export function withDiscovered(config: Config, lists: ServerLists): Config {
  const found = discoveredProbes(config, lists);
  return found.length === 0 ? config : { ...config, probes: [...config.probes, ...found] };
}
