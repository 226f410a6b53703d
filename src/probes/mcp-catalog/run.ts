import { ProtocolError } from '@modelcontextprotocol/client';
import { readGatewayHealth } from './gateway-health.js';
import { classifyMcpError } from '../mcp/failures.js';
import { serverOutcomesOf } from '../mcp/responses.js';
import { speaking, type DiscoverSummary } from '../mcp/protocol.js';
import { listAllTools, openSession, type ListCacheHint, type McpSession } from '../mcp/session.js';
import { withSsoToken } from '../oauth/with-token.js';
import {
  ProbeFailure,
  type CatalogMemory,
  type CatalogSnapshot,
  type ProbeContext,
  type ProbeFn,
  type ServerOutcomes,
  type ServerState,
} from '../types.js';
import { toolsPerServer } from '../tool-servers.js';
import type { CatalogDetails, CatalogProbeDetails, PinnedState } from './details.js';
import type { McpCatalogProbeConfig } from './schema.js';
import { describeMismatches } from './gateway-health-verdict.js';
import { diffServers, sameTools, snapshotCatalog, type FullDiff } from './diff.js';
import { toolNameProblems } from './names.js';
import { checkPin } from './pinning.js';
import { CatalogStore, scopeOf } from './store.js';
import { checkCatalog, describeDownServers, serverStates } from './verdict.js';
import { stripMcpErrorPrefix } from '../text.js';

/**
 * initialize + tools/list through the gateway: expected tools present, counts per server, drift of each server up
 * against the last catalog that showed it up.
 */
export const run: ProbeFn<McpCatalogProbeConfig, CatalogProbeDetails> = (spec, ctx) =>
  speaking(ctx, () => catalogRun(spec, ctx));

const catalogRun: ProbeFn<McpCatalogProbeConfig, CatalogProbeDetails> = async (spec, ctx) => {
  const startedAt = performance.now();
  let session: McpSession | undefined;
  try {
    let ssoToken: string | undefined;
    session = await withSsoToken(ctx, (token) => {
      ssoToken = token;
      return openSession(ctx, {
        servers: spec.servers,
        headers: spec.headers,
        ...(token && { ssoToken: token }),
        ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }),
      });
    });
    const outcomes: ServerOutcomes = {};
    const cache: ListCacheHint[] = [];
    const tools = await listAllTools(ctx, session, outcomes, cache);
    const names = tools.map((t) => t.name).sort();

    const snapshot = snapshotCatalog(tools);
    const perServer = toolsPerServer(names, spec.servers);
    const servers = serverStates(spec.servers, perServer, outcomes);
    const { diff, pinned } = await compare(spec, ctx, snapshot, { names, perServer, servers });
    const nameProblems = toolNameProblems(names);

    const details: CatalogDetails = {
      catalog: { tools: names.length, toolsPerServer: perServer, fingerprint: snapshot.fingerprint, ...diff },
      expectedTools: Object.fromEntries(spec.expect.tools.map((t) => [t, names.includes(t)])),
      toolNames: names,
      ...(Object.keys(outcomes).length > 0 && { serverOutcomes: outcomes }),
      servers,
      ...(pinned && { pinned }),
      ...(Object.keys(nameProblems).length > 0 && { toolNameProblems: nameProblems }),
      ...(session.discover && { discover: discoverOf(session.discover) }),
      ...(cache[0] && { listCache: cache[0] }),
    };
    // A key's catalog of no servers is set against the servers the gateway lists (discovery) to its main key.
    const discovered = spec.key !== undefined && spec.servers.length === 0 ? ctx.discovered : undefined;
    const verdict = checkCatalog(spec, {
      names,
      perServer,
      servers,
      diff,
      pinned,
      nameProblems,
      ...(discovered && { discovered }),
    });
    if (spec.gatewayHealth) {
      // The catalog's result stands whatever the health endpoint says; a disagreement is named.
      details.gatewayHealth = await readGatewayHealth(ctx, servers, startedAt, ssoToken, spec.servers);
      const mismatches = describeMismatches(details.gatewayHealth.servers);
      if (mismatches.length) verdict.reason += `; gateway health disagrees: ${mismatches.join('; ')}`;
      if (details.gatewayHealth.error) ctx.step(details.gatewayHealth.error);
    }
    return { ...verdict, details };
  } catch (err) {
    // LiteLLM 1.109+: tools/list is a JSON-RPC error when every selected upstream failed; the
    // same finding as 1.77's empty list, so the same outcome.
    const failedServers =
      err instanceof ProtocolError && ctx.phases.last === 'list_tools' ? serverOutcomesOf(err.data) : undefined;
    if (err instanceof ProtocolError && failedServers) throw noServerListed(spec, err, failedServers);
    throw classifyMcpError(err, ctx, session?.responses ?? [], ctx.phases.last) ?? err;
  } finally {
    await session?.close();
  }
};

