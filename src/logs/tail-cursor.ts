import type { ContainerConfig } from '../config/schema.js';
import { Cursor, nowTs, type CursorPosition } from './cursor.js';
import type { CursorStore } from './cursor-store.js';

/** Where a tail starts in the log of a container id it has no cursor in use for. */
export type CursorStart = 'stored' | 'whole log' | 'end of log';

/** What decides where a tail starts in a container's log. */
export interface StartFacts {
  /** The position stored for the container name, whichever container it was. */
  stored: CursorPosition | undefined;
  /** This tail has followed a container of this name before (another id). */
  hadCursor: boolean;
  from: ContainerConfig['from'];
  /** The container was created after this tail started (epoch ms both). */
  created: number;
  startedAt: number;
}

/**
 * The stored position when it is this container's; the whole log when the container is new to mcpwatch (re-created,
 * or created while mcpwatch was watching for it: all of its log is unseen); the end of the log on the very first
 * start, for a container that was already there (unless `from: beginning`).
 */
export function cursorStart(id: string, f: StartFacts): CursorStart {
  if (f.stored?.id === id) return 'stored';
  if (f.stored || f.hadCursor || f.from === 'beginning' || f.created >= f.startedAt) return 'whole log';
  return 'end of log';
}

/** Docker's logs options for a read from a cursor's `since` ('' = the whole log). */
export function readFrom(since: string): { since: string } | { tail: 'all' } {
  return since ? { since } : { tail: 'all' };
}

/** The cursor of one tail: which one applies to the container it finds, and saving it. */
export class TailCursor {
  private cursor: Cursor | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly config: ContainerConfig,
    private readonly store: CursorStore,
  ) {}

  /**
   * The cursor for a container and where Docker's next read starts, the cursor set to drop again what it has counted
   * (the read starts a little before its position).
   */
  async open(id: string, created: number): Promise<{ cursor: Cursor; from: ReturnType<typeof readFrom> }> {
    const cursor = await this.cursorFor(id, created);
    const from = readFrom(cursor.since());
    cursor.resume();
    return { cursor, from };
  }

  /** Records the position (written within CURSOR_SAVE_INTERVAL_MS). */
  save(): void {
    if (this.cursor) this.store.save(this.config.name, this.cursor.position);
  }

  /** Saves the position and writes it now (the tail stops). */
  async close(): Promise<void> {
    this.save();
    await this.store.flush(this.config.name);
  }

  private async cursorFor(id: string, created: number): Promise<Cursor> {
    if (this.cursor?.id === id) return this.cursor;
    const stored = await this.store.load(this.config.name);
    const facts = { stored, hadCursor: this.cursor !== undefined, from: this.config.from, created };
    const start = cursorStart(id, { ...facts, startedAt: this.startedAt });
    if (start === 'stored') this.cursor = new Cursor(stored!);
    else if (start === 'whole log') this.cursor = new Cursor({ id });
    else this.cursor = new Cursor({ id, origin: nowTs() });
    this.save();
    return this.cursor;
  }
}
