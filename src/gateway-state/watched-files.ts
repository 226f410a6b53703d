import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** A watched file as looked at now: its modification time and a hash of its bytes (never its text). */
export interface FileLook {
  /** sha256 of the bytes (hex); 'absent' when there is no such file; undefined when it could not be read. */
  hash: string | undefined;
  mtimeMs: number;
  size: number;
  /** Why it could not be read (the error code, e.g. EACCES): the file is then neither pending nor clean. */
  error?: string;
}

/** The files as the running container loaded them: the hash of each at its start; null when unknown (changed since). */
export type Baseline = Record<string, string | null>;

export interface PendingFile {
  path: string;
  /** When the file was last modified (epoch ms; the look's time for a removed file). */
  changedAt: number;
}

/**
 * Pure: the baseline of a container run from the files as they are now: a file modified after the
 * container started (`startedAtMs`) was changed under it, its loaded content is unknown (null).
 */
export function takeBaseline(looks: Readonly<Record<string, FileLook>>, startedAtMs: number): Baseline {
  const out: Baseline = {};
  for (const [path, l] of Object.entries(looks)) {
    if (l.hash === undefined) continue; // unreadable: taken on a later look
    out[path] = l.hash !== 'absent' && l.mtimeMs > startedAtMs ? null : l.hash;
  }
  return out;
}

/** Pure: the files that differ from what the running container loaded (a restart loads them). */
export function pendingFiles(
  baseline: Baseline,
  looks: Readonly<Record<string, FileLook>>,
  now: number,
): PendingFile[] {
  const out: PendingFile[] = [];
  for (const [path, l] of Object.entries(looks)) {
    if (l.hash === undefined || !(path in baseline)) continue;
    const was = baseline[path];
    if (was === null || was !== l.hash) out.push({ path, changedAt: l.hash === 'absent' ? now : l.mtimeMs });
  }
  return out;
}

/**
 * Looks at files: a stat each, and a hash only of a file whose modification time or size changed
 * since the last look (kept in `cache`). The bytes go through the hash only; nothing else is kept.
 */
export async function lookAt(
  paths: readonly string[],
  cache: Map<string, FileLook>,
): Promise<Record<string, FileLook>> {
  const out: Record<string, FileLook> = {};
  for (const path of paths) {
    let look: FileLook;
    try {
      const s = await stat(path);
      const known = cache.get(path);
      look =
        known?.hash !== undefined && known.mtimeMs === s.mtimeMs && known.size === s.size
          ? known
          : { hash: await hashOf(path), mtimeMs: s.mtimeMs, size: s.size };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      look =
        code === 'ENOENT'
          ? { hash: 'absent', mtimeMs: 0, size: 0 }
          : { hash: undefined, mtimeMs: 0, size: 0, error: code };
    }
    cache.set(path, look);
    out[path] = look;
  }
  return out;
}

function hashOf(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
