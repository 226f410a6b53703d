import { ProtocolError } from '@modelcontextprotocol/client';
import { checkClientFile, resolveValue, targetOf } from '../../clients/checks.js';
import { serverDownFinding, unknownServerFinding, type LiveFinding } from '../../clients/live-findings.js';
import { readClientFile } from '../../clients/read.js';
import { CLIENT_NAMES, ClientFileError, type ClientEntry, type Finding } from '../../clients/types.js';
import type { Target } from '../../config/target.js';
import { mayCarrySecret } from '../../util/credentials.js';
import { innermostMessage } from '../../util/errors.js';
import { readGatewayServers } from '../mcp-catalog/gateway-health.js';
import { mcpCatalog } from '../mcp-catalog/index.js';
import { classifyMcpError } from '../mcp/failures.js';
import { serverOutcomesOf } from '../mcp/responses.js';
import { listAllTools, openSession, type McpSession } from '../mcp/session.js';
import { classifyError } from '../net/failures.js';
import { hostPortOf } from '../net/requests.js';
import { withSsoToken } from '../oauth/with-token.js';
import { stripMcpErrorPrefix } from '../text.js';
import { toolsPerServer } from '../tool-servers.js';
import type { ProbeContext, ProbeFn, ServerOutcomes } from '../types.js';
import type { ClientConfigDetails } from './details.js';
import { namedServers } from './named-servers.js';
import type { ClientConfigProbeConfig } from './schema.js';

/**
 * A client's own config entry, checked and tried on a schedule: the file is read and checked as
 * `check-clients` does, then (live: true) the entry's own request — its URL and its headers,
 * resolved from the agent's environment the client's way, nothing of mcpwatch's key — is sent
 * through the gateway (`initialize` + `tools/list`). An edit that breaks the client shows here
 * before its user notices; a server it names that is down at the gateway is a `server_down`
 * warning, not the file's fault (the outage is the catalog probes' to report).
 */
export const run: ProbeFn<ClientConfigProbeConfig, ClientConfigDetails> = async (spec, ctx) => {
  const startedAt = performance.now();
  let entry: ClientEntry | undefined;
  let findings: Finding[];
  let client: string;
  try {
    const file = await readClientFile(spec.file);
    client = CLIENT_NAMES[file.client];
    entry = file.entries.find((e) => e.server === spec.server);
    if (!entry) {
      const names = file.entries.map((e) => e.server);
      const entries = names.length ? ` (entries: ${names.join(', ')})` : ' (no MCP entries)';
      return { outcome: 'expectation_failed', reason: `${spec.file} has no entry "${spec.server}"${entries}` };
    }
    // The entry's own findings (and, for Open WebUI, its base URLs), against this probe's target.
    findings = checkClientFile({ ...file, entries: [entry] }, { [ctx.target.name]: ctx.target }, process.env);
  } catch (err) {
    if (err instanceof ClientFileError) return { outcome: 'expectation_failed', reason: err.message };
    throw err;
  }
  const count = `${findings.length} finding${findings.length === 1 ? '' : 's'}`;
  ctx.step(`${client} entry "${entry.server}" at ${spec.file}:${entry.line}: ${count}`);
  for (const f of findings) ctx.step(`${f.file}:${f.line}: ${f.severity}: [${f.code}] ${f.message}`);
  const details: ClientConfigDetails = {
    client,
    file: spec.file,
    server: entry.server,
    line: entry.line,
    findings: findings.map(({ line, code, severity, message, fix }) => ({ line, code, severity, message, fix })),
  };
  if (entry.url && targetOf(entry.url.text, { [ctx.target.name]: ctx.target }) === undefined) {
    return {
      outcome: 'expectation_failed',
      reason: `the entry's URL ${entry.url.text} is not target ${ctx.target.name} (${ctx.target.url})`,
      details,
    };
  }
  if (spec.live && entry.url) await tryLive(spec, ctx, entry, details, startedAt);

  const errors = details.findings.filter((f) => f.severity === 'error');
  const live = details.live;
  if (live && live.outcome !== 'ok') {
    return {
      outcome: live.outcome,
      reason: `as ${client} sends it: ${live.reason}${errors.length ? `; the file: ${summary(errors)}` : ''}`,
      details,
    };
  }
  if (errors.length)
    return {
      outcome: 'expectation_failed',
      reason: `${errors.length} error${errors.length === 1 ? '' : 's'} in ${spec.file}: ${summary(errors)}`,
      details,
    };
  const warnings = details.findings.length;
  const verdict = live ? `as ${client} sends it: ${live.reason}` : 'the entry is right';
  const warned = warnings ? `; ${warnings} warning${warnings === 1 ? '' : 's'}: ${summary(details.findings)}` : '';
  return { outcome: 'ok', reason: `${verdict}${warned}`, details };
};

