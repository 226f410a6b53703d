import type { StreamName } from './frames.js';
import { normalizeTs, tsToSince } from './lines.js';

/**
 * Where mcpwatch is in a container's log, per stream: the timestamp of the last line counted and
 * how many lines of that stream carried exactly that timestamp.
 *
 * Docker stamps each line (nanoseconds) in one goroutine per stream and then writes it to the
 * log, so within a stream the timestamps never go back, but across streams they can: a stderr
 * line stamped a few milliseconds before a stdout line may be written after it (seen on a busy
 * container). One position for both streams would then resume too late (a line lost) or too
 * early (a line counted twice). So each stream keeps its own position; a resume asks Docker for
 * `since` = the newest position minus RESUME_LOOKBACK_MS (Docker's `since` is inclusive, at
 * nanosecond precision) and each stream drops what it has already counted: the lines before its
 * position, and the first `count` lines stamped exactly at it. Resuming at whole seconds, as
 * Promtail and Alloy do, either replays or loses the lines of that second.
 */
export interface StreamPosition {
  /** Normalised RFC 3339 timestamp (see normalizeTs). */
  ts: string;
  /** Lines of the stream counted with exactly this timestamp. */
  count: number;
}

export interface CursorPosition {
  /** Container id the position belongs to: a re-created container has a new log. */
  id: string;
  /** Lines stamped before this were never to be counted (a first start at the end of the log); '' = the whole log. */
  origin: string;
  streams: Partial<Record<StreamName, StreamPosition>>;
}

/**
 * How far before the newest position a resume reads again: more than lines of one stream can be
 * written after later-stamped lines of the other (milliseconds; the lines read again are dropped).
 */
export const RESUME_LOOKBACK_MS = 2_000;

interface Floor {
  ts: string;
  toSkip: number;
}

export class Cursor {
  readonly id: string;
  readonly origin: string;
  private readonly streams: Partial<Record<StreamName, StreamPosition>>;
  private floors: Partial<Record<StreamName, Floor>> = {};

  constructor(from: { id: string; origin?: string; streams?: Partial<Record<StreamName, StreamPosition>> }) {
    this.id = from.id;
    this.origin = from.origin ?? '';
    this.streams = {};
    for (const s of ['stdout', 'stderr'] as const) {
      const p = from.streams?.[s];
      if (p) this.streams[s] = { ts: p.ts, count: p.count };
    }
    this.resume();
  }

  /** Starts a new read of the log (after a reconnect): what each stream counted is dropped again. */
  resume(): void {
    this.floors = {};
    for (const [s, p] of Object.entries(this.streams) as Array<[StreamName, StreamPosition]>)
      this.floors[s] = { ts: p.ts, toSkip: p.count };
  }

  /** Docker's `since` for the next read (`seconds.nanoseconds`), or '' for the whole log. */
  since(): string {
    let newest = '';
    for (const p of Object.values(this.streams)) if (p && p.ts > newest) newest = p.ts;
    if (!newest) return this.origin ? tsToSince(this.origin) : '';
    const back = shiftTs(newest, -RESUME_LOOKBACK_MS);
    return tsToSince(this.origin && this.origin > back ? this.origin : back);
  }

  /** Whether a line is new; moves the stream's position when it is. */
  accept(stream: StreamName, ts: string): boolean {
    if (ts === '') return true; // no timestamp (not with timestamps=1): count it, keep the position
    if (this.origin && ts < this.origin) return false;
    const floor = this.floors[stream];
    if (floor) {
      if (ts < floor.ts) return false;
      if (ts === floor.ts && floor.toSkip > 0) {
        floor.toSkip--;
        return false;
      }
    }
    const p = this.streams[stream];
    if (!p) this.streams[stream] = { ts, count: 1 };
    else if (ts === p.ts) p.count++;
    else if (ts > p.ts) {
      p.ts = ts;
      p.count = 1;
    }
    // (A line stamped before the stream's last one means the clock went back: counted, the position stays.)
    return true;
  }

  get position(): CursorPosition {
    const streams: CursorPosition['streams'] = {};
    for (const s of ['stdout', 'stderr'] as const) {
      const p = this.streams[s];
      if (p) streams[s] = { ts: p.ts, count: p.count };
    }
    return { id: this.id, origin: this.origin, streams };
  }
}

/** A normalised timestamp moved by whole milliseconds, nanoseconds kept. */
export function shiftTs(ts: string, ms: number): string {
  const n = normalizeTs(ts);
  const base = Date.parse(`${n.slice(0, 23)}Z`) + ms;
  return `${new Date(base).toISOString().slice(0, 23)}${n.slice(23, 29)}Z`;
}

/** Now, as a normalised Docker timestamp (millisecond precision). */
export function nowTs(now = Date.now()): string {
  return `${new Date(now).toISOString().slice(0, 23)}000000Z`;
}
