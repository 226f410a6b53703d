import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { fetch as undiciFetch } from 'undici';
import { maskHeaders } from '../util/redact.js';
import { VERSION } from '../version.js';
import { formatDuration } from '../config/duration.js';
import { ProbeFailure, ProbeTimeoutError } from './errors.js';
import { classifyMcpError } from './mcp-errors.js';
import { bearer, joinUrl, USER_AGENT } from './http-util.js';
import type { ProbeContext } from './types.js';

/** Largest response mcpwatch reads from a gateway before giving up on it (per HTTP response). */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** How long closing a session may take at the end of a run. */
const CLOSE_TIMEOUT_MS = 2_000;

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
}

/** An HTTP response the run saw (for reasons: the SDK's errors carry the status, not the headers). */
export interface SeenResponse {
  method: string;
  url: string;
  status: number;
  location?: string;
  wwwAuthenticate?: string;
}

export interface McpSession {
  client: Client;
  /** Rejects as soon as something fails the session out of band (a response over the size limit, an invalid message on a stream). */
  failed: Promise<never>;
  responses: SeenResponse[];
  /** Runs an SDK call bounded by the run's signal and timeout, failing fast on out-of-band errors. */
  call<T>(fn: (opts: RequestOptions) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const warnedBearer = new Set<string>();

/** The headers a probe sends, before the SDK adds its own (content-type, accept, session id). */
export function sessionHeaders(ctx: ProbeContext, spec: SessionSpec): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...ctx.target.headers, ...spec.headers };
  if (spec.servers.length > 0) headers['x-mcp-servers'] = spec.servers.join(',');
  const auth = spec.auth ?? { kind: 'key' };
  if (auth.kind === 'key' && ctx.target.apiKey !== undefined) {
    const value = bearer(ctx.target.apiKey);
    if (value !== ctx.target.apiKey && !warnedBearer.has(ctx.target.name)) {
      warnedBearer.add(ctx.target.name);
      ctx.logger.warn('the configured apiKey has no "Bearer " prefix: mcpwatch sends "Bearer <key>", as LiteLLM requires');
    }
    headers.authorization = value;
  } else if (auth.kind === 'raw') {
    headers.authorization = auth.value;
  }
  return headers;
}

/**
 * Opens an MCP session through the gateway with the SDK's client: undici as its fetch (the run's
 * dispatcher and signal, so the run's timeout and TLS options apply), a byte limit on every
 * response, redirects reported rather than followed, and `initialize` timed as its own phase.
 * The caller must close() it, also after a failure.
 */
