import { timingSafeEqual } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyPluginAsync } from 'fastify';
import type { MonitoringSource } from '../../mcp-tools/port.js';
import { RunRateLimiter } from '../../mcp-tools/rate-limit.js';
import { createMonitoringServer } from '../../mcp-tools/tools.js';
import type { Logger } from '../../util/logger.js';

export interface McpRouteDeps {
  source: MonitoringSource;
  /** Current token (read per request, so a reload applies); undefined: no auth. Null: endpoint off. */
  token: () => string | undefined | null;
  logger: Logger;
}

/**
 * `/mcp`: mcpwatch's own MCP endpoint, streamable HTTP, stateless (a server and a transport per
 * request, as the SDK's stateless example does): nothing to clean up, nothing to leak between clients.
 */
export const mcpRoutes: FastifyPluginAsync<McpRouteDeps> = async (app, deps) => {
  const limiter = new RunRateLimiter();
  const handler = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply): Promise<void> => {
    const token = deps.token();
    if (token === null) {
      await reply.code(404).send({ error: 'the MCP endpoint is disabled (mcpServer.enabled: false)' });
      return;
    }
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="mcpwatch"')
        .send({ jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized: send Authorization: Bearer <mcpServer.token>' }, id: null });
      return;
    }
    if (req.method !== 'POST') {
      // Stateless: no standalone SSE stream (GET) and no session to delete.
      await reply.code(405).header('allow', 'POST').send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: POST JSON-RPC messages to /mcp' }, id: null });
      return;
    }
    // LiteLLM 1.77 repeats mcp-protocol-version on upstream requests (BerriAI/litellm#14069), which
    // Node joins into "v, v" and the SDK then refuses (400): take the first value.
    dedupeHeader(req.raw, 'mcp-protocol-version');
    const server = createMonitoringServer(deps.source, limiter);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req.raw, reply.raw, req.body);
    } catch (err) {
      deps.logger.error({ err }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }));
      }
    }
  };
  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/mcp', handler });
  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/mcp/', handler });
};

/** Keeps the first of repeated `name` headers, in both header views the SDK may read. */
function dedupeHeader(req: import('node:http').IncomingMessage, name: string): void {
  const v = req.headers[name];
  if (typeof v === 'string' && v.includes(',')) req.headers[name] = v.split(',')[0]!.trim();
  let seen = false;
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name) {
      if (seen) continue;
      seen = true;
    }
    raw.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  req.rawHeaders.splice(0, req.rawHeaders.length, ...raw);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
