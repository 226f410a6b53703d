import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * A FAKE MCP gateway, for the faults a real LiteLLM cannot be made to show on demand (a server
 * that never answers, a stream cut in the middle of an event, a 50 MB answer, messages that are
 * not JSON-RPC, a gateway that does not enforce auth, a catalog that changes between runs,
 * paginated tools/list). The MCP side is the SDK's own server (streamable HTTP, stateful or
 * stateless, and the legacy SSE transport); the faults below the SDK are written with raw
 * node:http. Everything that real LiteLLM does is tested against real LiteLLM instead
 * (test/integration/mcp-probes-litellm.test.ts).
 */

export interface FakeTool {
  name: string;
  inputSchema?: Tool['inputSchema'];
  /**
   * Default: answers "ok". `closeStream` (a `resumable` gateway only) closes the request's SSE stream, as the SDK's
   * server does for SEP-1699 polling.
   */
  call?: (
    args: Record<string, unknown>,
    signal: AbortSignal,
    closeStream?: () => void,
  ) => Promise<CallToolResult> | CallToolResult;
}

export type Fault =
  /** Accept the request, read it, never answer. */
  | { kind: 'hang' }
  /** 200 text/event-stream, then the stream ends in the middle of an event. */
  | { kind: 'sse_cut' }
  /**
   * 200 text/event-stream with a notification and no answer, then a clean end and no event id: what a gateway
   * stopped during the request sends (LiteLLM 1.109+ under SIGTERM), by timing alone there.
   */
  | { kind: 'sse_end_unanswered' }
  /** 200 with `bytes` of body (JSON or one SSE event), sent as fast as the client reads. */
  | { kind: 'huge'; bytes: number; as: 'json' | 'sse' }
  /** 200 application/json with this text (not JSON-RPC, or not JSON at all). */
  | { kind: 'raw_json'; body: string }
  /** 200 text/event-stream with one event whose data is not JSON; the stream then stays open. */
  | { kind: 'bad_event' }
  /** Destroy the connection without an answer. */
  | { kind: 'reset' }
  /** Any status, body and headers. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /**
   * 200 text/event-stream with one priming event (`id:`, `retry:`, no data), then the stream ends: the client should
   * resume with a GET.
   */
  | { kind: 'close_after_priming'; retryMs: number };

export interface FaultRule {
  fault: Fault;
  /** JSON-RPC method of the POST that triggers it, or 'GET' (the stream / legacy SSE stream), or 'any'. */
  on: string;
}

export interface RequestLog {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rpc?: string;
}

export interface FakeMcpOptions {
  /** How the key is checked: 'enforce' (only `Bearer <key>`), 'any_bearer' (any `Bearer x`), 'none'. */
  auth?: 'enforce' | 'any_bearer' | 'none';
  key?: string;
  /** Like LiteLLM 1.77: no session ids, a new server per request. Default: stateful, like 1.108+. */
  stateless?: boolean;
  /** tools/list page size (nextCursor pagination); default all in one page. */
  pageSize?: number;
  mcpPath?: string;
  /**
   * Stateful sessions keep their events (the SDK's in-memory event store) and send a priming event
   * with this `retry:` on each request's stream, so a closed stream can be resumed with
   * Last-Event-ID on GET (what the SDK's own server does; protocol 2025-11-25).
   */
  resumable?: { retryMs: number };
}

export class FakeMcpGateway {
  tools: FakeTool[] = [];
  rules: FaultRule[] = [];
  /** JSON answers to GETs of other paths, as LiteLLM's own REST endpoints (`/v1/mcp/server`); else 404. */
  rest: Record<string, unknown> = {};
  readonly requests: RequestLog[] = [];
  sessionsOpened = 0;
  sessionsClosed = 0;
  /** Bytes of fault bodies written (to show the client stopped reading). */
  faultBytesWritten = 0;
  port = 0;
  private http: HttpServer | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Map<string, StreamableHTTPServerTransport>();
  private readonly sseSessions = new Map<string, SSEServerTransport>();
  private readonly hung = new Set<ServerResponse>();

  constructor(readonly opts: FakeMcpOptions = {}) {}

  get mcpPath(): string {
    return this.opts.mcpPath ?? '/mcp/';
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections currently open to the fake (the probe must not leave any behind). */
  get openConnections(): number {
    return this.sockets.size;
  }

  async start(): Promise<this> {
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake gateway bug: ${String(err)}`);
      });
    });
    this.http.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.http!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.sessions.values()) await t.close().catch(() => undefined);
    for (const t of this.sseSessions.values()) await t.close().catch(() => undefined);
    for (const s of this.sockets) s.destroy();
    if (this.http) await new Promise<void>((r) => this.http!.close(() => r()));
    this.http = undefined;
  }

  /** Forgets requests, faults and counters (tools and options stay). */
  reset(): void {
    this.rules = [];
    this.requests.length = 0;
    this.sessionsOpened = this.sessionsClosed = this.faultBytesWritten = 0;
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  /** Waits until no connection to the fake is open any more. */
  async waitForNoConnections(timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0) {
      if (Date.now() > deadline)
        throw new Error(`${this.sockets.size} connection(s) to the fake gateway still open after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private makeServer(): Server {
    const server = new Server({ name: 'fake-gateway', version: '0.0.1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, (req) => {
      const start = req.params?.cursor ? Number(req.params.cursor) : 0;
      const size = this.opts.pageSize ?? Math.max(1, this.tools.length);
      const page = this.tools.slice(start, start + size);
      const next = start + size < this.tools.length ? String(start + size) : undefined;
      return {
        tools: page.map((t) => ({ name: t.name, inputSchema: t.inputSchema ?? { type: 'object' } })),
        ...(next !== undefined && { nextCursor: next }),
      };
    });
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const tool = this.tools.find((t) => t.name === req.params.name);
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `Tool ${req.params.name} not found`);
      return tool.call
        ? await tool.call(req.params.arguments ?? {}, extra.signal, extra.closeSSEStream)
        : { content: [{ type: 'text', text: 'ok' }] };
    });
    return server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    let body: unknown;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    const rpc =
      typeof (body as { method?: unknown } | undefined)?.method === 'string'
        ? (body as { method: string }).method
        : undefined;
    this.requests.push({
      method: req.method ?? '?',
      url: url.pathname + url.search,
      headers: req.headers,
      ...(rpc && { rpc }),
    });

