import { createHash } from 'node:crypto';

export interface CatalogTool {
  name: string;
  inputSchema?: unknown;
}

/** What mcpwatch remembers of a catalog between runs: each tool's schema hash. */
export interface CatalogSnapshot {
  fingerprint: string;
  tools: Record<string, string>;
  at: number;
}

export interface CatalogDiff {
  changed: boolean;
  added: string[];
  removed: string[];
  changedSchemas: string[];
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

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A snapshot of a catalog: tool names and input schemas, independent of order. */
export function snapshotCatalog(tools: readonly CatalogTool[], at = Date.now()): CatalogSnapshot {
  const byName: Record<string, string> = {};
  for (const t of tools) byName[t.name] = hash(canonicalJson(t.inputSchema ?? null));
  const names = Object.keys(byName).sort();
  return { fingerprint: hash(names.map((n) => `${n}=${byName[n]}`).join('\n')), tools: byName, at };
}

/** What changed from one catalog to the next; no previous catalog is no change. */
export function diffCatalogs(prev: CatalogSnapshot | undefined, next: CatalogSnapshot): CatalogDiff {
  if (!prev || prev.fingerprint === next.fingerprint) return { changed: false, added: [], removed: [], changedSchemas: [] };
  const added = Object.keys(next.tools).filter((n) => !(n in prev.tools)).sort();
  const removed = Object.keys(prev.tools).filter((n) => !(n in next.tools)).sort();
  const changedSchemas = Object.keys(next.tools).filter((n) => n in prev.tools && prev.tools[n] !== next.tools[n]).sort();
  return { changed: true, added, removed, changedSchemas };
}

/** The `server` label of tools without a server prefix (a server probed directly, not through the gateway). */
export const NO_PREFIX = '(none)';

/**
 * Tools per server prefix. LiteLLM names tools `{server}-{tool}`; with the requested servers
 * known, the longest matching alias wins (aliases may contain `-`); requested servers without
 * tools count 0, which is itself a finding (LiteLLM hides a failed upstream as an empty list).
 */
export function toolsPerServer(names: readonly string[], servers: readonly string[], separator = '-'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of servers) out[s] = 0;
  const known = [...servers].sort((a, b) => b.length - a.length);
  for (const name of names) {
    const server = known.find((s) => name.startsWith(`${s}${separator}`)) ?? (name.includes(separator) ? name.slice(0, name.indexOf(separator)) : NO_PREFIX);
    out[server] = (out[server] ?? 0) + 1;
  }
  return out;
}
