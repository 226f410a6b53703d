// Real MCP servers of both protocol eras, in-process, for the probes' tests: the SDK v2 server modern-only
// (`legacy: 'reject'`) and dual-era (`legacy: 'stateless'`), both through @modelcontextprotocol/node's toNodeHandler,
// and the SDK 1.32.2 server (legacy, stateful sessions). Each logs the requests it was sent and what it answered.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { McpServer as LegacyMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import * as z from 'zod';

export type EraServerKind = 'modern_only' | 'dual' | 'legacy';

/** One request as the server saw it, and its answer's status. */
export interface EraRequest {
  method: string;
  /** The JSON-RPC method of a POST. */
  rpc?: string;
  protocolVersion?: string;
  mcpMethod?: string;
  status?: number;
}

export interface EraServer {
  kind: EraServerKind;
  /** The origin (a target's url); the MCP endpoint is at /mcp. */
  url: string;
  readonly requests: EraRequest[];
  /** Sessions the 1.32.2 server holds (ended by the client's DELETE). */
  readonly openSessions: number;
  /** Rewrites the Mcp-Method header of requests before the server reads them (a proxy that breaks them). */
  rewriteMcpMethod?: string;
  stop(): Promise<void>;
}

const TOOLS_TTL_MS = 60_000;

/** The v2 server of one request: an `echo` tool, tools/list cacheable for a minute by anyone. */
function v2Server(): McpServer {
  const s = new McpServer(
    { name: 'era-v2', version: '2.4.0' },
    { capabilities: { tools: {} }, cacheHints: { 'tools/list': { ttlMs: TOOLS_TTL_MS, cacheScope: 'public' } } },
  );
  s.registerTool('echo', { description: 'echo back', inputSchema: z.object({ text: z.string() }) }, ({ text }) =>
    Promise.resolve({ content: [{ type: 'text' as const, text }] }),
  );
  return s;
}

function v1Server(): LegacyMcpServer {
  const s = new LegacyMcpServer({ name: 'era-v1', version: '1.32.2' }, { capabilities: { tools: {} } });
  s.registerTool('echo', { description: 'echo back', inputSchema: { text: z.string() } }, ({ text }) =>
    Promise.resolve({ content: [{ type: 'text' as const, text }] }),
  );
  return s;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function rpcOf(body: Buffer): string | undefined {
  try {
    const m = (JSON.parse(body.toString('utf8')) as { method?: unknown }).method;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a server of `kind` on a free local port. */
export async function startEraServer(kind: EraServerKind): Promise<EraServer> {
  const requests: EraRequest[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const v2 =
    kind === 'legacy' ? undefined : createMcpHandler(v2Server, { legacy: kind === 'dual' ? 'stateless' : 'reject' });
  const node = v2 && toNodeHandler(v2);
  const server: EraServer = {
    kind,
    url: '',
    requests,
    get openSessions() {
      return sessions.size;
    },
    stop: async () => {
      http_.closeAllConnections();
      await new Promise<void>((r) => http_.close(() => r()));
      await v2?.close();
      for (const t of sessions.values()) await t.close();
    },
  };
  const legacy = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> => {
    const sid = req.headers['mcp-session-id'];
    let t = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!t) {
      if (sid !== undefined) return void res.writeHead(404).end();
      const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
        onsessionclosed: (id) => void sessions.delete(id),
      });
      await v1Server().connect(created);
      t = created;
    }
    let parsed: unknown;
    try {
      parsed = body.length ? JSON.parse(body.toString('utf8')) : undefined;
    } catch {
      parsed = undefined;
    }
    await t.handleRequest(req, res, parsed);
  };
  const http_ = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const rpc = rpcOf(body);
      const seen: EraRequest = {
        method: req.method ?? '?',
        ...(rpc && { rpc }),
        ...(typeof req.headers['mcp-protocol-version'] === 'string' && {
          protocolVersion: req.headers['mcp-protocol-version'],
        }),
        ...(typeof req.headers['mcp-method'] === 'string' && { mcpMethod: req.headers['mcp-method'] }),
      };
      requests.push(seen);
      res.on('finish', () => (seen.status = res.statusCode));
      if (server.rewriteMcpMethod && req.headers['mcp-method']) req.headers['mcp-method'] = server.rewriteMcpMethod;
      // The body was read: hand it on as the stream the handlers read.
      const replay = Object.assign(Object.create(req) as http.IncomingMessage, {
        async *[Symbol.asyncIterator]() {
          if (body.length) yield body;
        },
      });
      if (node) await node(replay, res);
      else await legacy(replay, res, body);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((r) => http_.listen(0, '127.0.0.1', r));
  server.url = `http://127.0.0.1:${(http_.address() as AddressInfo).port}`;
  return server;
}
