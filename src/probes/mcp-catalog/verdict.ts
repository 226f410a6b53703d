import {
  SERVER_FAILURE_REASONS,
  type Outcome,
  type ServerFailureReason,
  type ServerOutcomes,
  type ServerState,
  type ToolChanges,
} from '../types.js';
import type { CatalogDiff, PinnedState } from './details.js';
import { describeChanges } from './diff.js';
import { describeNameProblems, type ToolNameProblem } from './names.js';
import type { McpCatalogProbeConfig } from './schema.js';
import { NO_PREFIX, serverOf } from '../tool-servers.js';

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
  rate_limited:
    "the gateway did not ask it: over a rate limit (the server's own rpm in its mcp_servers entry, or the key's): " +
    'it lists again when the window resets (LITELLM_RATE_LIMIT_WINDOW_SIZE)',
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
  /** expect.pinned, in an agent's run: the catalog against its pin. */
  pinned?: PinnedState;
  /** Tools whose names clients refuse (a warning). */
  nameProblems?: Readonly<Record<string, readonly ToolNameProblem[]>>;
  /** A key's catalog of no `servers` on a target that discovers: the servers the gateway lists (ProbeContext). */
  discovered?: readonly string[];
}

/**
 * Pure: a catalog against the probe's `expect` (expected tools, servers present, a minimum, the pin). Every
 * server that is down is named with its reason; whether that fails the run is `serversPresent`
 * (for the servers in `servers`). A pin that cannot be read is mcpwatch's own failure (`internal_error`).
 */
export function checkCatalog(
  spec: Pick<McpCatalogProbeConfig, 'name' | 'expect' | 'servers'> & { key?: string | undefined },
  c: CatalogObservation,
): { outcome: Outcome; reason: string } {
  const { expect } = spec;
  const states = c.servers;
  const missing = expect.tools.filter((t) => !c.names.includes(t));
  const failing = expect.serversPresent ? spec.servers.filter((s) => !states[s]!.up) : [];
  // A server the key must not see is meant to be missing: not noted as down.
  const down = describeDownServers(
    Object.fromEntries(Object.entries(states).filter(([s]) => !expect.serversAbsent.includes(s))),
  );
  const problems: string[] = [];
  const leaks = describeLeaks(spec, c);
  if (leaks) problems.push(leaks);
  const unexpected = describeUnexpected(spec, c);
  if (unexpected) problems.push(unexpected);
  if (missing.length) problems.push(`expected tool${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')}`);
  if (failing.length) {
    const failingStates = Object.fromEntries(failing.map((f) => [f, states[f]!]));
    problems.push(`server${failing.length > 1 ? 's' : ''} down: ${describeDownServers(failingStates).join('; ')}`);
  }
  if (expect.minTools !== undefined && c.names.length < expect.minTools)
    problems.push(`${c.names.length} tools, expected at least ${expect.minTools}`);
  const pin = c.pinned;
  const accept = `mcpwatch accept-catalog ${spec.name}`;
  if (pin && 'error' in pin)
    problems.unshift(`the pinned catalog cannot be used: ${pin.error} — fix or remove the file, or accept: ${accept}`);
  else if (pin?.drift)
    problems.push(
      `catalog differs from its pin of ${pin.since}: ${describeChanges(pin.changes)} — ` +
        `if the change is wanted: ${accept}`,
    );
  const groups = Object.entries(c.perServer).filter(([s]) => s !== NO_PREFIX);
  const perGroup = groups.length ? ` (${groups.map(([s, n]) => `${s}: ${n}`).join(', ')})` : '';
  const summary = `${c.names.length} tools${perGroup}`;
  if (problems.length)
    return {
      outcome: pin && 'error' in pin ? 'internal_error' : 'expectation_failed',
      reason: `${problems.join('; ')} — ${summary}`,
    };
  const { diff } = c;
  const changes = diff.changes ?? {};
  const inPlace = Object.values(changes).filter((k) => !k.includes('added') && !k.includes('removed')).length;
  const changeNote = diff.changed
    ? `; catalog changed (+${diff.added.length} -${diff.removed.length} ~${inPlace})`
    : '';
  // Same name, other words: what a model reads changed (the "rug pull" pattern), named apart.
  const reworded = pick(changes, ['description', 'annotations']);
  const rewordNote = Object.keys(reworded).length
    ? `; description or annotations changed: ${describeChanges(reworded)}`
    : '';
  // Not a failure of this run (serversPresent: false, or not in servers), still worth saying.
  const downNote = down.length ? `; down: ${down.join('; ')}` : '';
  const names = c.nameProblems && describeNameProblems(c.nameProblems);
  const namesNote = names ? `; ${names}` : '';
  return { outcome: 'ok', reason: `${summary}${changeNote}${rewordNote}${downNote}${namesNote}` };
}

