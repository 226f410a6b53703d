import { tsToMs } from '../logs/lines.js';
import { keptRecord, type KeptRecord } from '../logs/record-ring.js';
import type { LogRecord } from '../logs/records.js';
import { firstLines, type Match } from '../logs/rules.js';
import { guardMarkerIn } from '../probes/guard-marks.js';
import type { Redactor } from '../util/redact.js';
import { normalizeIp, type GuardCorrelator, type Origin } from './guard.js';

/** One match of a window, as a report lists it. */
export interface WindowMatch {
  at: string;
  category: string;
  kind: string;
  origin: Origin;
  requesterIp?: string;
  server?: string;
  /** The record's first lines, keys masked. */
  line: string;
}

/** How often a kind of match came in the window. */
export interface MatchCount {
  category: string;
  kind: string;
  origin: Origin;
  count: number;
  /** ISO time of the newest. */
  lastAt: string;
}

/** What one container logged in a window, as the report shows it. */
export interface WindowSummary {
  /** Records read in the window. */
  records: number;
  counts: MatchCount[];
  /** The newest matches, oldest first. */
  matches: WindowMatch[];
  /** Matches of the window not listed (only the newest are). */
  omitted: number;
  /**
   * Auth errors of origin `external` logged before `mark` (the report's start): real clients', not the report's own
   * tries.
   */
  externalAuthBefore: number;
}

/** How long after an auth record the access line of its request may come (uvicorn logs it when the answer is sent). */
const PAIR_MS = 2_000;

/**
 * A match as it is listed (/status, the MCP tools, the report): its first lines masked until its record is complete.
 */
export function listedMatch(m: Match, rec: LogRecord, origin: Origin, at: number, redactor: Redactor): WindowMatch {
  return {
    at: new Date(at).toISOString(),
    category: m.category,
    kind: m.kind,
    origin,
    ...(rec.requesterIp && { requesterIp: rec.requesterIp }),
    ...(m.server && { server: m.server }),
    line: redactor.mask(firstLines(rec.text)),
  };
}

/**
 * The listed matches of records still open: completed (all their lines, the requester a later line named) when the
 * record ends.
 */
export class OpenRecords<T extends WindowMatch> {
  private readonly open = new WeakMap<LogRecord, T[]>();

  add(rec: LogRecord, entry: T): void {
    const open = this.open.get(rec);
    if (open) open.push(entry);
    else this.open.set(rec, [entry]);
  }

  complete(rec: LogRecord, redactor: Redactor): void {
    const entries = this.open.get(rec);
    if (!entries) return;
    this.open.delete(rec);
    const line = redactor.mask(firstLines(rec.text));
    for (const e of entries) {
      e.line = line;
      if (rec.requesterIp && !e.requesterIp) e.requesterIp = rec.requesterIp;
    }
  }
}

/** How many matches of one container a report lists (all are counted). */
export const WINDOW_MATCHES_LISTED = 50;

/**
 * The matches of one container's log window, read once (`mcpwatch report`): each one's origin
 * from the guard correlator the run's auth_guard probes announced their requests to (so the
 * errors the report's own guard provoked are told from real clients'), counted by category, kind
 * and origin, the newest listed with their first lines masked; and, for the evidence of failed
 * runs, the records `keep` asks for. The auth errors of another mcpwatch's guard (a running
 * agent's) are told by the marked access line that follows them. Real clients' auth errors before
 * `mark` are counted apart: after it they may be the report's own tries of broken client files.
 * Pure: the caller reads the log and feeds it in log order.
 */
export class WindowMatches {
  private readonly counts = new Map<string, MatchCount>();
  private readonly listed: WindowMatch[] = [];
  private total = 0;
  private recordsRead = 0;
  private readonly open = new OpenRecords<WindowMatch>();
  /** Recent auth matches of origin external with their requester, waiting for their request's access line. */
  private unpaired: Array<{ entry: WindowMatch; t: number; ip: string }> = [];
  private externalAuthBefore = 0;
  readonly kept: KeptRecord[] = [];

  constructor(
    private readonly container: string,
    private readonly span: { from: number; to: number },
    private readonly guards: GuardCorrelator,
    private readonly redactor: Redactor,
    private readonly keep: (at: number) => boolean = () => false,
    private readonly mark = Infinity,
    private readonly listMax = WINDOW_MATCHES_LISTED,
  ) {}

  match(m: Match, rec: LogRecord): void {
    const t = rec.ts ? tsToMs(rec.ts) : undefined;
    if (t === undefined || t < this.span.from || t > this.span.to) return;
    // Asked for every match, in log order, as the agent's tail asks: the correlator learns the
    // guard's address from its access lines as it goes.
    const origin = this.guards.attribute(this.container, m, rec);
    const entry = listedMatch(m, rec, origin, t, this.redactor);
    this.count(m.category, m.kind, origin, entry.at, 1);
    this.total++;
    this.listed.push(entry);
    if (this.listed.length > this.listMax) this.listed.shift();
    this.open.add(rec, entry);
    this.unpaired = this.unpaired.filter((u) => u.t >= t - PAIR_MS);
    if (m.category === 'auth' && origin === 'external') {
      if (t < this.mark) this.externalAuthBefore++;
      if (rec.requesterIp) this.unpaired.push({ entry, t, ip: normalizeIp(rec.requesterIp) });
    } else if (origin === 'probe' && rec.http && rec.requesterIp && guardMarkerIn(rec.http.path) !== undefined)
      this.pairGuardAccess(normalizeIp(rec.requesterIp));
  }

  /**
   * A guard's access line (its marker in the URL) whose auth record the correlator did not know
   * as the guard's: the guard of a running agent, whose requests this one-off read was not told
   * of. LiteLLM logs the auth error, then uvicorn the request's access line: the newest auth
   * match of the same requester just before it was that request's.
   */
  private pairGuardAccess(ip: string): void {
    let i = this.unpaired.length - 1;
    while (i >= 0 && this.unpaired[i]!.ip !== ip) i--;
    if (i < 0) return;
    const { entry, t } = this.unpaired.splice(i, 1)[0]!;
    this.count(entry.category, entry.kind, 'external', entry.at, -1);
    this.count(entry.category, entry.kind, 'probe', entry.at, 1);
    if (t < this.mark) this.externalAuthBefore--;
    entry.origin = 'probe';
  }

  private count(category: string, kind: string, origin: Origin, at: string, n: number): void {
    const key = `${category}\0${kind}\0${origin}`;
    const c = this.counts.get(key);
    if (!c) this.counts.set(key, { category, kind, origin, count: n, lastAt: at });
    else {
      c.count += n;
      if (c.count === 0) this.counts.delete(key);
      else if (n > 0 && at > c.lastAt) c.lastAt = at;
    }
  }

  recordEnd(rec: LogRecord, matched: readonly Match[]): void {
    const t = rec.ts ? tsToMs(rec.ts) : undefined;
    if (rec.duplicate || t === undefined || t < this.span.from || t > this.span.to) return;
    this.recordsRead++;
    if (this.keep(t)) this.kept.push(keptRecord(this.container, t, rec, matched));
    this.open.complete(rec, this.redactor);
  }

  summary(): WindowSummary {
    const counts = [...this.counts.values()].sort(
      (a, b) =>
        a.category.localeCompare(b.category) ||
        b.count - a.count ||
        a.kind.localeCompare(b.kind) ||
        a.origin.localeCompare(b.origin),
    );
    return {
      records: this.recordsRead,
      counts,
      matches: [...this.listed],
      omitted: this.total - this.listed.length,
      externalAuthBefore: this.externalAuthBefore,
    };
  }
}
