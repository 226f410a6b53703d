import { Client, type RequestOptions, type Tool } from '@modelcontextprotocol/client';
import { formatDuration } from '../../config/duration.js';
import { clientIdHeaderOf } from '../../config/target.js';
import { isGatewayKeyHeader } from '../../util/credentials.js';
import { VERSION } from '../../version.js';
import { bearer, ssoHeaders, USER_AGENT } from '../net/requests.js';
import {
  ProbeFailure,
  ProbeTimeoutError,
  type ProbeContext,
  type ProtocolFacts,
  type ServerOutcomes,
} from '../types.js';
import { classifyMcpError, unwrapSdkError } from './failures.js';
import { serverOutcomesOf, type SeenResponse } from './responses.js';
import { SessionFetch } from './session-fetch.js';
import { erasOf, planEra, type EraPlan } from './eras.js';
import {
  checkExactVersion,
  describeProtocol,
  notePlan,
  spokenProtocol,
  summarizeDiscover,
  type DiscoverSummary,
} from './protocol.js';
import { createTransport, endSession, sessionUrl, transportFacts } from './transport.js';

export { DEFAULT_MAX_RESPONSE_BYTES } from './session-fetch.js';

/** How the run authenticates: the target's key (default), none, or a raw Authorization value. */
export type AuthMode = { kind: 'key' } | { kind: 'none' } | { kind: 'raw'; value: string };

export interface SessionSpec {
  servers: readonly string[];
  headers: Readonly<Record<string, string>>;
  auth?: AuthMode;
  maxResponseBytes?: number;
  /** Label for the step log, e.g. "wrong_key". */
  label?: string;
  /** Query string added to the MCP URL (the auth guard's marker). */
  query?: string;
  /**
   * The SSO gate's access token (targets with oauth2), sent as `Authorization: Bearer …` beside the key in
   * apiKeyHeader.
   */
  ssoToken?: string;
}

