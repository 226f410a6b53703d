import { createHash } from 'node:crypto';
import {
  SERVER_FAILURE_REASONS,
  type CatalogSnapshot,
  type Outcome,
  type ServerFailureReason,
  type ServerCatalog,
  type ServerOutcomes,
  type ServerState,
} from '../types.js';
import type { CatalogDiff } from './details.js';
import type { McpCatalogProbeConfig } from './schema.js';
import { NO_PREFIX, serverOf } from '../tool-servers.js';

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

/** What changed between two tool sets (name → schema hash), each list sorted. */
function diffTools(
  prev: Readonly<Record<string, string>>,
  next: Readonly<Record<string, string>>,
): Omit<CatalogDiff, 'changed'> {
  return {
    added: Object.keys(next).filter((n) => !(n in prev)),
    removed: Object.keys(prev).filter((n) => !(n in next)),
    changedSchemas: Object.keys(next).filter((n) => n in prev && prev[n] !== next[n]),
  };
}

/** What changed in a catalog, and each server's baseline for the next run (CatalogMemory.servers). */
export interface ServersDiff {
  diff: CatalogDiff;
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
  const listed: Record<string, Record<string, string>> = {};
  for (const [name, h] of Object.entries(snapshot.tools)) (listed[serverOf(name, servers)] ??= {})[name] = h;
  // A server up by the gateway's word that listed nothing here is still compared: its tools are gone.
  for (const [name, st] of Object.entries(states)) if (st.up) listed[name] ??= {};
  const next: Record<string, ServerCatalog> = { ...baselines };
  // Known, but down: remembered without tools, so that its first catalog is not taken for a new server.
  for (const [name, st] of Object.entries(states)) if (!st.up && !next[name]) next[name] = { at: snapshot.at };
  const added: string[] = [];
  const removed: string[] = [];
  const changedSchemas: string[] = [];
  for (const [server, tools] of Object.entries(listed)) {
    if (states[server]?.up === false) continue;
    const prev = baselines?.[server];
    next[server] = { tools, at: snapshot.at };
    const d = prev?.tools ? diffTools(prev.tools, tools) : undefined;
    if (d) {
      added.push(...d.added);
      removed.push(...d.removed);
      changedSchemas.push(...d.changedSchemas);
    } else if (!prev && baselines !== undefined) added.push(...Object.keys(tools));
  }
  const changed = added.length + removed.length + changedSchemas.length > 0;
  return {
    diff: { changed, added: added.sort(), removed: removed.sort(), changedSchemas: changedSchemas.sort() },
    baselines: next,
  };
}

/** What each failure reason means for the operator, after "SERVER: REASON — ". */
const SERVER_HINTS: Record<ServerFailureReason, string> = {
  no_tools:
    'listed no tools (LiteLLM 1.77 gives no reason: an upstream that fails to start lists nothing, ' +
    'and a name it does not know is ignored; check the name and that the server starts)',
  auth_required:
    'the upstream wants credentials the gateway did not send ' +
    '(x-mcp-SERVER-authorization, or its auth in the gateway config)',
  forbidden:
    'refused: the key may not use this server, ' +
    'or (1.109+) its stdio command is not allowed (LITELLM_MCP_STDIO_EXTRA_COMMANDS)',
  timeout:
    "did not list its tools within the gateway's listing timeout " +
    '(an upstream that is slow to start, or blocked on its own backend)',
  unreachable: 'the gateway cannot reach it',
  upstream_error: 'it answered the gateway with an error',
  internal: "the gateway could not start or query it: check its command and the gateway's log",
  missing: 'the gateway reported on other servers but not on this one: check the name in servers',
};

/**
 * Pure: the state of each upstream server in a catalog run — every server in `servers`, every
 * server the gateway reported on (LiteLLM 1.109+'s `server_outcomes`, on a 200 too) and every tool
 * prefix. With the gateway's word, its status is the reason; without it (1.77), a requested server
 * that listed no tool is `no_tools`.
 */
