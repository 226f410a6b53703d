import { toNodeHandler, type NodeIncomingMessageLike, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { MonitoringSource } from '../mcp-tools/port.js';
import type { RunRateLimiter } from '../mcp-tools/rate-limit.js';
import type { RequestId } from '../mcp-tools/requests.js';
import { createMonitoringServer } from '../mcp-tools/tools.js';
import type { Logger } from '../util/logger.js';

/**
 * The SDK's MCP handler for `/mcp`, both protocol eras on one endpoint: 2026-07-28 (server/discover,
 * a `_meta` envelope and MCP-Protocol-Version / Mcp-Method / Mcp-Name headers on every request,
 * checked by the SDK) and the 2025 revisions (`initialize`, served statelessly by the SDK's own
 * legacy leg: what LiteLLM and today's clients speak). A fresh monitoring server per request on both.
 */
export function monitoringHandler(source: MonitoringSource, limiter: RunRateLimiter, logger: Logger): McpHttpHandler {
  return createMcpHandler(() => createMonitoringServer(source, limiter), {
    legacy: 'stateless',
    // A request the SDK refuses (wrong headers, a bad envelope) is the client's fault: quiet.
    onerror: (err) =>
      /^Rejected inbound request/.test(err.message)
        ? logger.debug({ err: err.message }, 'MCP request refused')
        : logger.warn({ err }, 'MCP request failed'),
  });
}

/**
 * A Node handler for one request: the SDK converts it and writes the answer; every JSON-RPC error
 * body the SDK answers without an id (a wrong Content-Type, a refused version header) gets the
 * request's own, when it had one.
 */
export function nodeHandlerFor(
  handler: McpHttpHandler,
  id: RequestId | undefined,
  logger: Logger,
): NodeMcpRequestHandler {
  return toNodeHandler(
    { fetch: async (request, options) => withRequestId(await handler.fetch(request, options), id) },
    { onerror: (err) => logger.error({ err }, 'MCP request failed') },
  );
}

/**
 * The Node request as the SDK reads it, its body the bytes fastify has already read (the stream is
 * spent): method, URL and headers from `raw`.
 */
export function nodeRequest(
  raw: { method?: string | undefined; url?: string | undefined; headers: NodeIncomingMessageLike['headers'] },
  body: Buffer | undefined,
): NodeIncomingMessageLike {
  return {
    ...(raw.method !== undefined && { method: raw.method }),
    ...(raw.url !== undefined && { url: raw.url }),
    headers: raw.headers,
    async *[Symbol.asyncIterator]() {
      if (body !== undefined && body.length > 0) yield body;
    },
  };
}

/** A JSON-RPC error response answered with `id: null` gets `id`; any other response is left as it is. */
export async function withRequestId(response: Response, id: RequestId | undefined): Promise<Response> {
  const type = response.headers.get('content-type') ?? '';
  if (id === undefined || response.status < 400 || !/^application\/json/i.test(type)) return response;
  const text = await response.text();
  const init = { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new Response(text, init);
  }
  if (!isIdlessError(body)) return new Response(text, init);
  init.headers.delete('content-length');
  return new Response(JSON.stringify({ ...body, id }), init);
}

function isIdlessError(body: unknown): body is Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const o = body as Record<string, unknown>;
  return o.jsonrpc === '2.0' && typeof o.error === 'object' && o.error !== null && o.id === null;
}

/**
 * LiteLLM 1.77 repeats `mcp-protocol-version` on upstream requests (BerriAI/litellm#14069), which
 * Node joins into "v, v" and the SDK then refuses: the same value repeated is that value. Values
 * that differ stay as they are, for the SDK to refuse.
 */
export function dedupeRepeated(value: string | string[] | undefined): string | string[] | undefined {
  if (value === undefined) return value;
  const values = (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim());
  return values.length > 1 && values.every((v) => v === values[0]) ? values[0] : value;
}