export async function openSession(ctx: ProbeContext, spec: SessionSpec): Promise<McpSession> {
  const base = joinUrl(ctx.target.url, ctx.target.transport === 'sse' ? `${withSlash(ctx.target.mcpPath)}sse` : ctx.target.mcpPath);
  const url = spec.query ? `${base}${base.includes('?') ? '&' : '?'}${spec.query}` : base;
  const headers = sessionHeaders(ctx, spec);
  const limit = spec.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const label = spec.label ? `[${spec.label}] ` : '';
  const responses: SeenResponse[] = [];

  let closing = false;
  let fail!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);

  const fetchFn: FetchLike = async (input, init) => {
    const method = init?.method ?? 'GET';
    const signal = init?.signal ? AbortSignal.any([init.signal, ctx.signal]) : ctx.signal;
    ctx.step(`${label}${method} ${String(input)}`, { headers: maskHeaders(headersOf(init?.headers), ctx.redactor) });
    const res = await undiciFetch(input as string, { ...(init as object), signal, dispatcher: ctx.dispatcher, redirect: 'manual' } as Parameters<typeof undiciFetch>[1]);
    const seen: SeenResponse = { method, url: String(input), status: res.status };
    const location = res.headers.get('location');
    const www = res.headers.get('www-authenticate');
    if (location) seen.location = location;
    if (www) seen.wwwAuthenticate = www;
    responses.push(seen);
    ctx.step(`${label}response ${res.status}${res.headers.get('content-type') ? ` (${res.headers.get('content-type')})` : ''}`);
    if (!res.body) return res as unknown as Response;
    const isSse = /text\/event-stream/i.test(res.headers.get('content-type') ?? '');
    // The standalone GET stream may end whenever the server likes; a response to a request may not.
    const watched = watchBody(res.body as ReadableStream<Uint8Array>, limit, method === 'POST' && isSse, (why) => {
      const err =
        why === 'too_large'
          ? new ProbeFailure('protocol_error', `response from ${ctx.target.name} larger than ${formatBytes(limit)}: stopped reading it`)
          : why === 'mid_event'
            ? new ProbeFailure('protocol_error', `the SSE stream from ${ctx.target.name} ended in the middle of an event`)
            : new ProbeFailure('protocol_error', `the connection to ${ctx.target.name} broke while reading the response (${why.message})`);
      if (!closing && !ctx.signal.aborted) fail(err);
      return err;
    });
    return new Response(watched, { status: res.status, statusText: res.statusText, headers: res.headers as unknown as Headers });
  };

  const transport: Transport =
    ctx.target.transport === 'sse'
      ? new SSEClientTransport(new URL(url), {
          fetch: fetchFn,
          requestInit: { headers, redirect: 'manual' },
          eventSourceInit: { fetch: (u, i) => fetchFn(u, { ...i, headers: { ...headersOf(i?.headers), ...headers } }) },
        })
      : new StreamableHTTPClientTransport(new URL(url), {
          fetch: fetchFn,
          requestInit: { headers, redirect: 'manual' },
          // One attempt: a probe reports a broken stream, it does not paper over it.
          reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1_000, maxReconnectionDelay: 1_000, reconnectionDelayGrowFactor: 1 },
        });

  const client = new Client({ name: 'mcpwatch', version: VERSION }, { capabilities: {} });
  client.onerror = (err: Error) => {
    if (closing) return; // streams ending because we close them
    ctx.step(`${label}transport error: ${err.message}`);
    // A message that is not valid JSON-RPC on a stream never reaches the pending request: fail the run now.
    if (isProtocolViolation(err)) fail(new ProbeFailure('protocol_error', `invalid MCP message from ${ctx.target.name}: ${shortMessage(err)}`));
  };

  const session: McpSession = {
    client,
    failed,
    responses,
    call: (fn) => Promise.race([fn({ signal: ctx.signal, timeout: ctx.timeoutMs, maxTotalTimeout: ctx.timeoutMs }), failed]),
    close: async () => {
      closing = true;
      await withTimeout(
        (async () => {
          if (transport instanceof StreamableHTTPClientTransport && transport.sessionId && !ctx.signal.aborted) {
            await transport.terminateSession().catch(() => undefined);
          }
          await client.close().catch(() => undefined);
        })(),
        CLOSE_TIMEOUT_MS,
      );
    },
  };

  try {
    await ctx.phases.run('initialize', () => session.call((opts) => client.connect(transport, opts)));
    const info = client.getServerVersion();
    ctx.step(`${label}initialized: ${info?.name ?? '?'} ${info?.version ?? ''}`.trim());
  } catch (err) {
    await session.close();
    if (ctx.target.transport === 'sse' && ctx.signal.reason instanceof ProbeTimeoutError) {
      throw new ProbeFailure(
        'timeout',
        `timeout after ${formatDuration(ctx.timeoutMs)} in initialize: no legacy SSE session from ${url} (LiteLLM 1.77 serves streamable HTTP there too: try transport: streamable-http)`,
      );
    }
    throw classifyMcpError(err, ctx, responses, 'initialize') ?? err;
  }
  return session;
}

/** tools/list, following nextCursor; guards against a server that pages forever. */
export async function listAllTools(ctx: ProbeContext, session: McpSession): Promise<Tool[]> {
  return ctx.phases.run('list_tools', async () => {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await session.call((opts) => session.client.listTools(cursor ? { cursor } : {}, opts));
      tools.push(...res.tools);
      ctx.step(`tools/list page ${page + 1}: ${res.tools.length} tools`);
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

type BodyFault = 'too_large' | 'mid_event' | Error;

/**
 * Passes a response body through, failing the run (via `onFault`) when it grows past `limit`
 * (then it stops reading and cancels the source), when the connection breaks mid-body, or, for
 * an SSE response, when the stream ends inside an event (a clean end is at a blank line).
 */
function watchBody(source: ReadableStream<Uint8Array>, limit: number, sse: boolean, onFault: (why: BodyFault) => Error): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let seen = 0;
  let tail = '';
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (err) {
        controller.error(onFault(err as Error));
        return;
      }
      if (r.done) {
        if (sse && tail.trim() !== '' && !/\r?\n\r?\n$/.test(tail)) controller.error(onFault('mid_event'));
        else controller.close();
        return;
      }
      seen += r.value.byteLength;
      if (seen > limit) {
        controller.error(onFault('too_large'));
        void reader.cancel().catch(() => undefined);
        return;
      }
      if (sse) tail = (tail + Buffer.from(r.value).toString('latin1')).slice(-8);
      controller.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** A message on a stream that is not JSON, or not JSON-RPC (what the SDK reports through onerror). */
function isProtocolViolation(err: Error): boolean {
  return err.name === 'ZodError' || err.name === 'SyntaxError';
}

export function shortMessage(err: unknown, max = 200): string {
  const msg = err instanceof Error ? err.message : String(err);
  const one = msg.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} bytes`;
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
