import { formatDuration } from '../config/duration.js';
import type {
  CallDetails,
  CatalogDetails,
  ClientConfigDetails,
  GatewayLog,
  GuardDetails,
  OAuthFacts,
  ProbeResult,
  TlsFacts,
} from '../probes/types.js';

const INDENT = '              ';

/**
 * A run as a person reads it: each step with its time (requests with their masked headers, only
 * what changed after the first one), the phases, the result, and the details per probe type.
 */
export function formatResult(r: ProbeResult, url: string): string {
  const lines: string[] = [];
  lines.push(`probe ${r.probe} (${r.type}) → target ${r.target} ${url}`);
  // Headers are compared with the previous request of the same method (else the previous one).
  const prevByMethod = new Map<string, Record<string, unknown>>();
  let prevHeaders: Record<string, unknown> | undefined;
  for (const s of r.steps) {
    lines.push(`  ${String(s.t).padStart(6)}ms  ${s.msg}`);
    const method = /^(?:\[[^\]]*\] )?([A-Z]+) /.exec(s.msg)?.[1] ?? '';
    for (const [k, v] of Object.entries(s.data ?? {})) {
      if (k === 'headers' && v && typeof v === 'object' && !Array.isArray(v)) {
        const headers = v as Record<string, unknown>;
        lines.push(...formatHeaders(headers, prevByMethod.get(method) ?? prevHeaders));
        prevByMethod.set(method, headers);
        prevHeaders = headers;
      } else if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [hk, hv] of Object.entries(v as Record<string, unknown>))
          lines.push(`${INDENT}${k}.${hk}: ${show(hv)}`);
      } else lines.push(`${INDENT}${k}: ${show(v)}`);
    }
  }
  const phases = Object.entries(r.phases).map(([p, ms]) => `${p} ${formatDuration(ms ?? 0)}`);
  if (phases.length) lines.push(`phases:   ${phases.join(', ')}`);
  lines.push(`duration: ${formatDuration(r.durationMs)}`);
  if (r.tls) lines.push(...tlsLines(r.tls, r.startedAt));
  if (r.oauth) lines.push(oauthLine(r.oauth, r.startedAt));
  lines.push(`result:   ${r.success ? 'OK' : 'FAILED'} ${r.outcome}: ${r.reason}`);
  lines.push(...formatDetails(r));
  if (r.gatewayLog) lines.push(...gatewayLogLines(r.gatewayLog));
  return `${lines.join('\n')}\n`;
}

/**
 * The TLS connection: version, certificate, its issuer and expiry; the chain's earliest expiry when it is not the
 * leaf's.
 */
function tlsLines(t: TlsFacts, now: number): string[] {
  const when = (ms: number): string =>
    `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC (${ms < now ? `expired ${roughly(now - ms)} ago` : `in ${roughly(ms - now)}`})`;
  const lines = [
    `tls:      ${t.version}${t.authorized ? '' : ' (NOT VERIFIED: tls.insecureSkipVerify)'}, ${t.subject || '(no subject)'}, issued by ${t.issuer || '(unknown)'}, expires ${when(t.notAfter)}`,
  ];
  if (t.earliestNotAfter < t.notAfter)
    lines.push(
      `          earliest in the chain (${t.chainLength} certificates): ${t.earliestSubject}, expires ${when(t.earliestNotAfter)}`,
    );
  return lines;
}

/** The SSO token: which client at which endpoint, where the run's token came from, until when. */
function oauthLine(o: OAuthFacts, now: number): string {
  const how = o.token === 'cached' ? 'from the cache' : o.token === 'requested' ? 'requested in this run' : 'none';
  const until =
    o.expiresAt !== undefined
      ? `, expires ${new Date(o.expiresAt).toISOString().slice(11, 19)} UTC (in ${roughly(Math.max(0, o.expiresAt - now))})`
      : '';
  const reqs = o.requests.length
    ? `; ${o.requests.length} token request${o.requests.length === 1 ? '' : 's'}: ${o.requests.map((q) => q.outcome + (q.error ? ` ${q.error}` : '')).join(', ')}`
    : '';
  return `oauth2:   client ${o.clientId} (${o.grant}, ${o.authMethod}${o.scopes.length ? `, scopes ${o.scopes.join(' ')}` : ''}) at ${o.tokenEndpoint ?? '(token endpoint not found)'}: token ${how}${until}${reqs}`;
}

/** A long span as a person says it: `10 days`, `5h`, `12m`. */
function roughly(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours >= 48) return `${Math.floor(hours / 24)} days`;
  if (hours >= 1) return `${Math.floor(hours)}h`;
  return formatDuration(ms);
}

/** What the gateway logged about the run, each record with its time and container, continuation lines indented. */
function gatewayLogLines(g: GatewayLog): string[] {
  const about = g.about.length ? ` about ${g.about.join(', ')}` : '';
  const lines = [
    `gateway log (${g.containers.join(', ')}, ${g.from.slice(11, 23)}–${g.to.slice(11, 23)} UTC)${about}: ${g.records.length ? `${g.records.length} record${g.records.length === 1 ? '' : 's'}` : 'nothing relevant'}${g.omitted ? `, ${g.omitted} more left out` : ''}`,
  ];
  for (const rec of g.records) {
    const [first, ...more] = rec.text.split('\n');
    lines.push(
      `  ${rec.at.slice(11, 23)} ${rec.container} ${first}${rec.repeats ? `  (${rec.repeats} more time${rec.repeats === 1 ? '' : 's'}, the last at ${rec.lastAt?.slice(11, 23)})` : ''}`,
    );
    for (const m of more) lines.push(`${INDENT}${m}`);
  }
  for (const why of g.incomplete ?? []) lines.push(`  (incomplete: ${why})`);
  return lines;
}