function summary(fs: ClientConfigDetails['findings']): string {
  return fs.map((f) => `[${f.code}] line ${f.line}`).join(', ');
}

/** The entry's own request, as its client sends it; the servers it names that listed nothing are judged. */
async function tryLive(
  spec: ClientConfigProbeConfig,
  ctx: ProbeContext,
  entry: ClientEntry,
  details: ClientConfigDetails,
  startedAt: number,
): Promise<void> {
  const headers = entryHeaders(ctx, entry, details);
  if (!headers) return;
  const cctx: ProbeContext = { ...ctx, target: clientTarget(entry, ctx.target, headers) };
  const named = (headers['x-mcp-servers'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const outcomes: ServerOutcomes = {};
  let session: McpSession | undefined;
  try {
    session = await openSession(cctx, {
      servers: [],
      headers: {},
      ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }),
    });
    details.protocol = session.protocol;
    const names = (await listAllTools(cctx, session, outcomes)).map((t) => t.name);
    const per = toolsPerServer(names, named);
    const shown = Object.entries(per).map(([s, n]) => `${s}: ${n}`);
    details.live = {
      outcome: 'ok',
      reason: `${names.length} tools${shown.length ? ` (${shown.join(', ')})` : ''}`,
      toolsPerServer: per,
    };
    await judgeNamed(ctx, entry, details, { named, per, outcomes, startedAt });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // LiteLLM 1.108+: tools/list is an error when every server named failed, with the gateway's word for each.
    const failed =
      err instanceof ProtocolError && ctx.phases.last === 'list_tools' ? serverOutcomesOf(err.data) : undefined;
    if (failed) {
      Object.assign(outcomes, failed);
      const per = Object.fromEntries(named.map((n) => [n, 0]));
      // The gateway took the entry's request (its key, its headers): what failed is behind it.
      const said = stripMcpErrorPrefix((err as ProtocolError).message);
      details.live = { outcome: 'ok', reason: `0 tools: the gateway says ${said}`, toolsPerServer: per };
      await judgeNamed(ctx, entry, details, { named, per, outcomes, startedAt });
      return;
    }
    const failure = classifyMcpError(err, cctx, session?.responses ?? [], ctx.phases.last);
    const c = failure
      ? { outcome: failure.outcome, reason: failure.message }
      : classifyError(err, { signal: ctx.signal, phase: ctx.phases.last, host: hostPortOf(cctx.target) });
    details.live = { outcome: c.outcome, reason: forTheClient(c.reason, entry) };
    // LiteLLM 1.108+ refuses the whole request for a server it does not know, naming it.
    const refused = /may not use MCP server ([^:]+?)(?::|$)/.exec(c.reason);
    if (refused) {
      const servers = refused[1]!.split(/[\s,]+/).filter(Boolean);
      addFinding(details, unknownServerFinding(serversLine(entry), servers, 'the gateway refuses the request for it'));
    }
  } finally {
    await session?.close();
  }
}

/** The entry's headers resolved as its client resolves them; undefined (and `notSent` said) when one is unknown. */
function entryHeaders(
  ctx: ProbeContext,
  entry: ClientEntry,
  details: ClientConfigDetails,
): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  const unknown: string[] = [];
  for (const h of entry.headers) {
    const r = resolveValue(h.value, entry.client, process.env);
    if (r.value === undefined) unknown.push(...r.unset, ...r.inputs.map((i) => `\${input:${i}}`));
    else headers[h.name.toLowerCase()] = r.value;
  }
  if (unknown.length) {
    details.notSent = `not tried: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not known here`;
    ctx.step(details.notSent);
    return undefined;
  }
  const secrets = Object.entries(headers)
    .filter(([k]) => mayCarrySecret(k))
    .map(([, v]) => v);
  ctx.redactor.addSecrets([...secrets, ...secrets.map((v) => v.replace(/^\S+\s+/, ''))]);
  return headers;
}

/** What the entry's own list showed of the servers it names. */
interface NamedListing {
  named: readonly string[];
  per: Readonly<Record<string, number>>;
  outcomes: ServerOutcomes;
  startedAt: number;
}

/**
 * The servers the entry names that listed nothing: a server the gateway has (its word in server_outcomes, or its
 * server list read with the target's key) is down there now, a `server_down` warning pointing at the catalog's
 * probes; a name it does not have is `unknown_server`.
 */
