import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { MonitoringSource } from '../../mcp-tools/port.js';
import { RunRateLimiter } from '../../mcp-tools/rate-limit.js';
import { bodyTooLarge, invalidParams, readJsonRpcBody, type RejectedBody } from '../../mcp-tools/requests.js';
import { createMonitoringServer } from '../../mcp-tools/tools.js';
import type { Logger } from '../../util/logger.js';
import { holdOpenWhileAnswering } from '../hold-open.js';
import { refuseMcpRequest } from '../mcp-access.js';
import type { McpAccess } from '../ports.js';

/** Largest JSON-RPC body `/mcp` reads. */
export const MCP_BODY_LIMIT = 1024 * 1024;

export interface McpRouteDeps {
  source: MonitoringSource;
  /** The access rules, read per request (so a reload applies); null: the endpoint is off. */
  access: () => McpAccess | null;
  logger: Logger;
  connectionTimeoutMs?: number;
}

/**
 * `/mcp`: mcpwatch's own MCP endpoint, streamable HTTP, stateless (a server and a transport per
 * request, as the SDK's stateless example does): nothing to clean up, nothing to leak between clients.
 * This plugin is encapsulated: its body parser, hook and error handler apply to `/mcp` only, so
 * everything it answers is JSON-RPC.
 */
export const mcpRoutes: FastifyPluginAsync<McpRouteDeps> = async (app, deps) => {
  const limiter = new RunRateLimiter();

  // The body as bytes, whatever its type: readJsonRpcBody turns what is not JSON-RPC into a
  // JSON-RPC error, and the SDK answers a wrong Content-Type (415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MCP_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );
  app.setErrorHandler(answerError);
  // Before the body is read: who may ask (DNS-rebinding protection, token), and how.
  app.addHook('onRequest', async (req, reply) => refuseEarly(req, reply, deps.access()));

  const handler = (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> =>
    answerMcp(req, reply, deps, limiter);
  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/mcp', handler });
  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/mcp/', handler });
};

function answerError(
  err: { statusCode?: number; code?: string; message: string },
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const status = err.statusCode ?? 500;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, bodyTooLarge(MCP_BODY_LIMIT));
  if (status >= 400 && status < 500)
    return sendError(reply, { status: 400, code: -32600, message: `Invalid Request: ${err.message}` });
  req.log.error({ err }, 'MCP request failed');
  return reply.code(500).send({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
}

/** Answers a request that may not use the endpoint, or not this way; undefined lets it through. */
function refuseEarly(req: FastifyRequest, reply: FastifyReply, access: McpAccess | null): FastifyReply | undefined {
  const refusal = refuseMcpRequest(access, req.headers);
  if (refusal?.status === 404) return reply.code(404).send({ error: refusal.message });
  if (refusal) {
    if (refusal.status === 403)
      req.log.warn(
        { origin: req.headers.origin, host: req.headers.host },
        'MCP request refused: Origin or Host not allowed',
      );
    if (refusal.status === 401) void reply.header('www-authenticate', 'Bearer realm="mcpwatch"');
    return reply
      .code(refusal.status)
      .send({ jsonrpc: '2.0', error: { code: -32001, message: refusal.message }, id: null });
  }
  if (req.method !== 'POST') {
    // Stateless: no standalone SSE stream (GET) and no session to delete.
    return reply
      .code(405)
      .header('allow', 'POST')
      .send({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Method not allowed: POST JSON-RPC messages to /mcp' },
        id: null,
      });
  }
  return undefined;
}

/** A JSON-RPC message (or batch) to the monitoring tools: a server and a transport for this request alone. */
async function answerMcp(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: McpRouteDeps,
  limiter: RunRateLimiter,
): Promise<FastifyReply | undefined> {
  let body: unknown = null; // not JSON: the SDK answers 415 before it reads a body
  if (isJsonType(req.headers['content-type'])) {
    const read = readJsonRpcBody(req.body as Buffer | undefined);
    if (!read.ok) return sendError(reply, read.rejected);
    body = read.message;
  }
  // LiteLLM 1.77 repeats mcp-protocol-version on upstream requests (BerriAI/litellm#14069), which
  // Node joins into "v, v" and the SDK then refuses (400): take the first value.
  dedupeHeader(req.raw, 'mcp-protocol-version');
  const server = createMonitoringServer(deps.source, limiter);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  reply.hijack();
  // run_probe answers when its run ends, which may take longer than the idle timeout.
  holdOpenWhileAnswering(req, reply, deps.connectionTimeoutMs);
  reply.raw.on('close', () => {
    void transport.close();
    void server.close();
  });
  try {
    await server.connect(transport);
    answerInvalidParams(transport);
    await transport.handleRequest(req.raw, reply.raw, body);
  } catch (err) {
    deps.logger.error({ err }, 'MCP request failed');
    if (!reply.raw.headersSent) {
      reply.raw.writeHead(500, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }));
    }
  }
  return undefined;
}

/**
 * Params that do not fit the method are -32602, answered through the transport like any response
 * (the SDK would call them -32603, an internal error).
 */
function answerInvalidParams(transport: StreamableHTTPServerTransport): void {
  const deliver = transport.onmessage!;
  transport.onmessage = (message, extra) => {
    const bad = isJSONRPCRequest(message) ? invalidParams(message) : undefined;
    if (bad) void transport.send({ jsonrpc: '2.0', id: (message as { id: string | number }).id, error: bad });
    else deliver(message, extra);
  };
}

function sendError(reply: FastifyReply, r: RejectedBody): FastifyReply {
  return reply.code(r.status).send({ jsonrpc: '2.0', error: { code: r.code, message: r.message }, id: null });
}

function isJsonType(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType?.trim() ?? '');
}

/**
 * Keeps the first of repeated `name` headers, in both header views the SDK may read: two header
 * lines (Node joins them with ", " in `headers`), or one line that already holds "v, v".
 */
function dedupeHeader(req: import('node:http').IncomingMessage, name: string): void {
  const first = (v: string): string => v.split(',')[0]!.trim();
  const v = req.headers[name];
  if (typeof v === 'string' && v.includes(',')) req.headers[name] = first(v);
  let seen = false;
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const isName = req.rawHeaders[i]!.toLowerCase() === name;
    if (isName && seen) continue;
    seen ||= isName;
    raw.push(req.rawHeaders[i]!, isName ? first(req.rawHeaders[i + 1]!) : req.rawHeaders[i + 1]!);
  }
  req.rawHeaders.splice(0, req.rawHeaders.length, ...raw);
}
