import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpCatalogProbeConfig } from '../config/schema.js';
import { ProbeFailure } from './errors.js';
import { diffCatalogs, NO_PREFIX, snapshotCatalog, toolsPerServer, type CatalogSnapshot } from './catalog.js';
import { classifyMcpError } from './mcp-errors.js';
import { listAllTools, openSession, serverOutcomesOf, type McpSession, type ServerOutcomes } from './mcp-client.js';
import type { ProbeFn } from './types.js';

/** The catalog a probe saw last, kept in its state between runs. */
export interface CatalogState {
  snapshot?: CatalogSnapshot;
  tools?: string[];
  toolsPerServer?: Record<string, number>;
  /** The last change seen (kept until the next one). */
  lastChange?: { at: number; added: string[]; removed: string[]; changedSchemas: string[] };
}

/** initialize + tools/list through the gateway: expected tools present, counts per server, drift. */
export const mcpCatalogProbe: ProbeFn<McpCatalogProbeConfig> = async (spec, ctx) => {
  let session: McpSession | undefined;
  try {
    session = await openSession(ctx, { servers: spec.servers, headers: spec.headers, ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }) });
    const outcomes: ServerOutcomes = {};
    const tools = await listAllTools(ctx, session, outcomes);
    const names = tools.map((t) => t.name).sort();

    const state = ctx.state as CatalogState;
    const snapshot = snapshotCatalog(tools);
    const diff = diffCatalogs(state.snapshot, snapshot);
    if (diff.changed) {
      ctx.logger.warn({ added: diff.added, removed: diff.removed, changedSchemas: diff.changedSchemas }, 'tool catalog changed');
      ctx.step(`catalog changed: +${diff.added.length} -${diff.removed.length} ~${diff.changedSchemas.length}`, { ...diff });
    }
    const perServer = toolsPerServer(names, spec.servers);
    state.snapshot = snapshot;
    state.tools = names;
    state.toolsPerServer = perServer;
    if (diff.changed) state.lastChange = { at: snapshot.at, added: diff.added, removed: diff.removed, changedSchemas: diff.changedSchemas };

    const expectedTools = Object.fromEntries(spec.expect.tools.map((t) => [t, names.includes(t)]));
    const details = {
      catalog: { tools: names.length, toolsPerServer: perServer, fingerprint: snapshot.fingerprint, ...diff },
      expectedTools,
      toolNames: names,
      ...(Object.keys(outcomes).length > 0 && { serverOutcomes: outcomes }),
    };

    const missing = spec.expect.tools.filter((t) => !expectedTools[t]);
    const empty = spec.expect.serversPresent ? spec.servers.filter((s) => perServer[s] === 0) : [];
    const problems: string[] = [];
    if (missing.length) problems.push(`expected tool${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')}`);
    if (empty.length) {
      const told = empty.filter((e) => outcomes[e]?.status);
      problems.push(
        told.length
          ? `server${empty.length > 1 ? 's' : ''} ${empty.map((e) => (outcomes[e]?.status ? `${e} (${outcomes[e]!.status})` : e)).join(', ')} listed no tools: the gateway could not list them, check that the upstream runs`
          : `server${empty.length > 1 ? 's' : ''} ${empty.join(', ')} listed no tools (LiteLLM lists an upstream that fails as no tools, and 1.77 ignores a server name it does not know: check the name, and that the server starts)`,
      );
    }
    if (spec.expect.minTools !== undefined && names.length < spec.expect.minTools) problems.push(`${names.length} tools, expected at least ${spec.expect.minTools}`);
    const groups = Object.entries(perServer).filter(([s]) => s !== NO_PREFIX);
    const summary = `${names.length} tools${groups.length ? ` (${groups.map(([s, n]) => `${s}: ${n}`).join(', ')})` : ''}`;
    if (problems.length) return { outcome: 'expectation_failed', reason: `${problems.join('; ')} — ${summary}`, details };
    const changeNote = diff.changed ? `; catalog changed (+${diff.added.length} -${diff.removed.length} ~${diff.changedSchemas.length})` : '';
    return { outcome: 'ok', reason: `${summary}${changeNote}`, details };
  } catch (err) {
    // LiteLLM 1.109+: tools/list is a JSON-RPC error when every selected upstream failed; the
    // same finding as 1.77's empty list, so the same outcome.
    const failedServers = err instanceof McpError && ctx.phases.last === 'list_tools' ? serverOutcomesOf(err.data) : undefined;
    if (failedServers) {
      const which = Object.entries(failedServers).map(([server, o]) => `${server} (${o.status ?? '?'})`);
      const zero = Object.fromEntries([...spec.servers, ...Object.keys(failedServers)].map((server) => [server, 0]));
      throw new ProbeFailure('expectation_failed', `no server could list its tools: ${which.join(', ')} — the gateway said: ${err instanceof McpError ? err.message.replace(/^(MCP error -?\d+: )+/, '') : ''}; check that the upstream runs`, {
        // No catalog to compare (the previous one stays the baseline); the per-server gauges go to 0.
        catalog: { tools: 0, toolsPerServer: zero, fingerprint: '', changed: false, added: [], removed: [], changedSchemas: [] },
        expectedTools: Object.fromEntries(spec.expect.tools.map((t) => [t, false])),
        serverOutcomes: failedServers,
      });
    }
    throw classifyMcpError(err, ctx, session?.responses ?? [], ctx.phases.last) ?? err;
  } finally {
    await session?.close();
  }
};

