// Pure: what failed in a report, grouped by cause (issue 30). A server down at the gateway is one cause, however
// many results show it: the catalog runs that list it down, the calls to its tools, the client entries that name it
// (their server_down finding, their live try when it failed because of it). Each client entry's own errors are one
// cause (its error findings and its live try). Anything else that failed is a cause of its own.
import { basename } from 'node:path';
import type { Finding } from '../clients/types.js';
import { probeTypeOf, type ProbeResult } from '../probes/table.js';
import type { LiveResult } from './client-live.js';
import { formatFinding, liveFailed } from './check-clients.js';

/** A probe's result as the report keeps it: as `mcpwatch probe --json` prints it, with its target's URL. */
export type ReportProbe = Omit<ProbeResult, 'startedAt'> & { startedAt: string; url: string };

/** One result a cause accounts for, in the words of the report's `failures`. */
export interface CauseResult {
  /** A probe's run, a client entry's finding, its live try, a client file, a container's log. */
  kind: 'probe' | 'finding' | 'live' | 'file' | 'log';
  text: string;
  /** It fails the report (it is one of `failures`); false for what only shows the cause (a warning, an ok run). */
  failed: boolean;
}

/** One cause of what failed, and the results it explains. */
export interface ReportCause {
  /** A server down at the gateway; a client entry's own errors; any other failure, on its own. */
  kind: 'server_down' | 'client_entry' | 'failure';
  /** A few words for the summary line: `server ev down (explains 3 results)`, `codex-bare: 1 error`. */
  label: string;
  /** The cause in one line: the server with the gateway's reason, the entry and its file, the failure itself. */
  title: string;
  /** `server_down`: the server. */
  server?: string;
  /** `server_down`: why it is down, in the gateway's words (its catalog's, else a call's, else a client try's). */
  reason?: string;
  /** `client_entry`: its file, and its name there. */
  file?: string;
  entry?: string;
  /** Every result it explains, those that fail the report and those that only show it (a server_down warning). */
  results: CauseResult[];
}

/** What the causes are found in: the report's probes, client checks and logs. */
export interface CauseInput {
  probes: readonly ReportProbe[];
  clients: {
    files: readonly string[];
    findings: readonly Finding[];
    live: readonly LiveResult[];
    errors: readonly string[];
  };
  logs: { containers: ReadonlyArray<{ name: string; error?: string }> } | null;
}

/** A probe's run in one line: `probe NAME (TYPE → TARGET): OUTCOME: REASON`. */
export const probeLine = (p: ReportProbe): string =>
  `probe ${p.probe} (${p.type} → ${p.target}): ${p.outcome}: ${p.reason}`;
/** A live try in one line. */
export const liveLine = (l: LiveResult): string => `${l.file}: ${l.server}: live: ${l.outcome} — ${l.reason}`;
/** A log not read, in one line. */
export const logLine = (c: { name: string; error?: string }): string => `log of ${c.name}: ${c.error}`;

/** `serverDownFinding`'s message (clients/live-findings.ts): the server, and the gateway's words for it. */
const DOWN_FINDING = /^(\S+) is down at the gateway \((.*)\): see /s;
/** A call's reason when its tool's server is down (probes/mcp-call/verdict.ts). */
const DOWN_CALL = /\bserver (\S+) is down: (.*)$/s;

/** Where a server's reason comes from, best first: what the catalog showed, a call's words, a client try's. */
const Source = { Catalog: 0, Call: 1, Client: 2 } as const;
type Source = (typeof Source)[keyof typeof Source];

/** A server down, as the results show it. */
interface Down {
  server: string;
  reason: string;
  source: Source;
  results: CauseResult[];
}

/** A client entry, by file and name. */
type EntryKey = `${string}\n${string}`;
const entryKey = (file: string, entry: string): EntryKey => `${file}\n${entry}`;

/** An entry's results, before they are told apart. */
interface Entry {
  file: string;
  entry: string;
  findings: Finding[];
  live: LiveResult[];
  /** Its failed client probes (the config's own, of this entry). */
  probes: ReportProbe[];
}

