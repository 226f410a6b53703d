// Pure: where a gateway's server list comes from, and what a read of it changes in what is known.
import { NO_PREFIX, serverOf } from '../probes/tool-servers.js';
import type { ServerOutcomes } from '../probes/types.js';

/**
 * Where a list came from, in the order they are tried: LiteLLM's `GET /v1/mcp/server` (ids and names), else the
 * per-server outcomes of an unfiltered `tools/list` (`_meta["litellm.ai/server_outcomes"]`), else the `{server}-`
 * prefixes of the tools it lists.
 */
export const LIST_SOURCES = ['server_list', 'server_outcomes', 'tool_prefixes'] as const;
export type ListSource = (typeof LIST_SOURCES)[number];

/** One read of a gateway's list: its servers and their source, or why none could be read (masked). */
export type ListRead = { ok: true; source: ListSource; servers: string[] } | { ok: false; error: string };

/** The list in use for a target. */
export interface KnownList {
  /** Sorted, each once. */
  servers: string[];
  source: ListSource;
  /** When it was read (epoch ms). */
  at: number;
  /** Read back from stateDir at start, not read from the gateway since. */
  restored?: boolean;
}

/** What is known of one target's list: the list in use, and the last attempt to read it. */
export interface ListState {
  known?: KnownList;
  last?: { at: number; ok: boolean; source?: ListSource; error?: string };
}

/** Servers that came and went between two lists. */
export interface ListChange {
  added: string[];
  removed: string[];
}

/** Sorted, each once, no empty names. */
export function normalize(servers: Iterable<string>): string[] {
  return [...new Set(servers)].filter((s) => s !== '').sort();
}

/**
 * Pure: the servers of an unfiltered tools/list: those its `server_outcomes` name (a server that failed is still one
 * of the gateway's), else the `{server}-` prefixes of its tools (a tool without one names no server). Undefined when
 * neither names any.
 */
export function serversOfTools(
  outcomes: ServerOutcomes | undefined,
  toolNames: readonly string[],
): { source: ListSource; servers: string[] } | undefined {
  const named = normalize(Object.keys(outcomes ?? {}));
  if (named.length > 0) return { source: 'server_outcomes', servers: named };
  const prefixes = normalize(toolNames.map((t) => serverOf(t, [])).filter((s) => s !== NO_PREFIX));
  return prefixes.length > 0 ? { source: 'tool_prefixes', servers: prefixes } : undefined;
}

/** Pure: what came and went from `before` to `after` (both sorted). */
export function diffLists(before: readonly string[], after: readonly string[]): ListChange {
  const was = new Set(before);
  const now = new Set(after);
  return { added: after.filter((s) => !was.has(s)), removed: before.filter((s) => !now.has(s)) };
}

/**
 * Pure: the state after a read at `at`. A failed read keeps the list in use (never drops every probe because the
 * gateway did not answer). A list read replaces it: `changed` when its servers differ (or it is the first), and
 * `change` counts what came and went, against a list known before (the first one known is no change).
 */
export function afterRead(
  state: ListState,
  read: ListRead,
  at: number,
): { state: ListState; changed: boolean; change?: ListChange } {
  if (!read.ok) {
    return { state: { ...state, last: { at, ok: false, error: read.error } }, changed: false };
  }
  const servers = normalize(read.servers);
  const known: KnownList = { servers, source: read.source, at };
  const next: ListState = { known, last: { at, ok: true, source: read.source } };
  const before = state.known?.servers;
  if (before === undefined) return { state: next, changed: true };
  const change = diffLists(before, servers);
  const changed = change.added.length > 0 || change.removed.length > 0;
  return { state: next, changed, ...(changed && { change }) };
}
