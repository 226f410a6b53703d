// Real MCP servers of both protocol eras, in-process, for the probes' tests: the SDK v2 server modern-only
// (`legacy: 'reject'`) and dual-era (`legacy: 'stateless'`), both through @modelcontextprotocol/node's toNodeHandler,
// and the SDK 1.32.2 server (legacy, stateful sessions). Each logs the requests it was sent and what it answered.
// Optionally an OAuth-protected resource (`bearer`): the SDK v2 server's bearer check in front of either era; and
// LiteLLM's own REST view of its MCP servers beside /mcp (`gatewayRoutes`).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  bearerAuthChallengeResponse,
  createMcpHandler,
  getOAuthProtectedResourceMetadataUrl,
  McpServer,
  OAuthError,
  OAuthErrorCode,
  oauthMetadataResponse,
  verifyBearerToken,
  type AuthInfo,
  type OAuthMetadata,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import { McpServer as LegacyMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import * as z from 'zod';

export type EraServerKind = 'modern_only' | 'dual' | 'legacy';

/** One request as the server saw it, and its answer's status. */
export interface EraRequest {
  method: string;
  /** The URL's path (without the query). */
  path?: string;
  /** The JSON-RPC method of a POST. */
  rpc?: string;
  protocolVersion?: string;
  mcpMethod?: string;
  status?: number;
  /** With `bearer`: whether the request's bearer token was accepted (`none`: it had no Authorization). */
  bearer?: 'none' | 'accepted' | 'refused';
}

/** What startEraServer can put in front of the MCP endpoint. */
export interface EraServerOptions {
  /**
   * An OAuth-protected resource, as an MCP server behind SSO is (MCP authorization, RFC 9728): every request to /mcp
   * needs `Authorization: Bearer <token>` that `verifier` accepts (the SDK v2 server's verifyBearerToken); any other
   * is answered 401 with `WWW-Authenticate: Bearer error="invalid_token", …, resource_metadata="…"`
   * (bearerAuthChallengeResponse), and the protected resource metadata naming `authorizationServer`'s issuer is
   * served at /.well-known/oauth-protected-resource/mcp (oauthMetadataResponse). Either era: the check is in front.
   */
  bearer?: { verifier: OAuthTokenVerifier; authorizationServer: OAuthMetadata };
  /**
   * With `bearer`: `server/discover` answered without a token (a 2026-07-28 server that leaves its discovery open and
   * guards only the requests that do something, which the spec allows), every other request still checked.
   */
  openDiscover?: boolean;
  /**
   * LiteLLM's own view of its MCP servers beside /mcp, in the shapes LiteLLM 1.110.2 answers (as 1.109.1 does):
   * `GET /v1/mcp/server` (`[{server_id, server_name, alias, transport, command, env, status, …}]`) and
   * `GET /v1/mcp/server/health` (`[{server_id, status}]`), behind `bearer` when it is set (LiteLLM asks for the key).
   * The MCP endpoint then lists tools as LiteLLM does, prefixed by their server: `<name>-echo` for each server that
   * lists (`listsTools`), instead of `echo`.
   */
  gatewayRoutes?: readonly GatewayServer[];
}

/** One MCP server as LiteLLM's REST endpoints show it (`gatewayRoutes`). */
export interface GatewayServer {
  /** Its server_id (LiteLLM's uuid). */
  id: string;
  /** Its server_name, which prefixes its tools. */
  name: string;
  /** What /v1/mcp/server/health says of it. */
  status: 'healthy' | 'unhealthy' | 'unknown';
  /** Whether its tool is in the MCP catalog (false: it lists nothing, as a server down behind LiteLLM). */
  listsTools: boolean;
  /** Its env as /v1/mcp/server lists it, in clear (LiteLLM does): what a reader must never keep or show. */
  env?: Record<string, string>;
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

/** The v2 server of one request: an `echo` tool (or `tools`, each an echo), tools/list cacheable a minute by anyone. */
function v2Server(tools: readonly string[] = ['echo']): McpServer {
  const s = new McpServer(
    { name: 'era-v2', version: '2.4.0' },
    { capabilities: { tools: {} }, cacheHints: { 'tools/list': { ttlMs: TOOLS_TTL_MS, cacheScope: 'public' } } },
  );
  for (const tool of tools)
    s.registerTool(tool, { description: 'echo back', inputSchema: z.object({ text: z.string() }) }, ({ text }) =>
      Promise.resolve({ content: [{ type: 'text' as const, text }] }),
    );
  return s;
}

function v1Server(tools: readonly string[] = ['echo']): LegacyMcpServer {
  const s = new LegacyMcpServer({ name: 'era-v1', version: '1.32.2' }, { capabilities: { tools: {} } });
  for (const tool of tools)
    s.registerTool(tool, { description: 'echo back', inputSchema: { text: z.string() } }, ({ text }) =>
      Promise.resolve({ content: [{ type: 'text' as const, text }] }),
    );
  return s;
}

/** LiteLLM 1.110.2's answers to GET /v1/mcp/server and /v1/mcp/server/health, by path. */
function gatewayAnswers(servers: readonly GatewayServer[]): Record<string, unknown> {
  const checked = new Date().toISOString();
  return {
    '/v1/mcp/server': servers.map((s) => ({
      server_id: s.id,
      is_config: true,
      server_name: s.name,
      alias: s.name,
      description: null,
      url: null,
      transport: 'stdio',
      auth_type: null,
      teams: [],
      mcp_access_groups: [],
      allowed_tools: [],
      extra_headers: [],
      status: s.status,
      last_health_check: checked,
      health_check_error: s.status === 'healthy' ? null : 'health check failed',
      command: 'npx',
      args: ['-y', `@example/${s.name}`],
      env: s.env ?? {},
      allow_all_keys: false,
      approval_status: 'active',
    })),
    '/v1/mcp/server/health': servers.map((s) => ({ server_id: s.id, status: s.status })),
  };
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

/**
 * An OAuth 2.0 token introspection (RFC 7662) verifier: the authorization server that issued the token says whether it
 * is active, for whom, with which scopes and until when. The introspecting client authenticates with its secret
 * (client_secret_basic).
 */
export function introspectionVerifier(o: {
  introspectionUrl: string;
  clientId: string;
  clientSecret: string;
}): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const basic = Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`);
      const res = await fetch(o.introspectionUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic.toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(15_000),
      });
      if (!res.ok) throw new OAuthError(OAuthErrorCode.ServerError, `introspection: HTTP ${res.status}`);
      const t = (await res.json()) as {
        active?: boolean;
        client_id?: string;
        azp?: string;
        scope?: string;
        exp?: number;
      };
      if (t.active !== true) throw new OAuthError(OAuthErrorCode.InvalidToken, 'the token is not active');
      return {
        token,
        clientId: t.client_id ?? t.azp ?? '',
        scopes: (t.scope ?? '').split(' ').filter(Boolean),
        ...(typeof t.exp === 'number' && { expiresAt: t.exp }),
      };
    },
  };
}

/** Writes a web-standard Response (the SDK's bearer and metadata answers) to a node response. */
async function sendResponse(res: http.ServerResponse, r: Response): Promise<void> {
  res.writeHead(r.status, Object.fromEntries(r.headers));
  res.end(Buffer.from(await r.arrayBuffer()));
}

/** Starts a server of `kind` on a free local port. */
export async function startEraServer(kind: EraServerKind, opts: EraServerOptions = {}): Promise<EraServer> {
  const requests: EraRequest[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const routes = opts.gatewayRoutes && gatewayAnswers(opts.gatewayRoutes);
  const tools = opts.gatewayRoutes?.filter((s) => s.listsTools).map((s) => `${s.name}-echo`) ?? ['echo'];
  const v2 =
    kind === 'legacy'
      ? undefined
      : createMcpHandler(() => v2Server(tools), { legacy: kind === 'dual' ? 'stateless' : 'reject' });
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
      await v1Server(tools).connect(created);
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
        path: new URL(req.url ?? '/', 'http://x').pathname,
        ...(rpc && { rpc }),
        ...(typeof req.headers['mcp-protocol-version'] === 'string' && {
          protocolVersion: req.headers['mcp-protocol-version'],
        }),
        ...(typeof req.headers['mcp-method'] === 'string' && { mcpMethod: req.headers['mcp-method'] }),
      };
      requests.push(seen);
      res.on('finish', () => (seen.status = res.statusCode));
      if (opts.bearer && !(opts.openDiscover && rpc === 'server/discover')) {
        const { verifier, authorizationServer } = opts.bearer;
        const resourceServerUrl = new URL(`${server.url}/mcp`);
        const url = new URL(req.url ?? '/', server.url);
        const doc = oauthMetadataResponse(new Request(url, { method: req.method ?? 'GET' }), {
          oauthMetadata: authorizationServer,
          resourceServerUrl,
        });
        if (doc) return sendResponse(res, doc);
        const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(resourceServerUrl);
        try {
          await verifyBearerToken(req.headers.authorization, { verifier, resourceMetadataUrl });
          seen.bearer = 'accepted';
        } catch (err) {
          seen.bearer = req.headers.authorization === undefined ? 'none' : 'refused';
          return sendResponse(res, bearerAuthChallengeResponse(err, { resourceMetadataUrl }));
        }
      }
      const answer = req.method === 'GET' && routes ? routes[seen.path!] : undefined;
      if (answer !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(answer));
      }
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
