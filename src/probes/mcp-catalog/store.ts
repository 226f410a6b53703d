// mcp_catalog's files in stateDir, one per probe in each folder, written atomically:
//   catalogs/seen/<probe>.json    the baselines the agent compares the next catalog with (what it last saw of each
//                                 server up), so that a restart neither forgets them nor misses a change made while
//                                 mcpwatch was down;
//   catalogs/pinned/<probe>.json  expect.pinned: the catalog a person accepted (first: the first one seen), which the
//                                 agent reads at every run: `mcpwatch accept-catalog` rewrites it.
// The agent writes the seen file; the pin only when there is none, or to fill in a server it knew only down. The
// command writes the pin. Two writers of one pin are thus rare, and each write replaces the whole file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { RememberedTool, ServerCatalog, ToolChanges, ToolPrint } from '../types.js';
import { canonicalJson, catalogDiff, printChanges, shortHash } from './diff.js';

/** The files' format: 2 keeps a print of several fields per tool; a file without `version`, input schema hashes. */
export const STORE_VERSION = 2;

/** What the agent keeps of a probe's catalog across its restarts. */
export interface SeenCatalog {
  /** scopeOf() of the probe when it was saved: baselines of another catalog (a changed definition) are not used. */
  scope: string;
  servers: Record<string, ServerCatalog>;
  lastChange?: { at: number; added: string[]; removed: string[]; changedSchemas: string[]; changes?: ToolChanges };
}

/** A pinned probe's baseline. */
export interface Pin {
  /** When it was taken (epoch ms). */
  at: number;
  /** The first catalog the probe saw, or one a person accepted. */
  how: 'first_catalog' | 'accepted';
  servers: Record<string, ServerCatalog>;
}

/** A file that is there but cannot be used. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/**
 * The catalog a probe's baselines are about: the gateway (URL and MCP path) and the servers asked for. A reload or a
 * restart with another one starts over (as a changed definition always did); a changed schedule or timeout does not.
 */
export function scopeOf(target: { url: string; mcpPath: string }, servers: readonly string[]): string {
  return shortHash(canonicalJson({ url: target.url, mcpPath: target.mcpPath, servers: [...servers].sort() }));
}

/** One write at a time per file in this process (the temp file's name is the process's). */
const writing = new Map<string, Promise<void>>();

function writeJson(path: string, body: object): Promise<void> {
  const next = (writing.get(path) ?? Promise.resolve())
    .catch(() => undefined)
    .then(() => writeFileAtomic(path, `${JSON.stringify(body)}\n`));
  writing.set(path, next);
  void next.finally(() => writing.get(path) === next && writing.delete(path)).catch(() => undefined);
  return next;
}

/** The JSON of a file; undefined when there is none. Throws a StoreError when it cannot be read or parsed. */
async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new StoreError(`${path} is not a catalog mcpwatch wrote (not a JSON object)`);
}

/** A probe's two files under `stateDir`. */
export class CatalogStore {
  readonly seenPath: string;
  readonly pinPath: string;

  constructor(
    stateDir: string,
    readonly probe: string,
  ) {
    const file = `${encodeURIComponent(probe)}.json`;
    this.seenPath = join(stateDir, 'catalogs', 'seen', file);
    this.pinPath = join(stateDir, 'catalogs', 'pinned', file);
  }

  /** The baselines last saved; undefined when there are none. Throws a StoreError for a file it cannot use. */
  async readSeen(): Promise<SeenCatalog | undefined> {
    const raw = await readJson(this.seenPath);
    if (!raw) return undefined;
    const servers = parseServers(raw.servers);
    if (!servers || typeof raw.scope !== 'string') throw new StoreError(`${this.seenPath}: not a catalog's baselines`);
    const lastChange = parseLastChange(raw.lastChange);
    return { scope: raw.scope, servers, ...(lastChange && { lastChange }) };
  }

  writeSeen(seen: SeenCatalog): Promise<void> {
    return writeJson(this.seenPath, {
      version: STORE_VERSION,
      probe: this.probe,
      savedAt: new Date().toISOString(),
      ...seen,
    });
  }

  /** The pin; undefined when there is none. Throws a StoreError for a file it cannot use. */
  async readPin(): Promise<Pin | undefined> {
    const raw = await readJson(this.pinPath);
    if (!raw) return undefined;
    const servers = parseServers(raw.servers);
    const how = raw.how === 'accepted' ? 'accepted' : raw.how === 'first_catalog' ? 'first_catalog' : undefined;
    if (!servers || !how || typeof raw.at !== 'number')
      throw new StoreError(`${this.pinPath}: not a pinned catalog mcpwatch wrote`);
    return { at: raw.at, how, servers };
  }

  writePin(pin: Pin): Promise<void> {
    return writeJson(this.pinPath, {
      version: STORE_VERSION,
      probe: this.probe,
      pinnedAt: new Date(pin.at).toISOString(),
      ...pin,
    });
  }
}

