// The findings only a live try of an entry gives (check-clients --live, the client_config probe): the servers
// its x-mcp-servers names that listed no tools, told apart as the gateway's outage or the file's mistake.
import { severityOf } from './checks.js';
import type { Finding, LiveFindingCode } from './types.js';

/** A live finding as a result's details hold it (the file, client and entry are the result's). */
export type LiveFinding = Pick<Finding, 'line' | 'message' | 'fix' | 'severity'> & { code: LiveFindingCode };

/**
 * `unknown_server` (error): names the gateway does not have for this key, a mistake in the file.
 * `why`: what showed it (the catalog, the gateway's server list, its refusal).
 */
export function unknownServerFinding(line: number, servers: readonly string[], why: string): LiveFinding {
  return {
    line,
    code: 'unknown_server',
    severity: severityOf('unknown_server'),
    message: `x-mcp-servers names ${servers.join(', ')}, which the gateway does not have for this key: ${why}`,
    fix: 'name servers as the gateway calls them (its mcp_servers), and allowed for this key',
  };
}

/**
 * `server_down` (warning): a server the gateway has, down there now. The entry is right; the outage is the
 * gateway's, which its catalog probes report (`seeAlso`: where, e.g. "the mcp_catalog probes of target lan").
 * `words`: what the gateway said of it, or how its absence showed.
 */
export function serverDownFinding(line: number, server: string, words: string, seeAlso: string): LiveFinding {
  return {
    line,
    code: 'server_down',
    severity: severityOf('server_down'),
    message: `${server} is down at the gateway (${words}): see ${seeAlso}`,
    fix: "nothing in this file: it names the server as the gateway calls it; the outage is the gateway's",
  };
}
