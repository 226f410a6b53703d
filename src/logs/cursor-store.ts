import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CursorPosition, StreamPosition } from './cursor.js';
import { writeFileAtomic } from '../util/atomic-file.js';

/** How often a container's cursor is written while lines keep coming (and always on stop). */
export const CURSOR_SAVE_INTERVAL_MS = 1_000;

interface Stored extends CursorPosition {
  container: string;
  savedAt: string;
}

/**
 * Cursors on disk, one small JSON file per container name in `<stateDir>/cursors`, written
 * atomically (temp file + rename) so a crash leaves the old or the new position, never half of one.
 */
export class CursorStore {
  private readonly dir: string;
  private readonly pending = new Map<string, CursorPosition>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private writes: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'cursors');
  }

  async load(container: string): Promise<CursorPosition | undefined> {
    let s: Record<string, unknown>;
    try {
      s = JSON.parse(await readFile(this.file(container), 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined; // none yet, or unreadable: treated as a first start
    }
    return parseStored(s);
  }

  /** Records a position; written within CURSOR_SAVE_INTERVAL_MS. */
  save(container: string, pos: CursorPosition): void {
    this.pending.set(container, pos);
    if (!this.timers.has(container)) {
      const t = setTimeout(() => {
        this.timers.delete(container);
        void this.write(container);
      }, CURSOR_SAVE_INTERVAL_MS);
      t.unref();
      this.timers.set(container, t);
    }
  }

  /** Writes every pending position now (on shutdown, or when a tail stops). */
  async flush(container?: string): Promise<void> {
    const names = container ? [container] : [...this.pending.keys()];
    for (const n of names) {
      const t = this.timers.get(n);
      if (t) clearTimeout(t);
      this.timers.delete(n);
      void this.write(n);
    }
    await this.writes;
  }

  private write(container: string): Promise<unknown> {
    const pos = this.pending.get(container);
    if (!pos) return this.writes;
    this.pending.delete(container);
    const body: Stored = { container, ...pos, savedAt: new Date().toISOString() };
    // Serialized, so an older position never lands after a newer one.
    this.writes = this.writes
      .then(() => writeFileAtomic(this.file(container), `${JSON.stringify(body)}\n`))
      .catch(() => undefined);
    return this.writes;
  }

  private file(container: string): string {
    return join(this.dir, `${encodeURIComponent(container)}.json`);
  }
}

/** A stored cursor, checked field by field; undefined when it is not one. */
export function parseStored(s: Record<string, unknown>): CursorPosition | undefined {
  if (!s || typeof s !== 'object' || typeof s.id !== 'string' || !s.id) return undefined;
  // One position for both streams (before per-stream positions): resumed from its timestamp.
  if (typeof s.ts === 'string' && s.streams === undefined) return { id: s.id, origin: s.ts, streams: {} };
  if (typeof s.origin !== 'string' || !s.streams || typeof s.streams !== 'object') return undefined;
  const streams: CursorPosition['streams'] = {};
  for (const name of ['stdout', 'stderr'] as const) {
    const p = (s.streams as Record<string, Partial<StreamPosition> | undefined>)[name];
    if (p === undefined) continue;
    if (
      typeof p !== 'object' ||
      p === null ||
      typeof p.ts !== 'string' ||
      !TS.test(p.ts) ||
      typeof p.count !== 'number' ||
      !(p.count >= 0)
    )
      return undefined;
    streams[name] = { ts: p.ts, count: p.count };
  }
  if (s.origin !== '' && !TS.test(s.origin)) return undefined;
  return { id: s.id, origin: s.origin, streams };
}

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