async function judgeNamed(
  ctx: ProbeContext,
  entry: ClientEntry,
  details: ClientConfigDetails,
  { named, per, outcomes, startedAt }: NamedListing,
): Promise<void> {
  let judged = namedServers(named, per, outcomes);
  if (judged.down.length === 0 && judged.unknown.length === 0) return;
  let listed: string | undefined;
  if (judged.unknown.length) {
    // Listing nothing is all LiteLLM 1.77 shows of a server down and of a name it never had: its list tells.
    const list = await withSsoToken(ctx, (token) => readGatewayServers(ctx, startedAt, token)).catch((err: unknown) => {
      // Only the SSO token can fail here (the read itself never throws).
      if (ctx.signal.aborted) throw err;
      return { error: `could not read the gateway's server list: ${ctx.redactor.mask(innermostMessage(err))}` };
    });
    if ('names' in list) {
      judged = namedServers(named, per, outcomes, new Set(list.names));
      listed = `, and its server list has: ${list.names.join(', ') || 'none'}`;
    } else {
      ctx.step(list.error);
      const has = Object.keys(per).filter((s) => (per[s] ?? 0) > 0);
      listed = ` (it has: ${has.join(', ') || 'nothing'}); ${list.error}, so an outage cannot be told apart`;
    }
  }
  const line = serversLine(entry);
  const seeAlso = `the ${mcpCatalog.schema.shape.type.value} probes of target ${ctx.target.name}`;
  for (const d of judged.down) addFinding(details, serverDownFinding(line, d.server, d.words, seeAlso));
  if (judged.unknown.length) {
    const it = judged.unknown.length === 1 ? 'it' : 'them';
    const why = `the gateway's catalog for this key lists nothing of ${it}${listed ?? ''}`;
    addFinding(details, unknownServerFinding(line, judged.unknown, why));
  }
}

/** The allowlist refusal's advice (written for a target's clientId) as a client's file needs it. */
const ALLOWLIST_ADVICE =
  /(refused by the gateway's client allowlist \(general_settings\.mcp_allowed_clients\): )(.*)$/s;

/**
 * A refusal by LiteLLM's client allowlist, said for the entry: the target's clientId is not the client's (it sends
 * only the headers of its own file), so the fix is a header in the file, or the client's id in the gateway's list.
 * Any other reason as it is. Exported for its tests.
 */
export function forTheClient(reason: string, entry: Pick<ClientEntry, 'client' | 'headers'>): string {
  const m = ALLOWLIST_ADVICE.exec(reason);
  if (!m) return reason;
  const header = /from the (\S+) header \(its mcp_client_id_header\)/.exec(m[2]!)?.[1];
  const listedValue = /client "(.*)" \(sent in the (\S+) header\) is not listed there/.exec(m[2]!);
  const client = CLIENT_NAMES[entry.client];
  let advice: string;
  if (listedValue) {
    advice =
      `this ${client} entry sends client "${listedValue[1]}" in its ${listedValue[2]} header, which is not listed ` +
      `there: add it to mcp_allowed_clients, or send a listed value`;
  } else if (header) {
    const sent = entry.headers.some((h) => h.name.toLowerCase() === header);
    advice = sent
      ? `it reads the client application from the ${header} header (its mcp_client_id_header), which this entry ` +
        'sends, but it did not reach the gateway: is a proxy in between dropping it?'
      : `it reads the client application from the ${header} header (its mcp_client_id_header), and this ${client} ` +
        `entry sends none: add a ${header} header with a value listed in mcp_allowed_clients to the entry ` +
        "(mcpwatch's clientId is not sent for a client)";
  } else {
    advice = `${m[2]!.replace(/clientId/g, "the client's id")} (mcpwatch's clientId is not sent for a client)`;
  }
  return reason.slice(0, m.index) + m[1]! + advice;
}

/** Where the entry names its servers (its x-mcp-servers header, else the entry). */
function serversLine(entry: ClientEntry): number {
  return entry.headers.find((h) => h.name.toLowerCase() === 'x-mcp-servers')?.line ?? entry.line;
}

function addFinding(details: ClientConfigDetails, f: LiveFinding): void {
  details.findings.push(f);
  details.findings.sort((a, b) => a.line - b.line);
}

/**
 * The entry as a target: its own origin and path, its headers as they are, no key of mcpwatch's, no SSO token and no
 * clientId of mcpwatch's (a client sends the allowlist's header only if its own file does).
 */
export function clientTarget(entry: ClientEntry, target: Target, headers: Record<string, string>): Target {
  const u = new URL(entry.url!.text);
  const {
    apiKeyFile: _file,
    oauth2: _oauth2,
    oauth2Key: _key,
    clientId: _clientId,
    clientIdHeader: _clientIdHeader,
    keys: _keys,
    keyName: _keyName,
    ...rest
  } = target;
  return {
    ...rest,
    name: `${entry.server} (${CLIENT_NAMES[entry.client]})`,
    url: u.origin,
    mcpPath: `${u.pathname}${u.search}`,
    apiKey: undefined,
    apiKeyHeader: 'authorization',
    headers,
    transport: 'streamable-http',
  };
}
