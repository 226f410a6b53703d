import { ProtocolError } from '@modelcontextprotocol/client';
import { readGatewayHealth } from './gateway-health.js';
import { classifyMcpError } from '../mcp/failures.js';
import { serverOutcomesOf } from '../mcp/responses.js';
import { speaking, type DiscoverSummary } from '../mcp/protocol.js';
import { listAllTools, openSession, type ListCacheHint, type McpSession } from '../mcp/session.js';
import { withSsoToken } from '../oauth/with-token.js';
import { ProbeFailure, type ProbeFn, type ServerOutcomes } from '../types.js';
import { toolsPerServer } from '../tool-servers.js';
import type { CatalogDetails, CatalogProbeDetails } from './details.js';
import type { McpCatalogProbeConfig } from './schema.js';
import { describeMismatches } from './gateway-health-verdict.js';
import { checkCatalog, describeDownServers, diffServers, serverStates, snapshotCatalog } from './verdict.js';
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
    const memory = (ctx.memory.catalog ??= {});
    const { diff, baselines } = diffServers(memory.servers, snapshot, servers, spec.servers);
    if (diff.changed) {
      ctx.logger.warn(
        { added: diff.added, removed: diff.removed, changedSchemas: diff.changedSchemas },
        'tool catalog changed',
      );
      ctx.step(`catalog changed: +${diff.added.length} -${diff.removed.length} ~${diff.changedSchemas.length}`, {
        ...diff,
      });
    }
    Object.assign(memory, { snapshot, tools: names, toolsPerServer: perServer, servers: baselines });
    if (diff.changed)
      memory.lastChange = {
        at: snapshot.at,
        added: diff.added,
        removed: diff.removed,
        changedSchemas: diff.changedSchemas,
      };

    const details: CatalogDetails = {
      catalog: { tools: names.length, toolsPerServer: perServer, fingerprint: snapshot.fingerprint, ...diff },
      expectedTools: Object.fromEntries(spec.expect.tools.map((t) => [t, names.includes(t)])),
      toolNames: names,
      ...(Object.keys(outcomes).length > 0 && { serverOutcomes: outcomes }),
      servers,
      ...(session.discover && { discover: discoverOf(session.discover) }),
      ...(cache[0] && { listCache: cache[0] }),
    };
    const verdict = checkCatalog(spec, { names, perServer, servers, diff });
    if (spec.gatewayHealth) {
      // The catalog's result stands whatever the health endpoint says; a disagreement is named.
      details.gatewayHealth = await readGatewayHealth(ctx, servers, startedAt, ssoToken);
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