    if (!this.authorized(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      res.end('{"detail":"Authentication required"}');
      return;
    }
    const rule = this.rules.find((r) => r.on === 'any' || r.on === rpc || (r.on === 'GET' && req.method === 'GET'));
    if (rule) return this.fault(rule.fault, req, res, body);

    const base = this.mcpPath.replace(/\/$/, '');
    if (url.pathname === `${base}/sse` && req.method === 'GET') return this.legacySse(res);
    if (url.pathname === `${base}/sse/messages` && req.method === 'POST') {
      const t = this.sseSessions.get(url.searchParams.get('sessionId') ?? '');
      if (!t) return void res.writeHead(404).end('unknown session');
      return t.handlePostMessage(req, res, body);
    }
    if (req.method === 'GET' && Object.hasOwn(this.rest, url.pathname))
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(this.rest[url.pathname]));
    if (url.pathname !== this.mcpPath)
      return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');

    if (this.opts.stateless) {
      const server = this.makeServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void transport.close().then(() => server.close()));
      await server.connect(transport);
      return transport.handleRequest(req, res, body);
    }
    const sid = req.headers['mcp-session-id'];
    const existing = typeof sid === 'string' ? this.sessions.get(sid) : undefined;
    if (existing) return existing.handleRequest(req, res, body);
    if (rpc !== 'initialize') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}',
      );
      return;
    }
    const server = this.makeServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID().replace(/-/g, ''),
      ...(this.opts.resumable && { eventStore: new InMemoryEventStore(), retryInterval: this.opts.resumable.retryMs }),
      onsessioninitialized: (id) => {
        this.sessionsOpened++;
        this.sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        this.sessionsClosed++;
        this.sessions.delete(id);
      },
    });
    await server.connect(transport);
    return transport.handleRequest(req, res, body);
  }

  private authorized(header: string | undefined): boolean {
    switch (this.opts.auth ?? 'enforce') {
      case 'none':
        return true;
      case 'any_bearer':
        return /^Bearer \S+/.test(header ?? '');
      case 'enforce':
        return header === `Bearer ${this.opts.key ?? ''}`;
    }
  }

  private async legacySse(res: ServerResponse): Promise<void> {
    const transport = new SSEServerTransport(`${this.mcpPath}sse/messages`, res);
    this.sseSessions.set(transport.sessionId, transport);
    this.sessionsOpened++;
    transport.onclose = () => {
      this.sessionsClosed++;
      this.sseSessions.delete(transport.sessionId);
    };
    await this.makeServer().connect(transport);
  }

  private async fault(fault: Fault, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const id = (body as { id?: unknown } | undefined)?.id ?? 0;
    switch (fault.kind) {
      case 'hang':
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? '');
        return;
      case 'raw_json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(fault.body);
        return;
      case 'close_after_priming':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`id: fault-priming-1\nretry: ${fault.retryMs}\ndata: \n\n`);
        return;
      case 'sse_cut':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          `event: message\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"protocolVersion":"2025-06-18","capab`,
        );
        res.end();
        return;
      case 'sse_end_unanswered':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(
          'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}\n\n',
        );
        return;
      case 'bad_event':
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: message\ndata: this is not JSON-RPC\n\n');
        return;
      case 'huge': {
        const sse = fault.as === 'sse';
        res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json' });
        const head = `${sse ? 'event: message\ndata: ' : ''}{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"padding":"`;
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let closed = false;
        res.on('close', () => (closed = true));
        res.write(head);
        let wake: (() => void) | undefined;
        res.on('drain', () => wake?.());
        res.on('close', () => wake?.());
        let written = 0;
        while (!closed && written < fault.bytes) {
          written += chunk.length;
          this.faultBytesWritten += chunk.length;
          if (!res.write(chunk)) await new Promise<void>((r) => (wake = r));
        }
        if (!closed) res.end(`"}}${sse ? '\n\n' : ''}`);
        return;
      }
    }
  }
}

/** `n` tools named `${prefix}-tool_${i}` with a one-property schema. */
export function makeTools(prefix: string, n: number): FakeTool[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `${prefix}-tool_${String(i).padStart(2, '0')}`,
    inputSchema: { type: 'object' as const, properties: { x: { type: 'string' } } },
  }));
}
