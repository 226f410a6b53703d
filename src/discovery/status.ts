// Pure: a target's discovery as /status shows it.
import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/parse.js';
import { expandTarget } from './expand.js';
import type { ListSource, ListState } from './servers.js';

/** One server of a target's list in /status. */
export interface DiscoveredServerStatus {
  name: string;
  /** In the target's `exclude`: never probed. */
  excluded?: true;
  /** The probes discovered for it (of every shard). */
  probes: string[];
  /** Templates left out for it: a configured probe of that type asks for the server (type → the probe). */
  configured?: Record<string, string>;
}

/** One target's discovery in /status. */
export interface DiscoveryStatus {
  target: string;
  /** How often the list is read. */
  every: string;
  /** The list in use: where it came from and when it was read; absent until one is known. */
  list?: {
    source: ListSource;
    readAt: string;
    /** Read back from stateDir at start, not read from the gateway since. */
    restored?: true;
    servers: DiscoveredServerStatus[];
  };
  /** The last attempt to read it; absent before the first. A failed one keeps the list in use. */
  lastAttempt?: { at: string; ok: boolean; source?: ListSource; error?: string };
}

/** Pure: the discovery of each target with a `discover` block, in the config's order. */
export function discoveryStatus(config: Config, stateOf: (target: string) => ListState | undefined): DiscoveryStatus[] {
  return Object.entries(config.discover ?? {}).map(([target, spec]) => {
    const state = stateOf(target);
    const known = state?.known;
    const last = state?.last;
    return {
      target,
      every: formatDuration(spec.everyMs),
      ...(known && {
        list: {
          source: known.source,
          readAt: new Date(known.at).toISOString(),
          ...(known.restored && { restored: true as const }),
          servers: expandTarget(config, target, known.servers).map((s) => ({
            name: s.server,
            ...(s.excluded && { excluded: true as const }),
            probes: s.probes.map((p) => p.name),
            ...(Object.keys(s.configured).length > 0 && { configured: s.configured }),
          })),
        },
      }),
      ...(last && {
        lastAttempt: {
          at: new Date(last.at).toISOString(),
          ok: last.ok,
          ...(last.source && { source: last.source }),
          ...(last.error !== undefined && { error: last.error }),
        },
      }),
    };
  });
}
