// Pure: what a catalog is made of for comparison (each tool's print), and what changed between two catalogs, server
// by server and tool by tool.
import { createHash } from 'node:crypto';
import {
  CATALOG_CHANGE_KINDS,
  type CatalogChangeKind,
  type CatalogSnapshot,
  type RememberedTool,
  type ServerCatalog,
  type ServerState,
  type ToolChanges,
  type ToolPrint,
} from '../types.js';
import { serverOf } from '../tool-servers.js';
import type { CatalogDiff } from './details.js';

/** A tool as tools/list gives it: the fields a print covers. */
export interface CatalogTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}

/** JSON with object keys sorted, so a schema's fingerprint does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The fields of a print, each with the change kind it makes. */
const FIELDS = [
  ['input', 'input_schema'],
  ['output', 'output_schema'],
  ['description', 'description'],
  ['annotations', 'annotations'],
] as const satisfies ReadonlyArray<readonly [keyof ToolPrint, CatalogChangeKind]>;

/**
 * A tool's print: a hash per field. The input schema's is the hash mcpwatch has always kept (prints of older
 * releases compare with it); the title goes with the description (both are what a reader of the tool sees).
 */
export function printOf(t: CatalogTool): ToolPrint {
  return {
    input: shortHash(canonicalJson(t.inputSchema ?? null)),
    output: shortHash(canonicalJson(t.outputSchema ?? null)),
    description: shortHash(canonicalJson({ description: t.description ?? null, title: t.title ?? null })),
    annotations: shortHash(canonicalJson(t.annotations ?? null)),
  };
}

/** A remembered tool as a print: a bare string is the input schema's hash (all that was kept before). */
export function asPrint(t: RememberedTool): ToolPrint {
  return typeof t === 'string' ? { input: t } : t;
}

/** What changed between two prints of one tool: only the fields both have are compared. */
export function printChanges(prev: RememberedTool, next: RememberedTool): CatalogChangeKind[] {
  const a = asPrint(prev);
  const b = asPrint(next);
  return FIELDS.filter(([f]) => a[f] !== undefined && b[f] !== undefined && a[f] !== b[f]).map(([, kind]) => kind);
}

/** A snapshot of a catalog: each tool's print and a fingerprint of them all, independent of order. */
export function snapshotCatalog(tools: readonly CatalogTool[], at = Date.now()): CatalogSnapshot {
  const byName: Record<string, ToolPrint> = {};
  for (const t of tools) byName[t.name] = printOf(t);
  const names = Object.keys(byName).sort();
  const line = (n: string): string => `${n}=${FIELDS.map(([f]) => byName[n]![f]).join(',')}`;
  return { fingerprint: shortHash(names.map(line).join('\n')), tools: byName, at };
}

/** What changed between two tool sets (name → print): each tool and its kinds. */
function diffTools(
  prev: Readonly<Record<string, RememberedTool>>,
  next: Readonly<Record<string, RememberedTool>>,
): ToolChanges {
  const out: ToolChanges = {};
  for (const n of Object.keys(next)) {
    if (!(n in prev)) out[n] = ['added'];
    else {
      const kinds = printChanges(prev[n]!, next[n]!);
      if (kinds.length) out[n] = kinds;
    }
  }
  for (const n of Object.keys(prev)) if (!(n in next)) out[n] = ['removed'];
  return out;
}

/** A diff as a run makes it: with each tool's changes. */
export type FullDiff = CatalogDiff & { changes: ToolChanges };

/** The diff of a catalog from its tools' changes: the lists by kind, sorted. */
export function catalogDiff(changes: ToolChanges): FullDiff {
  const sorted: ToolChanges = {};
  for (const n of Object.keys(changes).sort()) sorted[n] = changes[n]!;
  const having = (kind: CatalogChangeKind): string[] => Object.keys(sorted).filter((n) => sorted[n]!.includes(kind));
  return {
    changed: Object.keys(sorted).length > 0,
    added: having('added'),
    removed: having('removed'),
    changedSchemas: having('input_schema'),
    changes: sorted,
  };
}

