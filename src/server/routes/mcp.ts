import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import type { MonitoringSource } from '../../mcp-tools/port.js';
import { RunRateLimiter } from '../../mcp-tools/rate-limit.js';
import { batchRefused, bodyFacts, bodyTooLarge, type RejectedBody, type RequestId } from '../../mcp-tools/requests.js';
import type { Logger } from '../../util/logger.js';
import { holdOpenWhileAnswering } from '../hold-open.js';
import { refuseMcpRequest } from '../mcp-access.js';
import { dedupeRepeated, monitoringHandler, nodeHandlerFor, nodeRequest } from '../mcp-handler.js';
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
 * `/mcp`: mcpwatch's own MCP endpoint, streamable HTTP, stateless on both protocol eras (the SDK's
 * handler: mcp-handler.ts). mcpwatch's part is who may ask (the token; Origin and Host are checked for
 * every route before this: web-guard.ts), the body limit, refusing batches, and naming the request's id
 * in every error. This plugin is encapsulated: its body parser and error handler apply to `/mcp` only, so
 * everything it answers is JSON-RPC.
 */
export const mcpRoutes: FastifyPluginAsync<McpRouteDeps> = async (app, deps) => {
  const mcp = monitoringHandler(deps.source, new RunRateLimiter(), deps.logger);
  app.addHook('onClose', async () => mcp.close());

  // The body as bytes, whatever its type: the SDK reads it (and answers a wrong Content-Type, 415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MCP_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((err: FastifyError, req, reply) => answerError(err, req, reply, deps.access()));

  const handler = (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> =>
    answerMcp(req, reply, { mcp, deps });
  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/mcp', handler });
  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/mcp/', handler });
};

type FastifyError = { statusCode?: number; code?: string; message: string };

/** A request fastify could not read (a body over the limit): who may ask first, then why. */
function answerError(
  err: FastifyError,
  req: FastifyRequest,
  reply: FastifyReply,
  access: McpAccess | null,
): FastifyReply {
  const refused = refuse(req, reply, access, undefined);
  if (refused) return refused;
  const status = err.statusCode ?? 500;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, bodyTooLarge(MCP_BODY_LIMIT), undefined);
  if (status >= 400 && status < 500)
    return sendError(reply, { status: 400, code: -32600, message: `Invalid Request: ${err.message}` }, undefined);
  req.log.error({ err }, 'MCP request failed');
  return reply.code(500).send({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
}

/** Answers a request that may not use the endpoint (404, 401); undefined lets it through. */
function refuse(
  req: FastifyRequest,
  reply: FastifyReply,
  access: McpAccess | null,
  id: RequestId | undefined,
): FastifyReply | undefined {
  const refusal = refuseMcpRequest(access, req.headers);
  if (!refusal) return undefined;
  if (refusal.status === 404) return reply.code(404).send({ error: refusal.message });
  void reply.header('www-authenticate', 'Bearer realm="mcpwatch"');
  return reply
    .code(refusal.status)
    .send({ jsonrpc: '2.0', error: { code: -32001, message: refusal.message }, id: id ?? null });
}

/** A request to the monitoring tools, once its body is read: ours to refuse, else the SDK's to answer. */
async function answerMcp(
  req: FastifyRequest,
  reply: FastifyReply,
  { mcp, deps }: { mcp: McpHttpHandler; deps: McpRouteDeps },
): Promise<FastifyReply | undefined> {
  const body = req.body as Buffer | undefined;
  const { id, batch } = bodyFacts(body);
  const refused = refuse(req, reply, deps.access(), id);
  if (refused) return refused;
  if (batch) return sendError(reply, batchRefused(), undefined);
  const version = dedupeRepeated(req.raw.headers['mcp-protocol-version']);
  if (version !== undefined) req.raw.headers['mcp-protocol-version'] = version;
  reply.hijack();
  // run_probe answers when its run ends, which may take longer than the idle timeout.
  holdOpenWhileAnswering(req, reply, deps.connectionTimeoutMs);
  await nodeHandlerFor(mcp, id, deps.logger)(nodeRequest(req.raw, body), reply.raw);
  return undefined;
}

function sendError(reply: FastifyReply, r: RejectedBody, id: RequestId | undefined): FastifyReply {
  return reply.code(r.status).send({ jsonrpc: '2.0', error: { code: r.code, message: r.message }, id: id ?? null });
}
