import { createHash } from 'node:crypto';
import type { McpCatalogProbeConfig } from '../../config/schema.js';
import type { CatalogDiff, CatalogSnapshot, Outcome, ServerOutcomes } from '../types.js';

export interface CatalogTool {
  name: string;
  inputSchema?: unknown;
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

export interface CatalogObservation {
  names: readonly string[];
  perServer: Readonly<Record<string, number>>;
  /** What the gateway said per server, when it said it. */
  outcomes: ServerOutcomes;
  diff: CatalogDiff;
}

/** Pure: a catalog against the probe's `expect` (expected tools, servers present, a minimum). */
export function checkCatalog(spec: Pick<McpCatalogProbeConfig, 'expect' | 'servers'>, c: CatalogObservation): { outcome: Outcome; reason: string } {
  const { expect } = spec;
  const missing = expect.tools.filter((t) => !c.names.includes(t));
  const empty = expect.serversPresent ? spec.servers.filter((s) => c.perServer[s] === 0) : [];
  const problems: string[] = [];
  if (missing.length) problems.push(`expected tool${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')}`);
  if (empty.length) {
    const told = empty.filter((e) => c.outcomes[e]?.status);
    problems.push(
      told.length
        ? `server${empty.length > 1 ? 's' : ''} ${empty.map((e) => (c.outcomes[e]?.status ? `${e} (${c.outcomes[e]!.status})` : e)).join(', ')} listed no tools: the gateway could not list them, check that the upstream runs`
        : `server${empty.length > 1 ? 's' : ''} ${empty.join(', ')} listed no tools (LiteLLM lists an upstream that fails as no tools, and 1.77 ignores a server name it does not know: check the name, and that the server starts)`,
    );
  }
  if (expect.minTools !== undefined && c.names.length < expect.minTools) problems.push(`${c.names.length} tools, expected at least ${expect.minTools}`);
  const groups = Object.entries(c.perServer).filter(([s]) => s !== NO_PREFIX);
  const summary = `${c.names.length} tools${groups.length ? ` (${groups.map(([s, n]) => `${s}: ${n}`).join(', ')})` : ''}`;
  if (problems.length) return { outcome: 'expectation_failed', reason: `${problems.join('; ')} — ${summary}` };
  const { diff } = c;
  const changeNote = diff.changed ? `; catalog changed (+${diff.added.length} -${diff.removed.length} ~${diff.changedSchemas.length})` : '';
  return { outcome: 'ok', reason: `${summary}${changeNote}` };
}
