// Pure: the servers a client entry names (x-mcp-servers) that listed no tools in its own request, told apart:
// a server the gateway has that is down now (the gateway's outage, which its catalog probes report), or a name the
// gateway never had (the file's mistake).
import { describeDownServers, serverStates } from '../mcp-catalog/verdict.js';
import type { ServerOutcomes } from '../types.js';

/** The named servers that listed nothing, by why. */
export interface NamedServers {
  /** Servers the gateway has, down now: what it said of each (its status and hint), or how it showed. */
  down: Array<{ server: string; words: string }>;
  /** Names the gateway does not have for this key, as far as what is known here tells. */
  unknown: string[];
}

/** A server in the gateway's list that listed nothing: LiteLLM 1.77 says no more than that. */
const LISTED_NOTHING =
  "in the gateway's server list, but it listed no tools and the gateway gave no reason " +
  '(LiteLLM 1.77: an upstream that fails to start lists nothing)';

/**
 * Pure: each server `named` that listed no tools (`perServer`, the entry's own tools/list). The gateway knows a
 * server it reported on (`outcomes`: LiteLLM 1.108+'s server_outcomes, on a 200 or on the error of a list where
 * every server failed) or that its server list holds (`known`: GET /v1/mcp/server with the target's key; undefined
 * when not read): such a server is down. Any other is unknown.
 */
export function namedServers(
  named: readonly string[],
  perServer: Readonly<Record<string, number>>,
  outcomes: ServerOutcomes,
  known?: ReadonlySet<string>,
): NamedServers {
  const states = serverStates(named, perServer, outcomes);
  const out: NamedServers = { down: [], unknown: [] };
  for (const server of new Set(named)) {
    const st = states[server];
    if (!st || st.up) continue;
    if (outcomes[server] !== undefined) {
      const said = describeDownServers({ [server]: st })[0]!;
      out.down.push({ server, words: `the gateway says ${said.slice(server.length + 2)}` });
    } else if (known?.has(server)) out.down.push({ server, words: LISTED_NOTHING });
    else out.unknown.push(server);
  }
  return out;
}
