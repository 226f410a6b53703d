/**
 * Where mcpwatch is in a container's log: the timestamp of the last line counted and how many
 * lines carried exactly that timestamp. Docker's `since` is inclusive and has nanosecond
 * precision, so resuming asks for `since = ts` and drops the first `count` lines stamped `ts`:
 * nothing is read twice and nothing is skipped, even when lines share a timestamp. (Resuming at
 * whole seconds, as Promtail and Alloy do, either replays or loses the lines of that second.)
 */
export interface CursorPosition {
  /** Container id the position belongs to: a re-created container has a new log. */
  id: string;
  /** Normalised RFC 3339 timestamp (see normalizeTs), '' before the first line. */
  ts: string;
  count: number;
}

export class Cursor {
  private ts: string;
  private count: number;
  private resumeTs: string;
  private toSkip: number;

  constructor(
    readonly id: string,
    from?: { ts: string; count: number },
  ) {
    this.ts = from?.ts ?? '';
    this.count = from?.count ?? 0;
    this.resumeTs = this.ts;
    this.toSkip = this.count;
  }

  /** Starts a new read of the log (after a reconnect): lines up to the position are dropped again. */
  resume(): void {
    this.resumeTs = this.ts;
    this.toSkip = this.count;
  }

  /** Whether a line is new; moves the position when it is. */
  accept(ts: string): boolean {
    if (ts === '') return true; // no timestamp (should not happen with timestamps=1): count it, keep the position
    if (this.resumeTs !== '') {
      if (ts < this.resumeTs) return false;
      if (ts === this.resumeTs && this.toSkip > 0) {
        this.toSkip--;
        return false;
      }
    }
    if (ts === this.ts) this.count++;
    else {
      this.ts = ts;
      this.count = 1;
    }
    return true;
  }

  get position(): CursorPosition {
    return { id: this.id, ts: this.ts, count: this.count };
  }
}
