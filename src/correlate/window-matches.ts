import { tsToMs } from '../logs/lines.js';
import { keptRecord, type KeptRecord } from '../logs/record-ring.js';
import type { LogRecord } from '../logs/records.js';
import { firstLines, type Match } from '../logs/rules.js';
import { guardMarkerIn, quotesGuardKey } from '../probes/guard-marks.js';
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
 * How much earlier than its auth record an access line may be stamped: Docker copies stdout and stderr apart and
 * stamps each line as it reads it, so on a busy host the access line can be read (and stamped) first.
 */
const REORDER_MS = 250;

/** An auth match with its requester, to be paired with its request's access line. */
interface AuthSeen {
  entry: WindowMatch;
  t: number;
  ip: string;
  /** The guard's wrong key is quoted: the guard's whatever its access line says. */
  keyQuoted: boolean;
}

/**
 * The statuses LiteLLM answers an auth failure with: 401, 403, and 500 (1.77 on /mcp). Other refusals (a session's
 * DELETE answered 4xx, a 404) are no auth record's answer.
 */
const refusedForAuth = (status: number): boolean => status === 401 || status === 403 || status >= 500;

/** An access line of a request refused as an auth failure is, marked when a guard (any mcpwatch's) sent it. */
interface AccessSeen {
  t: number;
  ip: string;
  marked: boolean;
  taken?: boolean;
}

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
 * runs, the records `keep` asks for. Real clients' auth errors before `mark` are counted apart:
 * after it they may be the report's own tries of broken client files.
 * Pure: the caller reads the log and feeds it in log order.
 *
 * Read whole, the window tells more than the agent's tail knew when it counted: once it is read,
 * each auth record is paired with its request's access line (the same requester; each address's
 * refused requests in time order; the line stamped up to PAIR_MS after the record or REORDER_MS
 * before it), and the line's marker decides: a guard's (this report's, or another mcpwatch's whose
 * requests this read was not told of) or a real client's. Docker copies stdout and stderr apart:
 * on a busy host an access line can come before its request's auth record in the log, so the
 * pairing does not rest on log order. A record without an access line keeps the correlator's origin.
 */
export class WindowMatches {
  private readonly counts = new Map<string, MatchCount>();
  private readonly listed: WindowMatch[] = [];
  private total = 0;
  private recordsRead = 0;
  private readonly open = new OpenRecords<WindowMatch>();
  /** The window's auth matches with their requester, and its refused requests' access lines: paired at the end. */
  private readonly auths: AuthSeen[] = [];
  private readonly accesses: AccessSeen[] = [];
  private paired = false;
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
    if (m.category === 'auth') {
      if (origin === 'external' && t < this.mark) this.externalAuthBefore++;
      if (rec.requesterIp)
        this.auths.push({ entry, t, ip: normalizeIp(rec.requesterIp), keyQuoted: quotesGuardKey(rec.text) });
    }
  }

  /**
   * Each auth record paired with its request's access line; an origin the line contradicts
   * corrected (a marked line: a guard's; an unmarked one: a real client's).
   */
  private pair(): void {
    if (this.paired) return;
    this.paired = true;
    // Per address, its lines in time order and the first one a later record may still take.
    const lines = new Map<string, { list: AccessSeen[]; first: number }>();
    for (const x of byTime(this.accesses)) {
      const of = lines.get(x.ip);
      if (of) of.list.push(x);
      else lines.set(x.ip, { list: [x], first: 0 });
    }
    for (const a of byTime(this.auths)) {
      const of = lines.get(a.ip);
      if (!of) continue;
      while (of.first < of.list.length && of.list[of.first]!.t < a.t - REORDER_MS) of.first++;
      let line: AccessSeen | undefined;
      for (let i = of.first; i < of.list.length && of.list[i]!.t <= a.t + PAIR_MS; i++)
        if (!of.list[i]!.taken) {
          line = of.list[i];
          break;
        }
      if (!line) continue;
      line.taken = true;
      const origin: Origin = line.marked || a.keyQuoted ? 'probe' : 'external';
      if (origin !== a.entry.origin) this.recount(a, origin);
    }
  }

  private recount({ entry, t }: AuthSeen, origin: Origin): void {
    this.count(entry.category, entry.kind, entry.origin, entry.at, -1);
    this.count(entry.category, entry.kind, origin, entry.at, 1);
    if (t < this.mark) this.externalAuthBefore += origin === 'external' ? 1 : -1;
    entry.origin = origin;
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
    if (rec.http && refusedForAuth(rec.http.status) && rec.requesterIp)
      this.accesses.push({ t, ip: normalizeIp(rec.requesterIp), marked: guardMarkerIn(rec.http.path) !== undefined });
    if (this.keep(t)) this.kept.push(keptRecord(this.container, t, rec, matched));
    this.open.complete(rec, this.redactor);
  }

  summary(): WindowSummary {
    this.pair();
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

/** In time order; equal times in the order they were read. */
function byTime<T extends { t: number }>(xs: readonly T[]): T[] {
  return xs
    .map((x, i) => ({ x, i }))
    .sort((a, b) => a.x.t - b.x.t || a.i - b.i)
    .map(({ x }) => x);
}
