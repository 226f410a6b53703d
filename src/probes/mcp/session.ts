import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { formatDuration } from '../../config/duration.js';
import { isGatewayKeyHeader } from '../../util/credentials.js';
import { settleWithin } from '../../util/deadline.js';
import { maskHeaders } from '../../util/redact.js';
import { VERSION } from '../../version.js';
import { runDispatcher } from '../net/connections.js';
import { createPhaseClock } from '../net/phases.js';
import { bearer, joinUrl, ssoHeaders, USER_AGENT } from '../net/requests.js';
import { ProbeFailure, ProbeTimeoutError, type ProbeContext, type ServerOutcomes } from '../types.js';
import { excerpt, statusText } from '../verdicts/text.js';
import { formatBytes, watchBody, type BodyMode, type SseFieldHook } from './body.js';
import { classifyMcpError, httpRejection } from './failures.js';
import { isProtocolViolation, sentAuth, serverOutcomesOf, shortMessage, type SeenResponse } from './responses.js';

/** Largest response mcpwatch reads from a gateway before giving up on it (per HTTP response). */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** How long closing a session may take at the end of a run. */
const CLOSE_TIMEOUT_MS = 2_000;
/**
 * Resuming a stream the server closed before its response (SSE `retry:` and `id:`, then a GET with
 * `Last-Event-ID`, as the spec lets servers do): attempts per break, and breaks per session before
 * the run gives up on a server that never answers. All of it within the run's timeout.
 */
const RESUME_ATTEMPTS = 3;
const MAX_RESUMES = 10;

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