/** The kinds of change in a diff, in CATALOG_CHANGE_KINDS order. */
export function kindsOf(changes: Readonly<ToolChanges>): CatalogChangeKind[] {
  const seen = new Set(Object.values(changes).flat());
  return CATALOG_CHANGE_KINDS.filter((k) => seen.has(k));
}

/** What changed in a catalog, and each server's baseline for the next run (CatalogMemory.servers). */
export interface ServersDiff {
  diff: FullDiff;
  baselines: Record<string, ServerCatalog>;
}

/**
 * Pure: what changed in a catalog, server by server, against each server's baseline: the last catalog
 * seen with that server up. Only what a server up in both lists counts. A server down in this run
 * (`states[name].up === false`) or absent from it keeps its baseline: its tools missing are not
 * `removed`, and their return is not `added`. A server known only down until now (its first catalog
 * after an outage the probe saw from its start) sets its baseline: no change. A server the probe has
 * never heard of, in a run after its first, is new at the gateway: its tools are `added`. The first run
 * only sets the baselines. Tools belong to servers as in toolsPerServer (`servers`: the probe's).
 */
export function diffServers(
  baselines: Readonly<Record<string, ServerCatalog>> | undefined,
  snapshot: CatalogSnapshot,
  states: Readonly<Record<string, ServerState>>,
  servers: readonly string[],
): ServersDiff {
  const listed: Record<string, Record<string, RememberedTool>> = {};
  for (const [name, h] of Object.entries(snapshot.tools)) (listed[serverOf(name, servers)] ??= {})[name] = h;
  // A server up by the gateway's word that listed nothing here is still compared: its tools are gone.
  for (const [name, st] of Object.entries(states)) if (st.up) listed[name] ??= {};
  const next: Record<string, ServerCatalog> = { ...baselines };
  // Known, but down: remembered without tools, so that its first catalog is not taken for a new server.
  for (const [name, st] of Object.entries(states)) if (!st.up && !next[name]) next[name] = { at: snapshot.at };
  const changes: ToolChanges = {};
  for (const [server, tools] of Object.entries(listed)) {
    if (states[server]?.up === false) continue;
    const prev = baselines?.[server];
    next[server] = { tools, at: snapshot.at };
    if (prev?.tools) Object.assign(changes, diffTools(prev.tools, tools));
    else if (!prev && baselines !== undefined) for (const n of Object.keys(tools)) changes[n] = ['added'];
  }
  return { diff: catalogDiff(changes), baselines: next };
}

/** Pure: whether two sets of baselines hold the same tools (their times aside). */
export function sameTools(
  a: Readonly<Record<string, ServerCatalog>> | undefined,
  b: Readonly<Record<string, ServerCatalog>> | undefined,
): boolean {
  const strip = (x: Readonly<Record<string, ServerCatalog>> | undefined): string =>
    canonicalJson(Object.fromEntries(Object.entries(x ?? {}).map(([k, v]) => [k, v.tools ?? null])));
  return strip(a) === strip(b);
}

/**
 * Pure: the servers a pin knew only down (no tools) that `next` (diffServers' baselines against the pin) now has
 * tools of: their first catalog joins the pin, as a rolling baseline's would. A server the pin does not know at all
 * is no fill-in: its tools are drift.
 */
export function pinFillIns(
  pin: Readonly<Record<string, ServerCatalog>>,
  next: Readonly<Record<string, ServerCatalog>>,
): Record<string, ServerCatalog> | undefined {
  const out: Record<string, ServerCatalog> = {};
  for (const [server, s] of Object.entries(pin)) if (!s.tools && next[server]?.tools) out[server] = next[server];
  return Object.keys(out).length ? out : undefined;
}

/** At most this many tools are named in a reason (the details name them all). */
const NAMED = 10;

/** "mcp_fs-read (description, annotations), mcp_fs-new (added), and 3 more". */
export function describeChanges(changes: Readonly<ToolChanges>): string {
  const tools = Object.keys(changes).sort();
  const more = tools.length > NAMED ? `, and ${tools.length - NAMED} more` : '';
  return `${tools
    .slice(0, NAMED)
    .map((t) => `${t} (${changes[t]!.join(', ')})`)
    .join(', ')}${more}`;
}