export interface McpSession {
  client: Client;
  /**
   * Rejects as soon as something fails the session out of band (a response over the size limit, an invalid message on a
   * stream).
   */
  failed: Promise<never>;
  responses: SeenResponse[];
  /** What the session speaks. */
  protocol: ProtocolFacts;
  /** What server/discover said (the modern era). */
  discover?: DiscoverSummary;
  /** Runs an SDK call bounded by the run's signal and timeout, failing fast on out-of-band errors. */
  call<T>(fn: (opts: RequestOptions) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The headers a probe sends, before the SDK adds its own (content-type, accept, session id):
 * the target's extra headers and its clientId (in clientIdHeader), then the probe's (names lower-cased, so the
 * probe's win whatever their case), `x-mcp-servers` when the probe names servers, and the credentials of `spec.auth`.
 */
export function sessionHeaders(ctx: ProbeContext, spec: SessionSpec): Record<string, string> {
  const auth = spec.auth ?? { kind: 'key' };
  const keyHeader = ctx.target.apiKeyHeader;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  // The target's clientId (who mcpwatch is to a gateway's client allowlist) goes with its headers: a probe's own win.
  const clientId: [string, string][] =
    ctx.target.clientId === undefined ? [] : [[clientIdHeaderOf(ctx.target), ctx.target.clientId]];
  for (const [k, v] of [...Object.entries(ctx.target.headers), ...clientId, ...Object.entries(spec.headers)]) {
    const name = k.toLowerCase();
    // The auth guard's rejection checks: a "no key" request must carry no key in any header
    // (but Authorization, when the key goes elsewhere, is the SSO's: it still gets through).
    if (auth.kind !== 'key' && isGatewayKeyHeader(name) && !(name === 'authorization' && keyHeader !== 'authorization'))
      continue;
    headers[name] = v;
  }
  if (spec.servers.length > 0) headers['x-mcp-servers'] = spec.servers.join(',');
  if (auth.kind === 'key' && ctx.target.apiKey !== undefined) {
    // A key is configured with or without "Bearer ": either way it is sent with the prefix (no warning).
    headers[keyHeader] = bearer(ctx.target.apiKey);
  } else if (auth.kind === 'raw') {
    headers[keyHeader] = auth.value;
  }
  // A check of what the key's header carries when that header is Authorization is left alone.
  if (keyHeader !== 'authorization' || auth.kind === 'key') Object.assign(headers, ssoHeaders(spec.ssoToken));
  return headers;
}

/**
 * Opens an MCP session through the gateway with the SDK's client: undici as its fetch (the run's
 * dispatcher and signal, so the run's timeout and TLS options apply), a byte limit on every
 * response, redirects reported rather than followed, and the handshake (`server/discover` or
 * `initialize`, by the target's `protocol`) timed as the `initialize` phase. The caller must close() it, also after a
 * failure. A target that spoke the legacy protocol before (protocol: auto) and now refuses it is negotiated again at
 * once.
 */
export async function openSession(ctx: ProbeContext, spec: SessionSpec): Promise<McpSession> {
  const plan = planEra(ctx);
  try {
    return await connect(ctx, spec, plan);
  } catch (err) {
    const changed = mayMeanChanged(err);
    if (ctx.target.protocol === 'auto' && changed) erasOf(ctx).forget(ctx.target);
    if (!plan.remembered || !changed || ctx.signal.aborted) throw err;
    const was = plan.remembered;
    ctx.step(
      `${spec.label ? `[${spec.label}] ` : ''}${ctx.target.name} spoke ${was.era} ${was.version} before and now ` +
        `refused it (${(err as Error).message}): negotiating the protocol again`,
    );
    return connect(ctx, spec, planEra(ctx, true));
  }
}

/** A failure to connect that may mean the gateway changed (its protocol), not that it refused the credentials. */
function mayMeanChanged(err: unknown): boolean {
  if (!(err instanceof ProbeFailure)) return false;
  if (err.outcome === 'protocol_error' || err.outcome === 'connect_error') return true;
  const status = (err.details as { status?: unknown } | undefined)?.status;
  return err.outcome === 'http_error' && typeof status === 'number' && [400, 404, 405, 406, 415].includes(status);
}

async function connect(ctx: ProbeContext, spec: SessionSpec, plan: EraPlan): Promise<McpSession> {
  const url = sessionUrl(ctx.target, spec.query);
  const traffic = new SessionFetch(ctx, spec);
  const transport = createTransport(ctx.target, url, sessionHeaders(ctx, spec), traffic.fetch);
  traffic.observe(transport);
  const client = new Client(
    { name: 'mcpwatch', version: VERSION },
    {
      capabilities: {},
      versionNegotiation: { mode: plan.mode, probe: { timeoutMs: ctx.timeoutMs, maxRetries: 0 } },
      ...(plan.exactLegacy && { supportedProtocolVersions: [plan.exactLegacy] }),
    },
  );
  client.onerror = (err: Error) => traffic.onClientError(err);
  let closed: Promise<void> | undefined;
  const session: McpSession = {
    client,
    failed: traffic.failed,
    responses: traffic.responses,
    protocol: { era: 'legacy', version: '', via: 'initialize' },
    call: (fn) =>
      Promise.race([
        fn({ signal: ctx.signal, timeout: ctx.timeoutMs, maxTotalTimeout: ctx.timeoutMs }),
        traffic.failed,
      ]),
    close: () => (closed ??= endSession(ctx, client, transport, traffic)),
  };
  try {
    await ctx.phases.run('initialize', () => session.call((opts) => client.connect(transport, opts)));
    session.protocol = spokenProtocol(ctx, client, plan);
    const discover = client.getDiscoverResult();
    if (discover) session.discover = summarizeDiscover(discover, client);
    const info = client.getServerVersion();
    const server = [info?.name, info?.version].filter(Boolean).join(' ') || 'server';
    const done = session.protocol.era === 'modern' ? 'connected' : 'initialized';
    ctx.step(`${traffic.label}${done}: ${server} (${transportFacts(transport, session.protocol.version).join(', ')})`);
    ctx.step(`${traffic.label}${describeProtocol(session.protocol, session.discover)}`);
    checkExactVersion(ctx, plan, session.protocol);
    notePlan(ctx, session.protocol);
  } catch (err) {
    await session.close();
    throw initializeFailure(err, ctx, url, traffic.responses);
  }
  return session;
}

/** Why `initialize` failed: a legacy SSE endpoint that never named where to post is told apart. */
function initializeFailure(err: unknown, ctx: ProbeContext, url: string, responses: readonly SeenResponse[]): unknown {
  const legacySse = ctx.target.transport === 'sse';
  if (legacySse && ctx.signal.reason instanceof ProbeTimeoutError && !responses.some((r) => r.method === 'POST')) {
    const after = formatDuration(ctx.timeoutMs);
    return new ProbeFailure(
      'timeout',
      `timeout after ${after} in initialize: ${url} never sent the legacy SSE "endpoint" event ` +
        '(LiteLLM 1.77 serves only streamable HTTP there: use transport: streamable-http)',
    );
  }
  return classifyMcpError(err, ctx, responses, 'initialize') ?? unwrapSdkError(err);
}

/**
 * tools/list, following nextCursor; guards against a server that pages forever. `outcomes`
 * collects what the gateway says per upstream server, when it says it.
 */
export async function listAllTools(
  ctx: ProbeContext,
  session: McpSession,
  outcomes?: ServerOutcomes,
  cache?: ListCacheHint[],
): Promise<Tool[]> {
  return ctx.phases.run('list_tools', async () => {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await session.call((opts) => listToolsPage(session.client, cursor, opts));
      tools.push(...res.tools);
      const hint = cacheHintOf(res);
      if (hint && cache) cache.push(hint);
      const perServer = serverOutcomesOf(res._meta);
      if (perServer && outcomes) Object.assign(outcomes, perServer);
      ctx.step(
        `tools/list page ${page + 1}: ${res.tools.length} tools`,
        perServer ? { serverOutcomes: perServer } : undefined,
      );
      if (!res.nextCursor || res.nextCursor === cursor) return tools;
      cursor = res.nextCursor;
    }
    throw new ProbeFailure('protocol_error', `tools/list from ${ctx.target.name} did not end after 100 pages`);
  });
}

/** What a modern list result says about caching it (`ttlMs`, `cacheScope`). */
export interface ListCacheHint {
  ttlMs?: number;
  cacheScope?: string;
}

function cacheHintOf(res: object): ListCacheHint | undefined {
  const { ttlMs, cacheScope } = res as { ttlMs?: unknown; cacheScope?: unknown };
  const hint: ListCacheHint = {
    ...(typeof ttlMs === 'number' && { ttlMs }),
    ...(typeof cacheScope === 'string' && { cacheScope }),
  };
  return Object.keys(hint).length > 0 ? hint : undefined;
}

/**
 * One page of tools/list as the server sends it: a raw request, so the client neither follows the pages itself nor
 * answers from its cache (a list it holds within the server's ttlMs would make no request at all).
 */
export function listToolsPage(
  client: Client,
  cursor: string | undefined,
  opts: RequestOptions,
): ReturnType<Client['listTools']> {
  return client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, opts);
}
