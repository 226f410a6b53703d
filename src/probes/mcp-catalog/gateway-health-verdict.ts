import type { ServerState } from '../types.js';
import type { GatewayServerHealth } from './details.js';

/**
 * Pure: the id → name map of LiteLLM's `GET /v1/mcp/server` (`[{server_id, server_name|alias, …}]`).
 * Only those two fields are read: the rest of each entry holds the server's `env` (a database URL
 * with its password, in clear), which must never be kept, logged or shown.
 */
export function serverNamesOf(body: unknown): Map<string, string> {
  const names = new Map<string, string>();
  const list = Array.isArray(body)
    ? body
    : Array.isArray((body as { servers?: unknown } | null)?.servers)
      ? (body as { servers: unknown[] }).servers
      : [];
  for (const e of list) {
    const o = e as Record<string, unknown> | null;
    const id = o?.server_id;
    const name = o?.server_name ?? o?.alias;
    if (typeof id === 'string' && typeof name === 'string' && name) names.set(id, name);
  }
  return names;
}

/**
 * Pure: LiteLLM's `GET /v1/mcp/server/health` in both shapes: 1.109's `[{server_id, status}]` and
 * 1.77's `{servers: {<id>: {server_id, status, tools_count, …}}}`. Status is the gateway's word.
 */
export function healthEntriesOf(body: unknown): Array<{ id: string; status: string }> {
  const o = body as Record<string, unknown> | null;
  const list = Array.isArray(body)
    ? body
    : o && typeof o.servers === 'object' && o.servers !== null
      ? Object.values(o.servers as object)
      : [];
  const out: Array<{ id: string; status: string }> = [];
  for (const e of list) {
    const x = e as Record<string, unknown> | null;
    if (typeof x?.server_id === 'string' && typeof x.status === 'string')
      out.push({ id: x.server_id, status: x.status });
  }
  return out;
}

/**
 * Pure: the gateway's own health per server (by name; an id it did not name stays an id), set
 * against what the catalog showed: a mismatch is "healthy" for a server that listed nothing, or the
 * reverse (both known LiteLLM bugs: #18134, #40079). Servers the catalog did not ask about get no
 * mismatch.
 */
export function compareGatewayHealth(
  names: ReadonlyMap<string, string>,
  health: ReadonlyArray<{ id: string; status: string }>,
  servers: Readonly<Record<string, ServerState>>,
): Record<string, GatewayServerHealth> {
  const out: Record<string, GatewayServerHealth> = {};
  for (const { id, status } of health) {
    const name = names.get(id) ?? id;
    const healthy = status.toLowerCase() === 'healthy';
    const seen = servers[name];
    out[name] = { healthy, status, ...(seen && { mismatch: healthy !== seen.up }) };
  }
  return out;
}

/** "mcp_broken: the gateway says healthy, the catalog showed it down" for each mismatch. */
export function describeMismatches(health: Readonly<Record<string, GatewayServerHealth>>): string[] {
  return Object.entries(health)
    .filter(([, h]) => h.mismatch)
    .map(([name, h]) => `${name}: the gateway says ${h.status}, the catalog showed it ${h.healthy ? 'down' : 'up'}`);
}