/**
 * The servers and tools of `serversAbsent` / `toolsAbsent` that the catalog shows, as one problem naming them and who
 * sees them ("key codex sees mcp_postgres, which it must not: …"), or undefined when none shows. A server shows when
 * it lists a tool (or the gateway reports it working with tools).
 */
export function describeLeaks(
  spec: { key?: string | undefined; expect: Pick<McpCatalogProbeConfig['expect'], 'serversAbsent' | 'toolsAbsent'> },
  c: Pick<CatalogObservation, 'names' | 'servers' | 'perServer'>,
): string | undefined {
  const servers = spec.expect.serversAbsent.filter((s) => c.servers[s]?.up === true || (c.perServer[s] ?? 0) > 0);
  const tools = spec.expect.toolsAbsent.filter((t) => c.names.includes(t));
  const seen = [...servers, ...tools];
  if (!seen.length) return undefined;
  const who = spec.key !== undefined ? `key ${spec.key}` : "the target's key";
  const why =
    spec.key !== undefined
      ? "the gateway's scoping leaks (check the key's allowed MCP servers)"
      : 'the gateway shows them to this key (check its allowed MCP servers)';
  return `${who} sees ${seen.join(', ')}, which it must not: ${why}`;
}

/**
 * A key's catalog of no `servers` (the key's grant decides what it sees) on a target that discovers: each server the
 * gateway lists that the key sees and the probe does not expect (no tool of it in `expect.tools`, not in
 * `serversAbsent`), as one problem naming them and the key, or undefined. A server added to the gateway later shows up
 * here when the keys see it (LiteLLM #27657: virtual keys that ignore their access groups in discovery).
 */
export function describeUnexpected(
  spec: {
    key?: string | undefined;
    servers: readonly string[];
    expect: Pick<McpCatalogProbeConfig['expect'], 'tools' | 'serversAbsent'>;
  },
  c: Pick<CatalogObservation, 'names' | 'servers' | 'discovered'>,
): string | undefined {
  const listed = c.discovered;
  if (spec.key === undefined || spec.servers.length > 0 || !listed?.length) return undefined;
  const expected = new Set([...spec.expect.tools.map((t) => serverOf(t, listed)), ...spec.expect.serversAbsent]);
  const sees = (s: string): boolean => c.servers[s]?.up === true || c.names.some((n) => serverOf(n, listed) === s);
  const unexpected = listed.filter((s) => !expected.has(s) && sees(s));
  if (!unexpected.length) return undefined;
  const one = unexpected.length === 1;
  return (
    `key ${spec.key} sees ${unexpected.join(', ')}, which the gateway lists and its probe does not expect: ` +
    `if the key should see ${one ? 'it' : 'them'}, add one of ${one ? 'its' : 'their'} tools to expect.tools; ` +
    `if not, add ${one ? 'it' : 'them'} to expect.serversAbsent (the gateway's scoping leaks)`
  );
}

/** The tools that changed in one of `kinds`, with those kinds only. */
function pick(changes: Readonly<ToolChanges>, kinds: readonly string[]): ToolChanges {
  const out: ToolChanges = {};
  for (const [tool, k] of Object.entries(changes)) {
    const hit = k.filter((x) => kinds.includes(x));
    if (hit.length) out[tool] = hit;
  }
  return out;
}
