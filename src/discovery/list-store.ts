// stateDir/discovery/<target>.json: the last list read of each target's gateway (names only), so that an mcpwatch
// started while the gateway is down still probes (and alerts on) the servers it had.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { LIST_SOURCES, normalize, type KnownList } from './servers.js';

export function listPath(stateDir: string, target: string): string {
  return join(stateDir, 'discovery', `${encodeURIComponent(target)}.json`);
}

/**
 * The list kept for `target` when it was read from the same gateway (`url`); undefined when there is none, or it
 * cannot be used (the gateway's next answer sets it). Read once when a target starts being discovered: synchronous,
 * a small file.
 */
export function readKeptList(stateDir: string, target: string, url: string): KnownList | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(listPath(stateDir, target), 'utf8'));
  } catch {
    return undefined;
  }
  const o = raw as { url?: unknown; servers?: unknown; source?: unknown; at?: unknown } | null;
  if (!o || o.url !== url || !Array.isArray(o.servers) || typeof o.at !== 'number') return undefined;
  const source = LIST_SOURCES.find((s) => s === o.source);
  if (!source || !o.servers.every((s) => typeof s === 'string')) return undefined;
  return { servers: normalize(o.servers as string[]), source, at: o.at, restored: true };
}

/** Keeps `list` as the last one read of `target` at `url` (atomically). */
export function keepList(stateDir: string, target: string, url: string, list: KnownList): Promise<void> {
  const body = { version: 1, target, url, source: list.source, at: list.at, servers: list.servers };
  return writeFileAtomic(listPath(stateDir, target), `${JSON.stringify(body)}\n`);
}
