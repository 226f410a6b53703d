import type { KeptRecord, RingWindow } from '../logs/record-ring.js';
import { guardMarkerIn } from '../probes/guard-marks.js';
import type { GatewayLog } from '../probes/types.js';
import type { EvidenceSubject } from '../probes/probe-type.js';
import { probeTypeOf, type ProbeResult } from '../probes/table.js';
import type { Redactor } from '../util/redact.js';

/**
 * The gateway's own log as evidence for a failed probe run: the records of the run's time window
 * that are about the server it concerns (or, failing a server, errors of the gateway), masked.
 * Pure: the runtime reads the window from its ring of recent records, `mcpwatch probe` from Docker.
 */

/** The window opens this long before the run started (log and probe clocks, a request sent early). */
export const EVIDENCE_BEFORE_MS = 1_000;
/** …and closes this long after it ended: what the gateway logs after answering (the upstream's traceback). */
export const EVIDENCE_AFTER_MS = 2_000;
/** Most records shown: those naming the server first, then the newest. */
export const EVIDENCE_MAX_RECORDS = 20;
/** Most characters of one record shown: its start and its end (a traceback's last lines say what failed). */
export const EVIDENCE_MAX_TEXT = 4_000;

export type { EvidenceSubject };

export interface ProbeShape {
  type: string;
  servers?: readonly string[];
  tool?: string;
}

/**
 * What a failed run is about: as its probe type says (a catalog's down servers, a call's tool's server),
 * else the servers the probe asked for.
 */
export function subjectOf(probe: ProbeShape, result: ProbeResult): EvidenceSubject {
  const own = probeTypeOf(probe.type)?.subject?.(probe as never, result as never);
  return own ?? { servers: [...(probe.servers ?? [])], others: [], guard: false };
}

const ERROR_LEVELS = new Set(['ERROR', 'CRITICAL', 'FATAL', 'WARNING', 'WARN']);
const ERRORISH = /traceback|exception|error|fail|timed? ?out|refused|unreachable|denied|cannot|could not|unable/i;

/** Whether `text` names `name` as a word (`mcp_postgres`, not `mcp_postgres_replica`). */
function names(text: string, name: string): boolean {
  let i = text.indexOf(name);
  while (i >= 0) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 32;
    const after = i + name.length < text.length ? text.charCodeAt(i + name.length) : 32;
    if (!isWordChar(before) && !isWordChar(after)) return true;
    i = text.indexOf(name, i + 1);
  }
  return false;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function aboutServer(r: KeptRecord, server: string): boolean {
  return (r.servers?.includes(server) ?? false) || names(r.text, server);
}

/** 2: names a server of the subject; 1: an error with no other server named; 0: not evidence. */
function relevance(r: KeptRecord, s: EvidenceSubject): number {
  if (s.servers.some((x) => aboutServer(r, x))) return 2;
  if (s.guard && r.path !== undefined && guardMarkerIn(r.path) !== undefined) return 2;
  if (s.others.some((x) => aboutServer(r, x))) return 0;
  if (r.kind === 'access') return r.status !== undefined && r.status >= 400 ? 1 : 0;
  if (r.level !== undefined) return ERROR_LEVELS.has(r.level) || r.text.includes('Traceback') ? 1 : 0;
  // An upstream server's own output (LiteLLM passes a stdio server's stderr through): when it reads as an error.
  return ERRORISH.test(r.text) ? 1 : 0;
}

/** A record with the records of the window that repeat it (same text but for the time). */
export interface EvidenceRecord {
  record: KeptRecord;
  repeats: number;
  lastAt: number;
}

/**
 * A record's text without the time its logger prints (LiteLLM's `HH:MM:SS - `, rich's `[date time]`): repeats of it
 * compare equal.
 */
function repeatKey(r: KeptRecord): string {
  const t = r.text;
  const c = t.charCodeAt(0);
  if (c === 91 /* [ */ && r.kind === 'rich') return `${r.container}\0${t.slice(t.indexOf(']') + 1).trimStart()}`;
  if (c === 32 && r.kind === 'rich') return `${r.container}\0${t.trimStart()}`;
  if (r.kind === 'litellm') return `${r.container}\0${t.slice(11)}`;
  return `${r.container}\0${t}`;
}