/**
 * Pure: what failed, by cause; every line of the report's `failures` under at least one (a run showing two servers
 * down is under both). `about`: per failed probe, the servers its run is about as its type says (a call's tool's
 * server); a probe not in it is about the servers its own details show down. Order: the servers down, the probes'
 * own failures, the client entries, the files not checked, the logs not read. A server that fails nothing (a
 * warning only) is no cause.
 */
export function causesOf(r: CauseInput, about: Readonly<Record<string, readonly string[]>> = {}): ReportCause[] {
  const downs = serversDown(r);
  const entries = new Map<EntryKey, Entry>();
  const entry = (file: string, name: string): Entry => {
    const k = entryKey(file, name);
    let e = entries.get(k);
    if (!e) entries.set(k, (e = { file, entry: name, findings: [], live: [], probes: [] }));
    return e;
  };
  const own: ReportCause[] = [];
  for (const p of r.probes) {
    const shown = downShown(p).map((d) => d.server);
    const client = clientDetails(p);
    if (p.success) {
      for (const s of shown) downs.get(s)!.results.push({ kind: 'probe', text: probeLine(p), failed: false });
      continue;
    }
    const explainedBy = [...new Set([...shown, ...(about[p.probe] ?? []).filter((s) => downs.has(s))])];
    const ownErrors = client?.findings.some((f) => f.severity === 'error') ?? false;
    const result: CauseResult = { kind: 'probe', text: probeLine(p), failed: true };
    if (client && (ownErrors || explainedBy.length === 0)) entry(client.file, client.server).probes.push(p);
    else if (explainedBy.length) for (const s of explainedBy) downs.get(s)!.results.push(result);
    else own.push(single('failure', `probe ${p.probe}: ${p.outcome}`, result));
  }
  for (const f of r.clients.findings) entry(f.file, f.server).findings.push(f);
  for (const l of r.clients.live) entry(l.file, l.server).live.push(l);
  const clients = [...entries.values()].flatMap((e) => entryCauses(e, downs));
  nameEntries(clients);
  return [
    ...[...downs.values()].filter((d) => d.results.some((x) => x.failed)).map(downCause),
    ...own,
    ...clients,
    ...r.clients.errors.map((e) => {
      const file = r.clients.files.find((f) => e.startsWith(f)) ?? e;
      return single('failure', `${file}: not checked`, { kind: 'file', text: e, failed: true });
    }),
    ...(r.logs?.containers ?? [])
      .filter((c) => c.error)
      .map((c) => single('failure', `log of ${c.name}: not read`, { kind: 'log', text: logLine(c), failed: true })),
  ];
}

/** One line for the summary: how many causes, and each (the first few). */
export function causesSummary(causes: readonly ReportCause[], shown = 5): string {
  const n = causes.length;
  const labels = causes.slice(0, shown).map((c) => c.label);
  const more = n > shown ? `, and ${n - shown} more` : '';
  return `${n} cause${n === 1 ? '' : 's'}: ${labels.join(', ')}${more}`;
}

/** Every server some result shows down, with the gateway's reason from the best source. */
function serversDown(r: CauseInput): Map<string, Down> {
  const downs = new Map<string, Down>();
  const add = (server: string, reason: string, source: Source): void => {
    const d = downs.get(server);
    if (!d) downs.set(server, { server, reason, source, results: [] });
    else if (source < d.source) Object.assign(d, { reason, source });
  };
  for (const p of r.probes) for (const d of downShown(p)) add(d.server, d.reason, d.source);
  for (const f of r.clients.findings) {
    const d = downFinding(f);
    if (d) add(d.server, d.reason, Source.Client);
  }
  return downs;
}

/** The servers a run shows down: a catalog's per-server states, a failed call's words, a client probe's findings. */
function downShown(p: ReportProbe): Array<{ server: string; reason: string; source: Source }> {
  const d = p.details;
  if (d && 'servers' in d && d.servers) {
    return Object.entries(d.servers).flatMap(([server, st]) =>
      st.up ? [] : [{ server, reason: st.said ?? st.reason, source: Source.Catalog }],
    );
  }
  const client = clientDetails(p);
  if (client) return client.findings.flatMap((f) => downFinding(f) ?? []).map((x) => ({ ...x, source: Source.Client }));
  const call = p.success ? null : DOWN_CALL.exec(p.reason);
  return call ? [{ server: call[1]!, reason: call[2]!, source: Source.Call }] : [];
}

