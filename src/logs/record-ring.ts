import type { StreamName } from './frames.js';
import type { LogRecord, RecordKind } from './records.js';
import type { Match } from './rules.js';

/** A complete log record as kept for evidence: when, where, what (unmasked: whoever shows it masks it). */
export interface KeptRecord {
  container: string;
  /** Log time, epoch ms. */
  at: number;
  stream: StreamName;
  kind: RecordKind;
  level?: string;
  text: string;
  /** Upstream servers the rules found in it. */
  servers?: readonly string[];
  /** The request's path, for access lines. */
  path?: string;
  status?: number;
}

/** A complete record as kept, with the servers its rules' matches named. */
export function keptRecord(container: string, at: number, rec: LogRecord, matched: readonly Match[] = []): KeptRecord {
  const servers = [...new Set(matched.flatMap((m) => (m.server ? [m.server] : [])))];
  return {
    container,
    at,
    stream: rec.stream,
    kind: rec.kind,
    ...(rec.level && { level: rec.level }),
    text: rec.text,
    ...(servers.length > 0 && { servers }),
    ...(rec.http && { path: rec.http.path, status: rec.http.status }),
  };
}

/** What a ring holds of a time window of one container's log. */
export interface RingWindow {
  records: KeptRecord[];
  /** Records of the window were dropped to stay within the ring's size (the gateway logged more than it holds). */
  overrun: boolean;
  /**
   * The log is not being followed right now, since then (epoch ms): what it logged since may not
   * have been read yet. (A period not followed that has ended is no gap: the tail resumes from its
   * cursor and reads what it missed.)
   */
  notFollowingSince?: number;
}
/** Per record, what its fields cost beyond its text (an estimate, to bound memory by bytes). */
const RECORD_OVERHEAD = 120;

interface ContainerRing {
  records: KeptRecord[];
  /** Index of the oldest record still held (records before it are dropped, compacted now and then). */
  head: number;
  bytes: number;
  /** Log time of the newest record dropped for size. */
  droppedUpTo: number;
  /** Log time of the newest record seen. */
  latest: number;
  /** Not followed since then; null while followed. */
  downSince: number | null;
}

/**
 * The recent records of each followed container, for the evidence of a failed probe run. Bounded
 * per container by bytes and by age; whoever reads a window is told when part of it was dropped
 * or not followed, so missing evidence is never shown as no evidence. Pure (the caller gives times).
 */
export class RecordRing {
  private readonly rings = new Map<string, ContainerRing>();

  constructor(
    private readonly maxBytes = 2 * 1024 * 1024,
    private readonly maxAgeMs = 15 * 60_000,
  ) {}

  add(rec: KeptRecord): void {
    const r = this.ring(rec.container);
    r.records.push(rec);
    r.bytes += rec.text.length + RECORD_OVERHEAD;
    if (rec.at > r.latest) r.latest = rec.at;
    const oldest = rec.at - this.maxAgeMs;
    while (r.head < r.records.length - 1 && (r.bytes > this.maxBytes || r.records[r.head]!.at < oldest)) {
      const gone = r.records[r.head]!;
      r.records[r.head] = undefined as unknown as KeptRecord;
      r.head++;
      r.bytes -= gone.text.length + RECORD_OVERHEAD;
      if (gone.at > r.droppedUpTo) r.droppedUpTo = gone.at;
    }
    if (r.head > 1024 && r.head * 2 > r.records.length) {
      r.records = r.records.slice(r.head);
      r.head = 0;
    }
  }

  /** The container's log is followed (true) or not (false) from `at` on. */
  following(container: string, up: boolean, at: number): void {
    const r = this.ring(container);
    if (up) r.downSince = null;
    else r.downSince ??= at;
  }

  /** The container is no longer followed at all: its records go. */
  remove(container: string): void {
    this.rings.delete(container);
  }

  containers(): string[] {
    return [...this.rings.keys()];
  }

  /** Log time of the newest record seen from the container (0: none yet). */
  latestAt(container: string): number {
    return this.rings.get(container)?.latest ?? 0;
  }

  /** The records logged in [from, to], oldest first. */
  window(container: string, from: number, to: number): RingWindow {
    const r = this.rings.get(container);
    if (!r) return { records: [], overrun: false, notFollowingSince: from };
    const records: KeptRecord[] = [];
    for (let i = r.head; i < r.records.length; i++) {
      const rec = r.records[i]!;
      if (rec.at >= from && rec.at <= to) records.push(rec);
    }
    // Records arrive in log order per stream, not across streams: sort by time.
    records.sort((a, b) => a.at - b.at);
    return {
      records,
      overrun: r.droppedUpTo >= from,
      ...(r.downSince !== null && { notFollowingSince: r.downSince }),
    };
  }

  private ring(container: string): ContainerRing {
    let r = this.rings.get(container);
    if (!r)
      this.rings.set(
        container,
        (r = { records: [], head: 0, bytes: 0, droppedUpTo: -Infinity, latest: 0, downSince: null }),
      );
    return r;
  }
}
