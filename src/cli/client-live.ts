import type { Logger } from 'pino';
import { resolveValue, targetOf } from '../clients/checks.js';
import type { ClientEntry, ClientFile, Finding } from '../clients/types.js';
import type { Config, Probe, Target } from '../config/parse.js';
import type { Outcome } from '../probes/types.js';
import { runProbe } from '../scheduler/run.js';
import { mayCarrySecret } from '../util/credentials.js';
import type { Redactor } from '../util/redact.js';

/** One entry tried as its client would send it. */
export interface LiveResult {
  file: string;
  server: string;
  outcome: Outcome | 'not_tried';
  reason: string;
}

/** How long one entry's initialize + tools/list may take. */
const LIVE_TIMEOUT_MS = 20_000;

/**
 * `check-clients --live`: every entry of a gateway, sent exactly as its client sends it (its URL,
 * its headers resolved the client's way, nothing of mcpwatch's own key), `initialize` +
 * `tools/list`, reported as a probe reports. Servers that `x-mcp-servers` names but the catalog
 * does not have are findings (`unknown_server`). An entry whose values are not all known here
 * (a variable unset, a VS Code input) is not tried.
 */
export async function tryEntries(files: readonly ClientFile[], config: Config, env: Readonly<Record<string, string | undefined>>, redactor: Redactor, logger: Logger): Promise<{ live: LiveResult[]; findings: Finding[] }> {
  const live: LiveResult[] = [];
  const findings: Finding[] = [];
  for (const entry of files.flatMap((f) => f.entries)) {
    if (!entry.url) continue;
    const target = targetOf(entry.url.text, config.targets);
    if (!target) continue;
    const headers: Record<string, string> = {};
    const unknown: string[] = [];
    for (const h of entry.headers) {
      const r = resolveValue(h.value, entry.client, env);
      if (r.value === undefined) unknown.push(...r.unset, ...r.inputs.map((i) => `\${input:${i}}`));
      else headers[h.name.toLowerCase()] = r.value;
    }
    if (unknown.length) {
      live.push({ file: entry.file, server: entry.server, outcome: 'not_tried', reason: `not tried: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not known here` });
      continue;
    }
    // The credentials the entry sends (with and without their scheme) are masked in what is printed.
    const secrets = Object.entries(headers).filter(([k]) => mayCarrySecret(k)).map(([, v]) => v);
    redactor.addSecrets([...secrets, ...secrets.map((v) => v.replace(/^\S+\s+/, ''))]);
    const result = await runProbe(probeFor(entry, target), { target: clientTarget(entry, target, headers), logger, redactor }, { trigger: 'cli' }).result;
    live.push({ file: entry.file, server: entry.server, outcome: result.outcome, reason: result.reason });
    const named = (headers['x-mcp-servers'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const missing = unknownServers(named, result);
    if (missing.length) {
      const line = entry.headers.find((h) => h.name.toLowerCase() === 'x-mcp-servers')?.line ?? entry.line;
      findings.push({
        file: entry.file,
        line,
        client: entry.client,
        server: entry.server,
        code: 'unknown_server',
        severity: 'error',
        message: `x-mcp-servers names ${missing.join(', ')}, which the gateway's catalog for this key does not have${result.details && 'catalog' in result.details ? ` (it has: ${Object.keys(result.details.catalog.toolsPerServer).join(', ') || 'nothing'})` : ''}`,
        fix: 'name servers as the gateway calls them (its mcp_servers), and allowed for this key',
      });
    }
  }
  return { live, findings };
}

/** The servers named but not in the catalog (1.77 lists nothing of them; 1.108+ refuses the request naming them). */
function unknownServers(named: readonly string[], result: Awaited<ReturnType<typeof runProbe>['result']>): string[] {
  if (named.length === 0) return [];
  const d = result.details;
  if (d && 'catalog' in d) return named.filter((n) => !((d.catalog.toolsPerServer[n] ?? 0) > 0) && d.servers?.[n]?.up !== true);
  const refused = /may not use MCP server ([^:]+?):/.exec(result.reason);
  return refused ? named.filter((n) => refused[1]!.split(/[\s,]+/).includes(n)) : [];
}

/** The entry as a target: its own origin and path, its headers as they are, no key of mcpwatch's. */
function clientTarget(entry: ClientEntry, target: Target, headers: Record<string, string>): Target {
  const u = new URL(entry.url!.text);
  const { apiKeyFile: _file, oauth2: _oauth2, oauth2Key: _key, ...rest } = target;
  return { ...rest, name: `${entry.server} (${entry.client})`, url: u.origin, mcpPath: `${u.pathname}${u.search}`, apiKey: undefined, apiKeyHeader: 'authorization', headers, transport: 'streamable-http' };
}

function probeFor(entry: ClientEntry, target: Target): Probe {
  return {
    name: `client:${entry.server}`,
    type: 'mcp_catalog',
    target: target.name,
    servers: [],
    headers: {},
    gatewayHealth: false,
    expect: { tools: [], serversPresent: false },
    scheduleSpec: { kind: 'every', ms: 60_000 },
    timeoutMs: LIVE_TIMEOUT_MS,
  } as Probe;
}