/**
 * The evidence among a window's records (in log order): repeats folded into their first record,
 * at most `max` of them, the most relevant and newest kept, in log order.
 */
export function selectEvidence(
  records: readonly KeptRecord[],
  subject: EvidenceSubject,
  max = EVIDENCE_MAX_RECORDS,
): { records: EvidenceRecord[]; omitted: number } {
  const groups = new Map<string, EvidenceRecord & { i: number; score: number }>();
  let i = 0;
  for (const r of records) {
    const score = relevance(r, subject);
    if (score === 0) continue;
    const key = repeatKey(r);
    const g = groups.get(key);
    if (g) {
      g.repeats++;
      g.lastAt = r.at;
      g.i = i++; // a record that keeps coming is as new as its last repeat
    } else groups.set(key, { record: r, repeats: 0, lastAt: r.at, i: i++, score });
  }
  const all = [...groups.values()];
  const kept = all.length <= max ? all : [...all].sort((a, b) => b.score - a.score || b.i - a.i).slice(0, max);
  kept.sort((a, b) => a.record.at - b.record.at);
  return {
    records: kept.map(({ record, repeats, lastAt }) => ({ record, repeats, lastAt })),
    omitted: all.length - kept.length,
  };
}

/** A long record: its start and its end, the middle elided; lines without the padding some loggers add. */
export function clip(raw: string, max = EVIDENCE_MAX_TEXT): string {
  const text =
    raw.includes(' \n') || raw.endsWith(' ')
      ? raw
          .split('\n')
          .map((l) => l.trimEnd())
          .join('\n')
      : raw;
  if (text.length <= max) return text;
  const head = Math.floor(max / 4);
  const tail = max - head;
  return `${text.slice(0, head)}\n… (${text.length - max} characters left out) …\n${text.slice(-tail)}`;
}

/** The window of a run: from shortly before it started to shortly after it ended. */
export function evidenceWindow(result: Pick<ProbeResult, 'startedAt' | 'durationMs'>): { from: number; to: number } {
  return {
    from: result.startedAt - EVIDENCE_BEFORE_MS,
    to: Math.ceil(result.startedAt + result.durationMs + EVIDENCE_AFTER_MS),
  };
}

/** The result's `gatewayLog`: the chosen records of each container's window, masked, and what may be missing. */
export function gatewayLog(
  windows: ReadonlyArray<{ container: string; window: RingWindow } | { container: string; error: string }>,
  subject: EvidenceSubject,
  span: { from: number; to: number },
  redactor: Redactor,
): GatewayLog {
  const all: KeptRecord[] = [];
  const missing: string[] = [];
  for (const w of windows) {
    if ('error' in w) {
      missing.push(`${w.container}: ${w.error}`);
      continue;
    }
    all.push(...w.window.records);
    if (w.window.overrun)
      missing.push(`${w.container}: part of the window was dropped (the gateway logged more than mcpwatch keeps)`);
    if (w.window.notFollowingSince !== undefined) {
      const since = iso(w.window.notFollowingSince);
      missing.push(
        `${w.container}: its log is not being followed (since ${since}): what it logged since may be missing`,
      );
    }
  }
  all.sort((a, b) => a.at - b.at);
  const chosen = selectEvidence(all, subject);
  return {
    from: iso(span.from),
    to: iso(span.to),
    containers: windows.map((w) => w.container),
    about: subject.servers,
    records: chosen.records.map(({ record: r, repeats, lastAt }) => ({
      container: r.container,
      at: iso(r.at),
      stream: r.stream,
      text: redactor.mask(clip(r.text)),
      ...(repeats > 0 && { repeats, lastAt: iso(lastAt) }),
    })),
    ...(chosen.omitted > 0 && { omitted: chosen.omitted }),
    ...(missing.length > 0 && { incomplete: missing.map((m) => redactor.mask(m)) }),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