/** Pure: stored baselines checked field by field; undefined when they are not baselines. */
export function parseServers(v: unknown): Record<string, ServerCatalog> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, ServerCatalog> = {};
  for (const [server, s] of Object.entries(v)) {
    if (!isObject(s) || typeof s.at !== 'number') return undefined;
    if (s.tools === undefined) {
      out[server] = { at: s.at };
      continue;
    }
    if (!isObject(s.tools)) return undefined;
    const tools: Record<string, RememberedTool> = {};
    for (const [name, t] of Object.entries(s.tools)) {
      const print = parseTool(t);
      if (print === undefined) return undefined;
      tools[name] = print;
    }
    out[server] = { tools, at: s.at };
  }
  return out;
}

/** A tool as stored: a print (hashes by field), or a bare hash of its input schema (the form kept before). */
function parseTool(t: unknown): RememberedTool | undefined {
  if (typeof t === 'string') return t;
  if (!isObject(t)) return undefined;
  const print: ToolPrint = {};
  for (const f of ['input', 'output', 'description', 'annotations'] as const) {
    const h = t[f];
    if (h === undefined) continue;
    if (typeof h !== 'string') return undefined;
    print[f] = h;
  }
  return print;
}

function parseLastChange(v: unknown): SeenCatalog['lastChange'] {
  if (!isObject(v) || typeof v.at !== 'number') return undefined;
  const list = (x: unknown): string[] => (Array.isArray(x) ? x.filter((e): e is string => typeof e === 'string') : []);
  const changes = isObject(v.changes) ? (v.changes as ToolChanges) : undefined;
  return {
    at: v.at,
    added: list(v.added),
    removed: list(v.removed),
    changedSchemas: list(v.changedSchemas),
    ...(changes && { changes }),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Pure: what accepting `next` in place of the pin `prev` changes, tool by tool: each server's tools against the
 * pin's (a server the pin lacks, or knew only down, adds its tools; one `next` knows only down keeps the pin's).
 */
export function pinChanges(
  prev: Readonly<Record<string, ServerCatalog>>,
  next: Readonly<Record<string, ServerCatalog>>,
): ToolChanges {
  const changes: ToolChanges = {};
  for (const [server, s] of Object.entries(next)) {
    if (!s.tools) continue;
    const before = prev[server]?.tools ?? {};
    for (const [name, t] of Object.entries(s.tools)) {
      const was = before[name];
      const kinds = was === undefined ? (['added'] as const) : printChanges(was, t);
      if (kinds.length) changes[name] = [...kinds];
    }
    for (const name of Object.keys(before)) if (!(name in s.tools)) changes[name] = ['removed'];
  }
  return catalogDiff(changes).changes;
}

/** What `accept` did. */
export type Accepted =
  | { ok: true; previous: Pin | undefined; changes: ToolChanges; written: boolean }
  | { ok: false; problem: 'no_pin' | 'no_catalog' | 'other_scope'; message: string };

/**
 * `mcpwatch accept-catalog`: the catalog the agent saw last (its seen file, for the probe's current `scope`) becomes
 * the pin; nothing is written when it is the pinned one already. The agent reads the pin at the probe's next run. A
 * pin that cannot be read is replaced (`previous` undefined): accepting is how a person repairs it. Throws a
 * StoreError for a seen file it cannot use.
 */
export async function accept(store: CatalogStore, scope: string, now = Date.now()): Promise<Accepted> {
  let previous: Pin | undefined;
  let broken = false;
  try {
    previous = await store.readPin();
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    broken = true;
  }
  if (!previous && !broken)
    return {
      ok: false,
      problem: 'no_pin',
      message:
        `no pinned catalog of ${store.probe} yet (${store.pinPath}): the agent pins the first catalog it sees, ` +
        "at the probe's first run; there is nothing to accept",
    };
  const seen = await store.readSeen();
  if (!seen)
    return {
      ok: false,
      problem: 'no_catalog',
      message: `no catalog of ${store.probe} seen yet (${store.seenPath}): let the agent run the probe first`,
    };
  if (seen.scope !== scope)
    return {
      ok: false,
      problem: 'other_scope',
      message:
        `the last catalog seen of ${store.probe} is of its former definition (other servers or another gateway): ` +
        'let the agent run the probe once with the current config, then accept',
    };
  const servers = mergeServers(previous?.servers ?? {}, seen.servers);
  const changes = pinChanges(previous?.servers ?? {}, servers);
  const written = broken || Object.keys(changes).length > 0;
  if (written) await store.writePin({ at: now, how: 'accepted', servers });
  return { ok: true, previous, changes, written };
}

/** Pure: the pin after accepting `seen`: each server's tools as seen; a server seen only down keeps the pin's. */
export function mergeServers(
  pin: Readonly<Record<string, ServerCatalog>>,
  seen: Readonly<Record<string, ServerCatalog>>,
): Record<string, ServerCatalog> {
  const out: Record<string, ServerCatalog> = { ...pin };
  for (const [server, s] of Object.entries(seen)) if (s.tools || !out[server]) out[server] = s;
  return out;
}