export function serverStates(
  servers: readonly string[],
  perServer: Readonly<Record<string, number>>,
  outcomes: ServerOutcomes,
): Record<string, ServerState> {
  const names = [
    ...new Set([...servers, ...Object.keys(outcomes), ...Object.keys(perServer).filter((s) => s !== NO_PREFIX)]),
  ];
  const reported = Object.keys(outcomes).length > 0;
  const out: Record<string, ServerState> = {};
  for (const name of names) {
    const tools = perServer[name] ?? 0;
    const o = outcomes[name];
    const status = typeof o?.status === 'string' ? o.status : undefined;
    const http = typeof o?.http_status === 'number' ? ` (HTTP ${o.http_status})` : '';
    if (status !== undefined && status !== 'ok') {
      const reason: ServerFailureReason = (SERVER_FAILURE_REASONS as readonly string[]).includes(status)
        ? (status as ServerFailureReason)
        : 'upstream_error';
      out[name] = { up: false, tools, reason, said: `${status}${http}` };
    } else if (tools > 0 || (status === 'ok' && (o?.tool_count ?? 0) > 0)) {
      out[name] = { up: true, tools };
    } else if (status === 'ok') {
      out[name] = { up: false, tools, reason: 'no_tools', said: 'ok with no tools' };
    } else {
      out[name] = { up: false, tools, reason: reported ? 'missing' : 'no_tools' };
    }
  }
  return out;
}

/** "mcp_postgres: timeout — did not list …" for each server that is down. */
export function describeDownServers(states: Readonly<Record<string, ServerState>>): string[] {
  return Object.entries(states).flatMap(([name, st]) =>
    st.up ? [] : [`${name}: ${st.said ?? st.reason} — ${SERVER_HINTS[st.reason]}`],
  );
}

export interface CatalogObservation {
  names: readonly string[];
  perServer: Readonly<Record<string, number>>;
  /** Each server's state (serverStates), computed once per run. */
  servers: Readonly<Record<string, ServerState>>;
  diff: CatalogDiff;
}

/**
 * Pure: a catalog against the probe's `expect` (expected tools, servers present, a minimum). Every
 * server that is down is named with its reason; whether that fails the run is `serversPresent`
 * (for the servers in `servers`).
 */
export function checkCatalog(
  spec: Pick<McpCatalogProbeConfig, 'expect' | 'servers'>,
  c: CatalogObservation,
): { outcome: Outcome; reason: string } {
  const { expect } = spec;
  const states = c.servers;
  const missing = expect.tools.filter((t) => !c.names.includes(t));
  const failing = expect.serversPresent ? spec.servers.filter((s) => !states[s]!.up) : [];
  const down = describeDownServers(states);
  const problems: string[] = [];
  if (missing.length) problems.push(`expected tool${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')}`);
  if (failing.length) {
    const failingStates = Object.fromEntries(failing.map((f) => [f, states[f]!]));
    problems.push(`server${failing.length > 1 ? 's' : ''} down: ${describeDownServers(failingStates).join('; ')}`);
  }
  if (expect.minTools !== undefined && c.names.length < expect.minTools)
    problems.push(`${c.names.length} tools, expected at least ${expect.minTools}`);
  const groups = Object.entries(c.perServer).filter(([s]) => s !== NO_PREFIX);
  const perGroup = groups.length ? ` (${groups.map(([s, n]) => `${s}: ${n}`).join(', ')})` : '';
  const summary = `${c.names.length} tools${perGroup}`;
  if (problems.length) return { outcome: 'expectation_failed', reason: `${problems.join('; ')} — ${summary}` };
  const { diff } = c;
  const changeNote = diff.changed
    ? `; catalog changed (+${diff.added.length} -${diff.removed.length} ~${diff.changedSchemas.length})`
    : '';
  // Not a failure of this run (serversPresent: false, or not in servers), still worth saying.
  const downNote = down.length ? `; down: ${down.join('; ')}` : '';
  return { outcome: 'ok', reason: `${summary}${changeNote}${downNote}` };
}