/** All headers the first time; after that only what differs from the previous request's. */
function formatHeaders(headers: Record<string, unknown>, prev: Record<string, unknown> | undefined): string[] {
  const all = Object.entries(headers).map(([k, v]) => `${INDENT}${k}: ${show(v)}`);
  if (!prev) return all;
  const changed = Object.entries(headers).filter(([k, v]) => prev[k] !== v);
  const dropped = Object.keys(prev).filter((k) => !(k in headers));
  if (changed.length === 0 && dropped.length === 0) return [`${INDENT}(headers as above)`];
  if (changed.length + dropped.length > Object.keys(headers).length / 2) return all;
  return [
    `${INDENT}(headers as above, but:)`,
    ...changed.map(([k, v]) => `${INDENT}${k}: ${show(v)}`),
    ...dropped.map((k) => `${INDENT}${k}: (not sent)`),
  ];
}

/** The details of a result, readable per probe type; what has no line of its own as JSON. */
function formatDetails(r: ProbeResult): string[] {
  const d = r.details;
  if (!d) return [];
  switch (r.type) {
    case 'mcp_catalog':
      return 'catalog' in d ? catalogLines(d) : restLine(d);
    case 'auth_guard':
      return 'authChecks' in d ? guardLines(d) : restLine(d);
    case 'mcp_call':
      return 'text' in d ? callLines(d) : restLine(d);
    case 'http':
      return restLine(d);
    case 'client_config':
      return 'findings' in d ? clientLines(d) : restLine(d);
  }
}

function clientLines(d: ClientConfigDetails): string[] {
  const lines = [`client:   ${d.client} entry "${d.server}" at ${d.file}:${d.line}`];
  for (const f of d.findings)
    lines.push(`  ${d.file}:${f.line}: ${f.severity}: [${f.code}] ${f.message} — fix: ${f.fix}`);
  if (d.live) lines.push(`live:     ${d.live.outcome}: ${d.live.reason}`);
  return lines;
}

function catalogLines({
  catalog: c,
  expectedTools,
  toolNames,
  servers,
  serverOutcomes: _told,
  ...rest
}: CatalogDetails): string[] {
  const lines: string[] = [];
  const per = Object.entries(c.toolsPerServer).map(([s, n]) => `${s}: ${n}`);
  lines.push(
    `catalog:  ${c.tools} tools${per.length ? ` (${per.join(', ')})` : ''}, ${c.fingerprint ? `fingerprint ${c.fingerprint}` : 'no catalog (tools/list failed)'}`,
  );
  if (c.changed) {
    lines.push(`changed:  since the previous run of this probe`);
    if (c.added.length) lines.push(`  added:   ${c.added.join(', ')}`);
    if (c.removed.length) lines.push(`  removed: ${c.removed.join(', ')}`);
    if (c.changedSchemas.length) lines.push(`  input schema changed: ${c.changedSchemas.join(', ')}`);
  }
  for (const [name, st] of Object.entries(servers ?? {})) {
    lines.push(
      `server:   ${name} ${st.up ? `up, ${st.tools} tools` : `DOWN: ${st.reason}${st.said && st.said !== st.reason ? ` (the gateway said: ${st.said})` : ''}`}`,
    );
  }
  const e = Object.entries(expectedTools);
  if (e.length) lines.push(`expected: ${e.map(([t, ok]) => `${t} ${ok ? 'present' : 'MISSING'}`).join(', ')}`);
  if (toolNames) lines.push(...wrap('tools:    ', toolNames));
  return [...lines, ...restLine(rest)];
}

function guardLines({ authChecks, ...rest }: GuardDetails): string[] {
  const lines = ['checks:'];
  for (const [check, c] of Object.entries(authChecks)) {
    const verdict =
      c.enforced === true
        ? 'rejected, as it must be'
        : c.enforced === false
          ? 'NOT REJECTED'
          : c.accepted === true
            ? 'accepted, as it must be'
            : c.accepted === false
              ? 'REFUSED'
              : 'unknown';
    lines.push(`  ${check.padEnd(17)} ${verdict}: ${c.reason ?? ''}`);
  }
  return [...lines, ...restLine(rest)];
}

function callLines({ text, ...rest }: CallDetails): string[] {
  return [`text:     ${text}`, ...restLine(rest)];
}

/** What has no line of its own, as JSON. */
function restLine(rest: object): string[] {
  return Object.keys(rest).length ? [`details:  ${JSON.stringify(rest)}`] : [];
}

function wrap(head: string, items: string[], width = 100): string[] {
  const out: string[] = [];
  let line = head;
  for (const [i, item] of items.entries()) {
    const piece = `${item}${i < items.length - 1 ? ',' : ''}`;
    if (line.length + piece.length + 1 > width && line.trim() !== head.trim()) {
      out.push(line.trimEnd());
      line = ' '.repeat(head.length);
    }
    line += `${piece} `;
  }
  out.push(line.trimEnd());
  return out;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
