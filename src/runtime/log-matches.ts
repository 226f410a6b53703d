import type { GuardCorrelator } from '../correlate/guard.js';
import { listedMatch, OpenRecords, type WindowMatch } from '../correlate/window-matches.js';
import { tsToMs } from '../logs/lines.js';
import type { LogSink } from '../logs/log-service.js';
import { keptRecord, RecordRing } from '../logs/record-ring.js';
import type { LogRecord } from '../logs/records.js';
import type { Match } from '../logs/rules.js';
import type { LogRecorder } from '../metrics/log-recorder.js';
import type { Redactor } from '../util/redact.js';

/** A match as /status and the MCP tools list it: the report's shape, with its container. */
export type RecentMatch = WindowMatch & { container: string };

const RECENT_MAX = 200;

/**
 * Where the log service's reports go: each match gets its origin from the guard correlator, is
 * recorded as metrics and kept among the recent matches (masked) for /status and the MCP tools.
 * Every complete record is kept for a while in `records`, the evidence of failed probe runs.
 */
export class LogMatches implements LogSink {
  private recent: RecentMatch[] = [];
  /** Recent matches of records still open: completed (requester IP, more text) when the record ends. */
  private readonly open = new OpenRecords<RecentMatch>();
  /** The containers whose log is followed now. */
  private readonly followed = new Set<string>();

  constructor(
    private readonly guards: GuardCorrelator,
    private readonly recorder: LogRecorder,
    private readonly redactor: Redactor,
    /** Whether mcpwatch's probes find this upstream server down now. */
    private readonly serverDown: (server: string) => boolean = () => false,
    readonly records = new RecordRing(),
    private readonly now: () => number = Date.now,
  ) {
    recorder.originCorrelation(() => this.originCorrelation());
  }

  /**
   * Per followed container, whether the auth_guard's marked requests leave their access line in its log (the origin
   * of its auth errors rests on them); none before a guard request was judged there.
   */
  originCorrelation(): ReadonlyMap<string, boolean> {
    const all = this.guards.originCorrelation();
    return new Map([...all].filter(([c]) => this.followed.has(c)));
  }

  /** Newest first. */
  recentMatches(): RecentMatch[] {
    return [...this.recent].reverse();
  }

  containerAdded(container: string): void {
    this.recorder.containerAdded(container);
    this.followed.add(container);
    this.records.following(container, false, this.now());
  }

  containerRemoved(container: string): void {
    this.recorder.containerRemoved(container);
    this.followed.delete(container);
    this.guards.forget(container);
    this.records.remove(container);
  }

  lines(container: string, stream: 'stdout' | 'stderr', n: number): void {
    this.recorder.lines(container, stream, n);
  }

  tailUp(container: string, up: boolean): void {
    this.recorder.tailUp(container, up);
    this.records.following(container, up, this.now());
  }

  dockerUp(up: boolean): void {
    this.recorder.dockerUp(up);
  }

  match(container: string, m: Match, rec: LogRecord): void {
    const origin = this.guards.attribute(container, m, rec);
    const at = rec.ts ? tsToMs(rec.ts) : Date.now();
    const cause = m.category === 'mcp' && m.server !== undefined && this.serverDown(m.server) ? 'server_down' : '';
    this.recorder.match(container, m, origin, at, cause);
    const entry: RecentMatch = { container, ...listedMatch(m, rec, origin, at, this.redactor) };
    this.recent.push(entry);
    if (this.recent.length > RECENT_MAX) this.recent.splice(0, this.recent.length - RECENT_MAX);
    this.open.add(rec, entry);
  }

  recordEnd(container: string, rec: LogRecord, matched: readonly Match[]): void {
    if (rec.http) this.guards.accessLine(container, rec);
    if (!rec.duplicate) this.records.add(keptRecord(container, rec.ts ? tsToMs(rec.ts) : this.now(), rec, matched));
    this.open.complete(rec, this.redactor);
  }
}
