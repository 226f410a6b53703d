import type { McpCatalogProbeConfig } from '../config/schema.js';
import { diffCatalogs, NO_PREFIX, snapshotCatalog, toolsPerServer, type CatalogSnapshot } from './catalog.js';
import { classifyMcpError } from './mcp-errors.js';
import { listAllTools, openSession, type McpSession } from './mcp-client.js';
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
    const tools = await listAllTools(ctx, session);
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
    };

    const missing = spec.expect.tools.filter((t) => !expectedTools[t]);
    const empty = spec.expect.serversPresent ? spec.servers.filter((s) => perServer[s] === 0) : [];
    const problems: string[] = [];
    if (missing.length) problems.push(`expected tool${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')}`);
    if (empty.length) problems.push(`server${empty.length > 1 ? 's' : ''} ${empty.join(', ')} listed no tools (LiteLLM shows a failed upstream as an empty list: check that it starts)`);
    if (spec.expect.minTools !== undefined && names.length < spec.expect.minTools) problems.push(`${names.length} tools, expected at least ${spec.expect.minTools}`);
    const groups = Object.entries(perServer).filter(([s]) => s !== NO_PREFIX);
    const summary = `${names.length} tools${groups.length ? ` (${groups.map(([s, n]) => `${s}: ${n}`).join(', ')})` : ''}`;
    if (problems.length) return { outcome: 'expectation_failed', reason: `${problems.join('; ')} — ${summary}`, details };
    const changeNote = diff.changed ? `; catalog changed (+${diff.added.length} -${diff.removed.length} ~${diff.changedSchemas.length})` : '';
    return { outcome: 'ok', reason: `${summary}${changeNote}`, details };
  } catch (err) {
    throw classifyMcpError(err, ctx, session?.responses ?? [], ctx.phases.current) ?? err;
  } finally {
    await session?.close();
  }
};

