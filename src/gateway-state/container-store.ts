import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMemory, type ContainerMemory } from './container-facts.js';
import type { Baseline } from './watched-files.js';
import { writeFileAtomic } from '../util/atomic-file.js';

/** What is kept per container name: the counters' memory, and the watched files' baseline of the run it is for. */
export interface StoredContainer {
  memory: ContainerMemory;
  /** The run (its `startedAt`) the baseline was taken for, and the baseline: hashes, never contents. */
  files?: { startedAt: string; baseline: Baseline };
}

/**
 * One small JSON file per container name in `<stateDir>/containers`, written atomically (temp
 * file, fsync, rename) as the log cursors are, one write at a time.
 */
export class ContainerStore {
  private readonly dir: string;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'containers');
  }

  async load(container: string): Promise<StoredContainer | undefined> {
    await this.writes; // a container re-added by a reload reads what its last look wrote
    try {
      const s = JSON.parse(await readFile(this.file(container), 'utf8')) as Record<string, unknown>;
      const memory = parseMemory(s.memory);
      if (!memory) return undefined;
      const files = parseFiles(s.files);
      return { memory, ...(files && { files }) };
    } catch {
      return undefined; // none yet, or unreadable: a first look
    }
  }

  save(container: string, stored: StoredContainer): Promise<unknown> {
    const body = `${JSON.stringify({ container, ...stored, savedAt: new Date().toISOString() })}\n`;
    this.writes = this.writes.then(() => writeFileAtomic(this.file(container), body)).catch(() => undefined);
    return this.writes;
  }

  /** Waits for the writes under way. */
  flush(): Promise<unknown> {
    return this.writes;
  }

  private file(container: string): string {
    return join(this.dir, `${encodeURIComponent(container)}.json`);
  }
}

function parseFiles(f: unknown): StoredContainer['files'] {
  if (!f || typeof f !== 'object') return undefined;
  const { startedAt, baseline } = f as Record<string, unknown>;
  if (typeof startedAt !== 'string' || !baseline || typeof baseline !== 'object') return undefined;
  const out: Baseline = {};
  for (const [k, v] of Object.entries(baseline)) if (typeof v === 'string' || v === null) out[k] = v;
  return { startedAt, baseline: out };
}
