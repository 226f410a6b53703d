import {
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Client,
  type FetchLike,
  type Transport,
} from '@modelcontextprotocol/client';
import type { Target } from '../../config/target.js';
import { settleWithin } from '../../util/deadline.js';
import { runDispatcher } from '../net/connections.js';
import { createPhaseClock } from '../net/phases.js';
import { joinUrl } from '../../util/url.js';
import type { ProbeContext } from '../types.js';
import { headersOf } from './sdk-requests.js';
import { RESUME_ATTEMPTS, type SessionFetch } from './session-fetch.js';

/** How long closing a session may take at the end of a run. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * The URL a session starts at: the target's mcpPath (the legacy SSE transport: its `sse` stream under it), with
 * `query` added (the auth guard's marker).
 */
export function sessionUrl(target: Pick<Target, 'url' | 'mcpPath' | 'transport'>, query?: string): string {
  const path = target.transport === 'sse' ? `${withSlash(target.mcpPath)}sse` : target.mcpPath;
  const base = joinUrl(target.url, path);
  return query ? `${base}${base.includes('?') ? '&' : '?'}${query}` : base;
}

/**
 * The SDK transport of the target's kind (streamable HTTP, or the legacy SSE one), sending `headers` on every request
 * through `fetch`, redirects reported rather than followed.
 */
export function createTransport(
  target: Pick<Target, 'transport'>,
  url: string,
  headers: Record<string, string>,
  fetch: FetchLike,
): Transport {
  const requestInit: RequestInit = { headers, redirect: 'manual' };
  if (target.transport === 'sse') {
    return new SSEClientTransport(new URL(url), {
      fetch,
      requestInit,
      eventSourceInit: { fetch: (u, i) => fetch(u, { ...i, headers: { ...headersOf(i?.headers), ...headers } }) },
    });
  }
  return new StreamableHTTPClientTransport(new URL(url), {
    fetch,
    requestInit,
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
}

/** What an initialized transport tells of the session, for the step log (`version`: the negotiated one). */
export function transportFacts(transport: Transport, version?: string): string[] {
  if (!(transport instanceof StreamableHTTPClientTransport)) return ['legacy SSE'];
  return [
    `protocol ${version ?? transport.protocolVersion ?? '?'}`,
    transport.sessionId ? 'stateful (mcp-session-id)' : 'stateless (no mcp-session-id)',
  ];
}

/**
 * Ends a session, also when the run failed or timed out: a stateful gateway keeps a session until
 * it is DELETEd (LiteLLM 1.108+ allows 8 per key), so that goes first (after the run's abort, on a
 * connection and deadline of its own), then the client drops its streams.
 */
export async function endSession(
  ctx: ProbeContext,
  client: Client,
  transport: Transport,
  traffic: SessionFetch,
): Promise<void> {
  const stateful = transport instanceof StreamableHTTPClientTransport && transport.sessionId ? transport : undefined;
  const own =
    stateful && ctx.signal.aborted ? runDispatcher(ctx.target, createPhaseClock(), CLOSE_TIMEOUT_MS) : undefined;
  traffic.beginClose(own && { signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS), dispatcher: own });
  if (stateful) await settleWithin(stateful.terminateSession(), CLOSE_TIMEOUT_MS);
  if (own) void own.destroy().catch(() => undefined);
  await settleWithin(client.close(), CLOSE_TIMEOUT_MS);
}

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}
