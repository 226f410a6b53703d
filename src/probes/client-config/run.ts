import { checkClientFile, resolveValue, targetOf } from '../../clients/checks.js';
import { readClientFile } from '../../clients/read.js';
import { CLIENT_NAMES, ClientFileError, type ClientEntry, type Finding } from '../../clients/types.js';
import type { Target } from '../../config/target.js';
import { mayCarrySecret } from '../../util/credentials.js';
import { classifyMcpError } from '../mcp/failures.js';
import { listAllTools, openSession, type McpSession } from '../mcp/session.js';
import { classifyError } from '../net/failures.js';
import { hostPortOf } from '../net/requests.js';
import { toolsPerServer } from '../tool-servers.js';
import type { ProbeContext, ProbeFn } from '../types.js';
import type { ClientConfigDetails } from './details.js';
import type { ClientConfigProbeConfig } from './schema.js';

/**
 * A client's own config entry, checked and tried on a schedule: the file is read and checked as
 * `check-clients` does, then (live: true) the entry's own request — its URL and its headers,
 * resolved from the agent's environment the client's way, nothing of mcpwatch's key — is sent
 * through the gateway (`initialize` + `tools/list`). An edit that breaks the client shows here
 * before its user notices.
 */
export const run: ProbeFn<ClientConfigProbeConfig, ClientConfigDetails> = async (spec, ctx) => {
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
  if (spec.live && entry.url) await tryLive(spec, ctx, entry, details);

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

/** The entry's own request, as its client sends it; servers it names that the catalog lacks are unknown_server. */
async function tryLive(
  spec: ClientConfigProbeConfig,
  ctx: ProbeContext,
  entry: ClientEntry,
  details: ClientConfigDetails,
): Promise<void> {
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
    return;
  }
  const secrets = Object.entries(headers)
    .filter(([k]) => mayCarrySecret(k))
    .map(([, v]) => v);
  ctx.redactor.addSecrets([...secrets, ...secrets.map((v) => v.replace(/^\S+\s+/, ''))]);
  const cctx: ProbeContext = { ...ctx, target: clientTarget(entry, ctx.target, headers) };
  let session: McpSession | undefined;
  try {
    session = await openSession(cctx, {
      servers: [],
      headers: {},
      ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }),
    });
    const names = (await listAllTools(cctx, session)).map((t) => t.name);
    const named = (headers['x-mcp-servers'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const per = toolsPerServer(names, named);
    const shown = Object.entries(per).map(([s, n]) => `${s}: ${n}`);
    details.live = {
      outcome: 'ok',
      reason: `${names.length} tools${shown.length ? ` (${shown.join(', ')})` : ''}`,
      toolsPerServer: per,
    };
    const missing = named.filter((n) => !((per[n] ?? 0) > 0));
    if (missing.length)
      unknownServer(
        details,
        entry,
        missing,
        `the gateway's catalog for this key lists nothing of ${missing.length === 1 ? 'it' : 'them'} (it has: ${
          Object.keys(per)
            .filter((s) => (per[s] ?? 0) > 0)
            .join(', ') || 'nothing'
        })`,
      );
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const failure = classifyMcpError(err, cctx, session?.responses ?? [], ctx.phases.last);
    const c = failure
      ? { outcome: failure.outcome, reason: failure.message }
      : classifyError(err, { signal: ctx.signal, phase: ctx.phases.last, host: hostPortOf(cctx.target) });
    details.live = { outcome: c.outcome, reason: c.reason };
    // LiteLLM 1.108+ refuses the whole request for a server it does not know, naming it.
    const refused = /may not use MCP server ([^:]+?)(?::|$)/.exec(c.reason);
    if (refused)
      unknownServer(
        details,
        entry,
        refused[1]!.split(/[\s,]+/).filter(Boolean),
        'the gateway refuses the request for it',
      );
  } finally {
    await session?.close();
  }
}

function unknownServer(details: ClientConfigDetails, entry: ClientEntry, servers: string[], why: string): void {
  const line = entry.headers.find((h) => h.name.toLowerCase() === 'x-mcp-servers')?.line ?? entry.line;
  details.findings.push({
    line,
    code: 'unknown_server',
    severity: 'error',
    message: `x-mcp-servers names ${servers.join(', ')}, which the gateway does not have for this key: ${why}`,
    fix: 'name servers as the gateway calls them (its mcp_servers), and allowed for this key',
  });
  details.findings.sort((a, b) => a.line - b.line);
}

/** The entry as a target: its own origin and path, its headers as they are, no key of mcpwatch's and no SSO token. */
export function clientTarget(entry: ClientEntry, target: Target, headers: Record<string, string>): Target {
  const u = new URL(entry.url!.text);
  const { apiKeyFile: _file, oauth2: _oauth2, oauth2Key: _key, ...rest } = target;
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
