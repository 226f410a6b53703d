// Pure: the servers config.yaml declares set against those the gateway has (`GET /v1/mcp/server`).
import { finding } from './checks.js';
import type { GatewayConfig, GatewayFinding } from './types.js';

/** A server in the gateway's list: its name, and its alias when it has one. Nothing else of the entry is kept. */
export interface GatewayServer {
  name: string;
  alias?: string;
}

/**
 * The servers of LiteLLM's `GET /v1/mcp/server` (a list, or `{servers: [...]}`): `server_name` and `alias` only;
 * the rest of each entry holds the server's env (passwords in clear), which is never kept.
 */
export function gatewayServersOf(body: unknown): GatewayServer[] {
  const list = Array.isArray(body)
    ? body
    : Array.isArray((body as { servers?: unknown } | null)?.servers)
      ? (body as { servers: unknown[] }).servers
      : undefined;
  if (!list) throw new Error('/v1/mcp/server answered something else than a list of servers');
  const out: GatewayServer[] = [];
  for (const e of list) {
    const o = e as Record<string, unknown> | null;
    const name = typeof o?.server_name === 'string' && o.server_name ? o.server_name : undefined;
    const alias = typeof o?.alias === 'string' && o.alias ? o.alias : undefined;
    const shown = name ?? alias;
    if (shown) out.push({ name: shown, ...(alias && alias !== shown && { alias }) });
  }
  return out;
}

/**
 * A declared server the gateway does not have (LiteLLM dropped it, or runs another file): an error at its line.
 * A server the gateway has that the file does not declare (added through the UI or the database): a warning at
 * `mcp_servers` (or line 1).
 */
export function compareServers(
  cfg: GatewayConfig,
  target: string,
  servers: readonly GatewayServer[],
): GatewayFinding[] {
  const has = new Set(servers.flatMap((s) => [s.name, ...(s.alias ? [s.alias] : [])]));
  const declared = new Set(cfg.servers.map((s) => s.name));
  const names = [...new Set(servers.map((s) => s.name))];
  const out: GatewayFinding[] = [];
  for (const s of cfg.servers) {
    if (has.has(s.name)) continue;
    out.push(
      finding(
        { file: cfg.file, line: s.line, server: s.name },
        'missing_at_gateway',
        `declared here, but the gateway of target ${target} does not have it ` +
          `(its servers: ${names.length ? names.join(', ') : 'none'}): ` +
          'it runs another config, or did not load this entry',
        'restart the gateway with this file, and read its log for why the entry was not loaded',
      ),
    );
  }
  for (const s of servers) {
    if (declared.has(s.name) || (s.alias && declared.has(s.alias))) continue;
    out.push(
      finding(
        { file: cfg.file, line: cfg.serversLine ?? 1, server: s.name },
        'undeclared_at_gateway',
        `the gateway of target ${target} has ${s.name}, which this file does not declare ` +
          '(added through the UI or the database): the file no longer says what the gateway runs',
        `declare ${s.name} under mcp_servers, or remove it from the gateway if it should not be there`,
      ),
    );
  }
  return out;
}