/** Targets already warned about a key without "Bearer " (per loaded config: a reload warns again, once). */
const warnedBearer = new WeakSet<object>();

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
    const value = bearer(ctx.target.apiKey);
    if (value !== ctx.target.apiKey && !warnedBearer.has(ctx.target)) {
      warnedBearer.add(ctx.target);
      ctx.logger.warn(
        'the apiKey of this target has no "Bearer " prefix: mcpwatch sends "Authorization: Bearer <key>", as LiteLLM requires (logged once per target)',
      );
    }
    headers[keyHeader] = value;
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
  const legacySse = ctx.target.transport === 'sse';
  const base = joinUrl(ctx.target.url, legacySse ? `${withSlash(ctx.target.mcpPath)}sse` : ctx.target.mcpPath);
  const url = spec.query ? `${base}${base.includes('?') ? '&' : '?'}${spec.query}` : base;
  const headers = sessionHeaders(ctx, spec);
  const limit = spec.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const label = spec.label ? `[${spec.label}] ` : '';
  const responses: SeenResponse[] = [];

  let closing = false;
  /** Set when the session is ended after the run's signal fired: the DELETE gets its own deadline and connection. */
  let afterAbort: { signal: AbortSignal; dispatcher: Dispatcher } | undefined;
  let fail!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);

  // Resumption: the last event id of each request's stream (a POST's SSE answer, or the GET that
  // resumed one), so that a GET with one of them as Last-Event-ID is known to resume a request,
  // not the standalone server→client stream.
  const requestStreamIds = new Set<string>();
  let resumes = 0;
  let resumingRequest = false;
  let retryHint: string | undefined;
  const fetchFn: FetchLike = async (input, init) => {
    const method = init?.method ?? 'GET';
    const sent = headersOf(init?.headers);
    const lastEventId = method === 'GET' && !legacySse ? sent['last-event-id'] : undefined;
    const resumeAfter = lastEventId !== undefined && requestStreamIds.has(lastEventId) ? lastEventId : undefined;
    if (method === 'GET') resumingRequest = resumeAfter !== undefined;
    if (resumeAfter !== undefined && ++resumes > MAX_RESUMES) {
      const err = new ProbeFailure(
        'protocol_error',
        `${ctx.target.name} closed the stream of a request ${MAX_RESUMES} times without answering it (each time resumed with Last-Event-ID)`,
      );
      fail(err);
      throw err;
    }
    const what =
      resumeAfter !== undefined
        ? `(resume the stream after event ${JSON.stringify(resumeAfter)}: the server closed it before the response)`
        : describeRequest(method, init?.body, legacySse);
    const signal = afterAbort
      ? afterAbort.signal
      : init?.signal
        ? AbortSignal.any([init.signal, ctx.signal])
        : ctx.signal;
    ctx.step(`${label}${method} ${String(input)}${what ? `  ${what}` : ''}`, {
      headers: maskHeaders(sent, ctx.redactor),
    });
    const res = await undiciFetch(
      input as string,
      {
        ...(init as object),
        signal,
        dispatcher: afterAbort?.dispatcher ?? ctx.dispatcher,
        redirect: 'manual',
      } as Parameters<typeof undiciFetch>[1],
    );
    const seen: SeenResponse = {
      method,
      url: String(input),
      status: res.status,
      auth: sentAuth(sent, ctx.target.apiKeyHeader),
    };
    const location = res.headers.get('location');
    const www = res.headers.get('www-authenticate');
    if (location) seen.location = location;
    if (www) seen.wwwAuthenticate = www;
    responses.push(seen);
    const type = res.headers.get('content-type');
    ctx.step(`${label}← ${statusText(res.status)}${type ? ` (${type})` : ''}${what ? `  ${what}` : ''}`);
    if (resumeAfter !== undefined && !res.ok && !closing) {
      // The SDK takes a 405 on GET as "no stream offered" and would wait for the answer until the timeout.
      fail(
        new ProbeFailure(
          'protocol_error',
          `${ctx.target.name} closed the stream of a request before answering it, and refused to resume it (GET with Last-Event-ID: ${statusText(res.status)})`,
        ),
      );
    }
    if (!res.body) return res as unknown as Response;
    const isSse = /text\/event-stream/i.test(type ?? '');
    // A response to a request must not end inside an event; the legacy transport's session stream
    // must not end at all while the session is in use; the standalone GET stream may end any time.
    const mode: BodyMode =
      isSse && method === 'POST' ? 'request_sse' : isSse && legacySse && method === 'GET' ? 'session_sse' : 'plain';
    const requestStream = isSse && (method === 'POST' || resumeAfter !== undefined);
    let streamLastId: string | undefined;
    const onField: SseFieldHook = (field, value) => {
      if (field === 'id' && requestStream) {
        if (streamLastId !== undefined) requestStreamIds.delete(streamLastId);
        streamLastId = value;
        requestStreamIds.add(value);
      } else if (field === 'retry' && value !== retryHint && /^\d+$/.test(value)) {
        retryHint = value;
        ctx.step(
          `${label}the server asks to reconnect after ${formatDuration(Number(value))} if a stream breaks (SSE retry)`,
        );
      }
    };
    const watched = watchBody(res.body as ReadableStream<Uint8Array>, limit, mode, { onField }, (why) => {
      const err =
        why === 'too_large'
          ? new ProbeFailure(
              'protocol_error',
              `response from ${ctx.target.name} larger than ${formatBytes(limit)} (maxResponseBytes): stopped reading it`,
            )
          : why === 'mid_event'
            ? new ProbeFailure(
                'protocol_error',
                `the SSE stream from ${ctx.target.name} ended in the middle of an event`,
              )
            : why === 'ended'
              ? new ProbeFailure(
                  'protocol_error',
                  `${ctx.target.name} closed the SSE session stream while the session was in use`,
                )
              : new ProbeFailure(
                  'protocol_error',
                  `the connection to ${ctx.target.name} broke while reading the response (${why.message})`,
                );
      if (!closing && !ctx.signal.aborted) fail(err);
      return err;
    });
    return new Response(watched, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers as unknown as Headers,
    });
  };

  const transport: Transport = legacySse
    ? new SSEClientTransport(new URL(url), {
        fetch: fetchFn,
        requestInit: { headers, redirect: 'manual' },
        eventSourceInit: { fetch: (u, i) => fetchFn(u, { ...i, headers: { ...headersOf(i?.headers), ...headers } }) },
      })
    : new StreamableHTTPClientTransport(new URL(url), {
        fetch: fetchFn,
        requestInit: { headers, redirect: 'manual' },
        // A stream the server closes before the response is resumed (GET with Last-Event-ID) after
        // the server's `retry:`, or 0.5 s, 1 s, 2 s: the spec allows servers to do that, so it is not
        // a fault. A stream cut inside an event is one (watchBody fails the run first).
        reconnectionOptions: {
          maxRetries: RESUME_ATTEMPTS,
          initialReconnectionDelay: 500,
          maxReconnectionDelay: 2_000,
          reconnectionDelayGrowFactor: 2,
        },
      });

  const client = new Client({ name: 'mcpwatch', version: VERSION }, { capabilities: {} });
  client.onerror = (err: Error) => {
    if (closing || ctx.signal.aborted) return; // streams ending because the run ends
    const http = httpRejection(err, responses);
    ctx.step(
      http
        ? `${label}body: ${excerpt(http.body, 300) || '(empty)'}`
        : `${label}transport error: ${shortMessage(err, 300)}`,
    );
    // A message that is not valid JSON-RPC on a stream never reaches the pending request: fail the run now.
    if (isProtocolViolation(err))
      fail(new ProbeFailure('protocol_error', `invalid MCP message from ${ctx.target.name}: ${shortMessage(err)}`));
    // Resuming a request's closed stream failed every time: its answer will not come.
    if (resumingRequest && /^Maximum reconnection attempts/.test(err.message)) {
      fail(
        new ProbeFailure(
          'protocol_error',
          `${ctx.target.name} closed the stream of a request before answering it, and resuming it failed ${RESUME_ATTEMPTS} times`,
        ),
      );
    }
  };

  let closed: Promise<void> | undefined;
  const session: McpSession = {
    client,
    failed,
    responses,
    call: (fn) =>
      Promise.race([fn({ signal: ctx.signal, timeout: ctx.timeoutMs, maxTotalTimeout: ctx.timeoutMs }), failed]),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        // A stateful gateway keeps a session until it is DELETEd (LiteLLM 1.108+ allows 8 per key):
        // end it also when the run failed or timed out, then drop the streams.
        if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
          if (ctx.signal.aborted) {
            const dispatcher = runDispatcher(ctx.target, createPhaseClock(), CLOSE_TIMEOUT_MS);
            afterAbort = { signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS), dispatcher };
            await settleWithin(transport.terminateSession(), CLOSE_TIMEOUT_MS);
            void dispatcher.destroy().catch(() => undefined);
          } else {
            await settleWithin(transport.terminateSession(), CLOSE_TIMEOUT_MS);
          }
        }
        await settleWithin(client.close(), CLOSE_TIMEOUT_MS);
      })()),
  };

  try {
    await ctx.phases.run('initialize', () => session.call((opts) => client.connect(transport, opts)));
    const info = client.getServerVersion();
    const facts =
      transport instanceof StreamableHTTPClientTransport
        ? [
            `protocol ${transport.protocolVersion ?? '?'}`,
            transport.sessionId ? 'stateful (mcp-session-id)' : 'stateless (no mcp-session-id)',
          ]
        : ['legacy SSE'];
    ctx.step(
      `${label}initialized: ${[info?.name, info?.version].filter(Boolean).join(' ') || 'server'} (${facts.join(', ')})`,
    );
  } catch (err) {
    await session.close();
    if (legacySse && ctx.signal.reason instanceof ProbeTimeoutError && !responses.some((r) => r.method === 'POST')) {
      throw new ProbeFailure(
        'timeout',
        `timeout after ${formatDuration(ctx.timeoutMs)} in initialize: ${url} never sent the legacy SSE "endpoint" event (LiteLLM 1.77 serves only streamable HTTP there: use transport: streamable-http)`,
      );
    }
    throw classifyMcpError(err, ctx, responses, 'initialize') ?? err;
  }
  return session;
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

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

function headersOf(h: unknown): Record<string, string> {
  if (!h) return {};
  if (typeof (h as Headers).forEach === 'function' && !(h instanceof Array)) {
    const out: Record<string, string> = {};
    (h as Headers).forEach((v, k) => (out[k] = v));
    return out;
  }
  if (Array.isArray(h)) return Object.fromEntries(h as Array<[string, string]>);
  return { ...(h as Record<string, string>) };
}

/** What a request is, for the step log: the JSON-RPC method(s) of a POST, the stream of a GET. */
function describeRequest(method: string, body: unknown, legacySse: boolean): string {
  if (method === 'GET') return legacySse ? '(open SSE session stream)' : '(open server→client stream)';
  if (method === 'DELETE') return '(end session)';
  if (typeof body !== 'string') return '';
  try {
    const msg = JSON.parse(body) as { method?: unknown } | Array<{ method?: unknown }>;
    const methods = (Array.isArray(msg) ? msg : [msg]).map((m) =>
      typeof m?.method === 'string' ? m.method : 'response',
    );
    return methods.join(', ');
  } catch {
    return '';
  }
}
