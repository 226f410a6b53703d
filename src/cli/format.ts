import { formatDuration } from '../config/duration.js';
import { restLine } from '../probes/details-lines.js';
import { probeTypeOf, type ProbeResult } from '../probes/table.js';
import type { GatewayLog, OAuthFacts, TlsFacts } from '../probes/types.js';

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
  const when = (ms: number): string => {
    const date = new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
    const relative = ms < now ? `expired ${roughly(now - ms)} ago` : `in ${roughly(ms - now)}`;
    return `${date} UTC (${relative})`;
  };
  const verified = t.authorized ? '' : ' (NOT VERIFIED: tls.insecureSkipVerify)';
  const subject = t.subject || '(no subject)';
  const issuer = t.issuer || '(unknown)';
  const lines = [`tls:      ${t.version}${verified}, ${subject}, issued by ${issuer}, expires ${when(t.notAfter)}`];
  if (t.earliestNotAfter < t.notAfter) {
    const chain = `(${t.chainLength} certificates)`;
    lines.push(`          earliest in the chain ${chain}: ${t.earliestSubject}, expires ${when(t.earliestNotAfter)}`);
  }
  return lines;
}

/** The SSO token: which client at which endpoint, where the run's token came from, until when. */
function oauthLine(o: OAuthFacts, now: number): string {
  const how = o.token === 'cached' ? 'from the cache' : o.token === 'requested' ? 'requested in this run' : 'none';
  let until = '';
  if (o.expiresAt !== undefined) {
    const time = new Date(o.expiresAt).toISOString().slice(11, 19);
    until = `, expires ${time} UTC (in ${roughly(Math.max(0, o.expiresAt - now))})`;
  }
  let reqs = '';
  if (o.requests.length) {
    const outcomes = o.requests.map((q) => q.outcome + (q.error ? ` ${q.error}` : '')).join(', ');
    reqs = `; ${o.requests.length} token request${o.requests.length === 1 ? '' : 's'}: ${outcomes}`;
  }
  const scopes = o.scopes.length ? `, scopes ${o.scopes.join(' ')}` : '';
  const client = `client ${o.clientId} (${o.grant}, ${o.authMethod}${scopes})`;
  const endpoint = o.tokenEndpoint ?? '(token endpoint not found)';
  return `oauth2:   ${client} at ${endpoint}: token ${how}${until}${reqs}`;
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
  const span = `${g.from.slice(11, 23)}–${g.to.slice(11, 23)} UTC`;
  const count = g.records.length
    ? `${g.records.length} record${g.records.length === 1 ? '' : 's'}`
    : 'nothing relevant';
  const omitted = g.omitted ? `, ${g.omitted} more left out` : '';
  const lines = [`gateway log (${g.containers.join(', ')}, ${span})${about}: ${count}${omitted}`];
  for (const rec of g.records) {
    const [first, ...more] = rec.text.split('\n');
    const times = `${rec.repeats} more time${rec.repeats === 1 ? '' : 's'}`;
    const repeats = rec.repeats ? `  (${times}, the last at ${rec.lastAt?.slice(11, 23)})` : '';
    lines.push(`  ${rec.at.slice(11, 23)} ${rec.container} ${first}${repeats}`);
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

/** The details of a result, as its probe type shows them; what it has no lines for as JSON. */
function formatDetails(r: ProbeResult): string[] {
  const d = r.details;
  if (!d) return [];
  return probeTypeOf(r.type)?.format?.(d) ?? restLine(d);
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