/** A server_down finding's server and the gateway's words; undefined for any other finding. */
function downFinding(f: { code: string; message: string }): { server: string; reason: string } | undefined {
  const m = f.code === 'server_down' ? DOWN_FINDING.exec(f.message) : null;
  return m ? { server: m[1]!, reason: m[2]! } : undefined;
}

/** The details of a run that tests a client's entry (its type's `aboutClient`), when it has them. */
function clientDetails(
  p: ReportProbe,
):
  | { file: string; server: string; findings: ReadonlyArray<{ code: string; message: string; severity: string }> }
  | undefined {
  const d = p.details;
  if (!probeTypeOf(p.type)?.aboutClient || !d || !('findings' in d) || !('file' in d)) return undefined;
  return d;
}

/**
 * An entry's results: its server_down findings under those servers (and its failed live try, when it has no error
 * of its own); its own errors, its failed live try and its failed probes as one cause.
 */
function entryCauses(e: Entry, downs: ReadonlyMap<string, Down>): ReportCause[] {
  const down = e.findings.flatMap((f) => {
    const d = downFinding(f);
    return d ? [{ f, server: d.server }] : [];
  });
  for (const { f, server } of down)
    downs.get(server)!.results.push({ kind: 'finding', text: formatFinding(f), failed: f.severity === 'error' });
  const errors = e.findings.filter((f) => f.severity === 'error' && !downFinding(f));
  const failedLive = e.live.filter(liveFailed);
  if (errors.length === 0 && down.length && e.probes.length === 0) {
    const servers = [...new Set(down.map((d) => d.server))];
    for (const l of failedLive)
      for (const s of servers) downs.get(s)!.results.push({ kind: 'live', text: liveLine(l), failed: true });
    return [];
  }
  const results: CauseResult[] = [
    ...errors.map((f): CauseResult => ({ kind: 'finding', text: formatFinding(f), failed: true })),
    ...failedLive.map((l): CauseResult => ({ kind: 'live', text: liveLine(l), failed: true })),
    ...e.probes.map((p): CauseResult => ({ kind: 'probe', text: probeLine(p), failed: true })),
  ];
  if (results.length === 0) return [];
  const n = errors.length;
  const what = n
    ? `${n} error${n === 1 ? '' : 's'}`
    : failedLive.length
      ? `live ${failedLive[0]!.outcome}`
      : `probe ${e.probes[0]!.outcome}`;
  const live = n && failedLive.length ? `, its live try ${failedLive[0]!.outcome}` : '';
  return [
    {
      kind: 'client_entry',
      label: `${e.entry}: ${what}`,
      title: `client entry ${e.entry} in ${e.file}: ${what}${live}`,
      file: e.file,
      entry: e.entry,
      results,
    },
  ];
}

/** Entries of the same name in several files: each label names its file too. */
function nameEntries(causes: ReportCause[]): void {
  const files = new Map<string, Set<string>>();
  for (const c of causes) files.set(c.entry!, (files.get(c.entry!) ?? new Set()).add(c.file!));
  for (const c of causes)
    if (files.get(c.entry!)!.size > 1) c.label = c.label.replace(c.entry!, `${c.entry} (${basename(c.file!)})`);
}

function downCause(d: Down): ReportCause {
  const n = d.results.length;
  return {
    kind: 'server_down',
    label: `server ${d.server} down (explains ${n} result${n === 1 ? '' : 's'})`,
    title: `server ${d.server} down: ${d.reason}`,
    server: d.server,
    reason: d.reason,
    results: d.results,
  };
}

function single(kind: ReportCause['kind'], label: string, result: CauseResult): ReportCause {
  return { kind, label, title: result.text, results: [result] };
}