/** The failure when tools/list was an error that names every selected server as failed. */
function noServerListed(spec: McpCatalogProbeConfig, err: ProtocolError, failedServers: ServerOutcomes): ProbeFailure {
  const zero = Object.fromEntries([...spec.servers, ...Object.keys(failedServers)].map((server) => [server, 0]));
  const servers = serverStates(spec.servers, zero, failedServers);
  const said = stripMcpErrorPrefix(err.message);
  return new ProbeFailure(
    'expectation_failed',
    `no server could list its tools: ${describeDownServers(servers).join('; ')} — the gateway said: ${said}`,
    {
      // No catalog to compare (the previous one stays the baseline); the per-server gauges go to 0.
      catalog: {
        tools: 0,
        toolsPerServer: zero,
        fingerprint: '',
        changed: false,
        added: [],
        removed: [],
        changedSchemas: [],
        changes: {},
      },
      expectedTools: Object.fromEntries(spec.expect.tools.map((t) => [t, false])),
      serverOutcomes: failedServers,
      servers,
    },
  );
}

/** What server/discover said, as the catalog reports it. */
function discoverOf(d: DiscoverSummary): NonNullable<CatalogDetails['discover']> {
  return {
    ...(d.server && { server: d.server }),
    supportedVersions: d.supportedVersions,
    capabilities: d.capabilities,
  };
}

/**
 * The catalog against the probe's baselines (its memory; in the agent's runs also stateDir, read at the first run
 * after a start and written when they change) and, with expect.pinned, against its pin; the memory updated for the
 * next run and /status.
 */
async function compare(
  spec: McpCatalogProbeConfig,
  ctx: ProbeContext,
  snapshot: CatalogSnapshot,
  seen: { names: string[]; perServer: Record<string, number>; servers: Record<string, ServerState> },
): Promise<{ diff: FullDiff; pinned: PinnedState | undefined }> {
  // One-off runs (no stateDir) keep nothing.
  const store = ctx.stateDir === undefined ? undefined : new CatalogStore(ctx.stateDir, spec.name);
  const scope = scopeOf(ctx.target, spec.servers);
  const memory = (ctx.memory.catalog ??= {});
  if (store && !memory.restored) await restore(memory, store, scope, ctx);
  const before = memory.servers;
  const { diff, baselines } = diffServers(before, snapshot, seen.servers, spec.servers);
  if (diff.changed) {
    ctx.logger.warn({ changes: diff.changes }, 'tool catalog changed');
    const inPlace = Object.keys(diff.changes).length - diff.added.length - diff.removed.length;
    ctx.step(`catalog changed: +${diff.added.length} -${diff.removed.length} ~${inPlace}`, { ...diff });
  }
  Object.assign(memory, { snapshot, tools: seen.names, toolsPerServer: seen.perServer, servers: baselines });
  if (diff.changed)
    memory.lastChange = {
      at: snapshot.at,
      added: diff.added,
      removed: diff.removed,
      changedSchemas: diff.changedSchemas,
      changes: diff.changes,
    };
  if (store && !sameTools(before, baselines)) await save(memory, store, scope, ctx);
  const pinned =
    spec.expect.pinned && store
      ? await checkPin(store, snapshot, seen.servers, spec.servers, baselines, (m) => ctx.step(m))
      : undefined;
  return { diff, pinned };
}

/**
 * The baselines kept in stateDir, once per start (and after a reload that changed the probe): a change made while
 * mcpwatch was down is a change at its first run. Those of another scope (other servers, another gateway) are not a
 * baseline; a file it cannot read makes this run the baseline, as a first run.
 */
async function restore(memory: CatalogMemory, store: CatalogStore, scope: string, ctx: ProbeContext): Promise<void> {
  memory.restored = true;
  try {
    const seen = await store.readSeen();
    if (!seen) return;
    if (seen.scope !== scope) {
      ctx.step(`baselines in ${store.seenPath} are of the probe's former servers or gateway: this run sets new ones`);
      return;
    }
    memory.servers = seen.servers;
    if (seen.lastChange) memory.lastChange = seen.lastChange;
    ctx.step(`baselines read from ${store.seenPath}`);
  } catch (err) {
    ctx.logger.warn({ err: (err as Error).message }, 'catalog baselines unreadable: this run sets new ones');
  }
}

/** The baselines written to stateDir (when they changed); a failure is logged, the run goes on. */
async function save(memory: CatalogMemory, store: CatalogStore, scope: string, ctx: ProbeContext): Promise<void> {
  try {
    await store.writeSeen({
      scope,
      servers: memory.servers ?? {},
      ...(memory.lastChange && { lastChange: memory.lastChange }),
    });
  } catch (err) {
    ctx.logger.warn({ file: store.seenPath, err: (err as Error).message }, 'catalog baselines could not be saved');
  }
}
