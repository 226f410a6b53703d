import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { formatDuration } from '../../config/duration.js';
import { isGatewayKeyHeader } from '../../util/credentials.js';
import { VERSION } from '../../version.js';
import { bearer, ssoHeaders, USER_AGENT } from '../net/requests.js';
import { ProbeFailure, ProbeTimeoutError, type ProbeContext, type ServerOutcomes } from '../types.js';
import { classifyMcpError } from './failures.js';
import { serverOutcomesOf, type SeenResponse } from './responses.js';
import { SessionFetch } from './session-fetch.js';
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
  /** Runs an SDK call bounded by the run's signal and timeout, failing fast on out-of-band errors. */
  call<T>(fn: (opts: RequestOptions) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The headers a probe sends, before the SDK adds its own (content-type, accept, session id):
 * the target's extra headers, then the probe's (names lower-cased, so the probe's win whatever
 * their case), `x-mcp-servers` when the probe names servers, and the credentials of `spec.auth`.
 */
export function sessionHeaders(ctx: ProbeContext, spec: SessionSpec): Record<string, string> {
  const auth = spec.auth ?? { kind: 'key' };
  const keyHeader = ctx.target.apiKeyHeader;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  for (const [k, v] of [...Object.entries(ctx.target.headers), ...Object.entries(spec.headers)]) {
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
 * response, redirects reported rather than followed, and `initialize` timed as its own phase.
 * The caller must close() it, also after a failure.
 */
export async function openSession(ctx: ProbeContext, spec: SessionSpec): Promise<McpSession> {
  const url = sessionUrl(ctx.target, spec.query);
  const traffic = new SessionFetch(ctx, spec);
  const transport = createTransport(ctx.target, url, sessionHeaders(ctx, spec), traffic.fetch);
  const client = new Client({ name: 'mcpwatch', version: VERSION }, { capabilities: {} });
  client.onerror = (err: Error) => traffic.onClientError(err);
  let closed: Promise<void> | undefined;
  const session: McpSession = {
    client,
    failed: traffic.failed,
    responses: traffic.responses,
    call: (fn) =>
      Promise.race([
        fn({ signal: ctx.signal, timeout: ctx.timeoutMs, maxTotalTimeout: ctx.timeoutMs }),
        traffic.failed,
      ]),
    close: () => (closed ??= endSession(ctx, client, transport, traffic)),
  };
  try {
    await ctx.phases.run('initialize', () => session.call((opts) => client.connect(transport, opts)));
    const info = client.getServerVersion();
    const server = [info?.name, info?.version].filter(Boolean).join(' ') || 'server';
    ctx.step(`${traffic.label}initialized: ${server} (${transportFacts(transport).join(', ')})`);
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
  return classifyMcpError(err, ctx, responses, 'initialize') ?? err;
}

/**
 * tools/list, following nextCursor; guards against a server that pages forever. `outcomes`
 * collects what the gateway says per upstream server, when it says it.
 */
export async function listAllTools(ctx: ProbeContext, session: McpSession, outcomes?: ServerOutcomes): Promise<Tool[]> {
  return ctx.phases.run('list_tools', async () => {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await session.call((opts) => session.client.listTools(cursor ? { cursor } : {}, opts));
      tools.push(...res.tools);
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
