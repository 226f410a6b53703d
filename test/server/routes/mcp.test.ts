import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  appOnFakePort,
  BEARER_TOKEN,
  healthReport,
  INIT_PARAMS,
  MCP_HEADERS,
  MCP_TOKEN,
  message,
  SK_KEY,
  TOOL_NAMES,
  toolAnswer,
  WRONG_AUTHORIZATIONS,
} from '../../support/fake-agent-port.js';

// /mcp over HTTP: who may use it, how a request is read, how the SDK's handler answers both protocol
// eras (2025 `initialize`, stateless; 2026-07-28 server/discover and its per-request envelope). What
// the tools answer is in test/mcp-tools/tools.test.ts, what is read of a body in
// test/mcp-tools/requests.test.ts.

/** The 2026-07-28 per-request envelope (`params._meta`). */
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('/mcp', () => {
  const served = appOnFakePort();

  function rpc(
    method: string,
    params: Record<string, unknown>,
    id = 1,
    headers: Record<string, string | string[]> = {},
  ): Promise<LightMyRequestResponse> {
    return served.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { ...MCP_HEADERS, ...headers },
      payload: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    });
  }

  it('answers 404 when the endpoint is off (token null)', async () => {
    served.port.token = null;
    const res = await rpc('initialize', INIT_PARAMS);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: 'the MCP endpoint is disabled (mcpServer.enabled: false, or no mcpServer.token / tokenFile)',
    });
    expect((await served.app.inject({ method: 'GET', url: '/mcp' })).statusCode).toBe(404);
  });

  it.each(WRONG_AUTHORIZATIONS)('answers 401 with www-authenticate for %s', async (_what, authorization) => {
    served.port.token = MCP_TOKEN;
    const res = await rpc('initialize', INIT_PARAMS, 1, authorization === undefined ? {} : { authorization });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="mcpwatch"');
    // The error names the request it refuses.
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 }, id: 1 });
    expect(res.body).not.toContain(MCP_TOKEN);
  });

  it('checks the token before the method (a GET without the token is 401)', async () => {
    served.port.token = MCP_TOKEN;
    const res = await served.app.inject({ method: 'GET', url: '/mcp' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: -32001 }, id: null });
  });

  it('reads the token per request', async () => {
    served.port.token = MCP_TOKEN;
    expect((await rpc('initialize', INIT_PARAMS, 1, { authorization: `Bearer ${MCP_TOKEN}` })).statusCode).toBe(200);
    served.port.token = 'another-token-after-reload';
    expect((await rpc('initialize', INIT_PARAMS, 1, { authorization: `Bearer ${MCP_TOKEN}` })).statusCode).toBe(401);
    served.port.token = null;
    expect((await rpc('initialize', INIT_PARAMS, 1, { authorization: `Bearer ${MCP_TOKEN}` })).statusCode).toBe(404);
  });

  it.each(['GET', 'DELETE'] as const)('answers %s with 405 and allow: POST (stateless)', async (method) => {
    served.port.token = undefined;
    const res = await served.app.inject({ method, url: '/mcp', headers: { accept: 'text/event-stream' } });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
  });

  it('answers initialize as mcpwatch (no auth)', async () => {
    served.port.token = undefined;
    const res = await rpc('initialize', INIT_PARAMS);
    expect(res.statusCode).toBe(200);
    const msg = message(res);
    expect(msg.id).toBe(1);
    expect(msg.error).toBeUndefined();
    expect(msg.result.serverInfo.name).toBe('mcpwatch');
    expect(msg.result.protocolVersion).toBe('2025-06-18');
    // A stateless endpoint cannot send notifications/tools/list_changed: it must not promise it.
    expect(msg.result.capabilities).toEqual({ tools: { listChanged: false } });
    // Stateless: no session handed out.
    expect(res.headers['mcp-session-id']).toBeUndefined();
  });

  it('answers initialize with the right token, also on /mcp/', async () => {
    served.port.token = MCP_TOKEN;
    const res = await served.app.inject({
      method: 'POST',
      url: '/mcp/',
      headers: { ...MCP_HEADERS, authorization: `Bearer ${MCP_TOKEN}` },
      payload: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'initialize', params: INIT_PARAMS }),
    });
    expect(res.statusCode).toBe(200);
    const msg = message(res);
    expect(msg.id).toBe(7);
    expect(msg.result.serverInfo.name).toBe('mcpwatch');
  });

  it('takes the first of repeated mcp-protocol-version headers (LiteLLM 1.77)', async () => {
    served.port.token = undefined;
    // Two header lines, as LiteLLM sends them (Node joins them into "v, v" in req.headers).
    const res = await rpc('tools/list', {}, 2, { 'mcp-protocol-version': ['2025-06-18', '2025-06-18'] });
    expect(res.statusCode).toBe(200);
    expect(message(res).result.tools.length).toBe(6);
  });

  it('takes the first value of one mcp-protocol-version line that repeats it', async () => {
    served.port.token = undefined;
    const res = await rpc('tools/list', {}, 2, { 'mcp-protocol-version': '2025-06-18, 2025-06-18' });
    expect(res.statusCode).toBe(200);
    expect(message(res).result.tools.length).toBe(6);
  });

  it('refuses repeated mcp-protocol-version values that differ (400, the SDK), naming the request', async () => {
    served.port.token = undefined;
    const res = await rpc('tools/list', {}, 2, { 'mcp-protocol-version': '2025-06-18, 2025-03-26' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: 2 });
  });

  // The Origin and Host rules themselves are the whole server's (test/server/web-guard.test.ts); here, how /mcp
  // answers a request they refuse.
  describe('DNS-rebinding protection (Origin, Host), as every route has it', () => {
    it.each([
      ['initialize', INIT_PARAMS],
      ['tools/call', { name: 'run_probe', arguments: { name: 'gw-live' } }],
    ] as const)('answers 403 to %s from an Origin that is not allowed, and runs nothing', async (method, params) => {
      served.port.token = undefined;
      const res = await rpc(method, params, 1, { origin: 'http://evil.example.com', host: 'evil.example.com' });
      expect(res.statusCode).toBe(403);
      // In JSON-RPC, with no id: the body of a refused request is not read.
      expect(res.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32001, message: 'Forbidden: Origin "http://evil.example.com" is not in web.allowedOrigins' },
        id: null,
      });
      expect(served.port.runs).toEqual([]);
    });

    it('refuses an Origin while none is allowed; requests without one (every non-browser client) pass', async () => {
      served.port.token = undefined;
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://127.0.0.1:9464' })).statusCode).toBe(403);
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'null' })).statusCode).toBe(403);
      expect((await rpc('initialize', INIT_PARAMS)).statusCode).toBe(200);
      served.port.allowedOrigins = ['http://127.0.0.1:9464'];
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://127.0.0.1:9464' })).statusCode).toBe(200);
    });

    it('refuses a Host that allowedHosts does not list', async () => {
      served.port.token = undefined;
      expect((await rpc('initialize', INIT_PARAMS, 1, { host: 'evil.example.com' })).statusCode).toBe(200);
      served.port.allowedHosts = ['mcpwatch.example.com'];
      const evil = await rpc('initialize', INIT_PARAMS, 1, { host: 'evil.example.com:9464' });
      expect(evil.statusCode).toBe(403);
      expect(evil.json().error.message).toBe('Forbidden: Host "evil.example.com:9464" is not in web.allowedHosts');
      expect((await rpc('initialize', INIT_PARAMS, 1, { host: 'mcpwatch.example.com:9464' })).statusCode).toBe(200);
    });

    it('refuses a foreign Origin before asking for the token (403, not 401), and on GET too', async () => {
      served.port.token = MCP_TOKEN;
      const res = await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://evil.example.com' });
      expect(res.statusCode).toBe(403);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(
        (await served.app.inject({ method: 'GET', url: '/mcp', headers: { origin: 'http://evil.example.com' } }))
          .statusCode,
      ).toBe(403);
      // An allowed Origin still needs the token.
      served.port.allowedOrigins = ['http://localhost:9464'];
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://localhost:9464' })).statusCode).toBe(401);
      expect(
        (
          await rpc('initialize', INIT_PARAMS, 1, {
            origin: 'http://localhost:9464',
            authorization: `Bearer ${MCP_TOKEN}`,
          })
        ).statusCode,
      ).toBe(200);
    });

    it('refuses a foreign Origin on /mcp/ and while the endpoint is off too (a page learns nothing)', async () => {
      served.port.token = null;
      const off = await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://evil.example.com' });
      expect(off.statusCode).toBe(403);
      const slash = await served.app.inject({
        method: 'POST',
        url: '/mcp/',
        headers: { ...MCP_HEADERS, origin: 'http://evil.example.com' },
        payload: '{}',
      });
      expect(slash.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 }, id: null });
    });
  });

  describe("what is not JSON-RPC gets a JSON-RPC error (the SDK's), with the request's id when it had one", () => {
    const post = (payload: string | Buffer, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
      served.app.inject({ method: 'POST', url: '/mcp', headers: { ...MCP_HEADERS, ...headers }, payload });

    it.each([
      ['malformed JSON', '{"jsonrpc":"2.0","id":1,"method":', -32700, 'Parse error: Invalid JSON', null],
      ['an empty body', '', -32700, 'Parse error: Invalid JSON', null],
      ['a number', '42', -32600, 'Bad Request: the request body is not a valid JSON-RPC message', null],
      [
        'a message without "jsonrpc"',
        '{"id":4,"method":"ping"}',
        -32600,
        'Bad Request: the request body is not a valid JSON-RPC message',
        4,
      ],
      [
        'an empty batch',
        '[]',
        -32600,
        'Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18): send one message',
        null,
      ],
    ])('%s: HTTP 400 and a JSON-RPC error', async (_what, payload, code, text, id) => {
      served.port.token = undefined;
      const res = await post(payload);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual({ jsonrpc: '2.0', error: { code, message: text }, id });
    });

    it('a body over 1 MiB: HTTP 413, -32600', async () => {
      served.port.token = undefined;
      const big = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'get_health', arguments: { pad: 'x'.repeat(1.1 * 1024 * 1024) } },
      });
      const res = await post(big);
      expect(res.statusCode).toBe(413);
      expect(res.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32600, message: 'Invalid Request: the body is larger than 1024 KiB' },
        id: null,
      });
      // Who may ask comes first, even for a body too large to read.
      served.port.token = MCP_TOKEN;
      expect((await post(big)).statusCode).toBe(401);
    });

    it('does not echo the body in a parse error (it may hold a key)', async () => {
      served.port.token = undefined;
      const res = await post('{"jsonrpc":"2.0","auth":"sk-secret-0123456789abcdef"');
      expect(res.statusCode).toBe(400);
      expect(res.body).not.toContain('sk-secret');
    });

    it('a wrong Content-Type: 415 from the SDK, as JSON-RPC with the id', async () => {
      served.port.token = undefined;
      const res = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'content-type': 'text/plain' });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' },
        id: 1,
      });
    });

    it('a legacy request that does not accept SSE: 406 from the SDK, with the id', async () => {
      served.port.token = undefined;
      const res = await post('{"jsonrpc":"2.0","id":"a-7","method":"ping"}', { accept: 'application/json' });
      expect(res.statusCode).toBe(406);
      expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: 'a-7' });
    });

    it('params that do not fit the method: -32602 Invalid params for that id, HTTP 200', async () => {
      served.port.token = undefined;
      const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call' }));
      expect(res.statusCode).toBe(200);
      const msg = message(res);
      expect(msg).toMatchObject({ jsonrpc: '2.0', id: 5, error: { code: -32602 } });
      expect(msg.error!.message).toMatch(/^Invalid tools\/call request: .*expected object, received undefined/s);
    });

    it.each([
      [
        'legacy',
        [
          { jsonrpc: '2.0', id: 1, method: 'ping' },
          { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        ],
      ],
      ['2026-07-28', [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } }]],
    ])('a batch (%s requests): refused, 400 -32600, nothing answered', async (_era, batch) => {
      served.port.token = undefined;
      const res = await post(JSON.stringify(batch));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 }, id: null });
      expect(served.port.healthReads).toBe(0);
    });

    it('a method mcpwatch does not serve: -32601 Method not found, HTTP 200', async () => {
      served.port.token = undefined;
      const res = await rpc('prompts/list', {}, 9);
      expect(res.statusCode).toBe(200);
      expect(message(res)).toMatchObject({ id: 9, error: { code: -32601 } });
    });
  });

  it("answers a tools/call (get_health, with the token) with 200 and the tool's answer", async () => {
    served.port.token = MCP_TOKEN;
    served.port.healthReport = healthReport('degraded');
    const reads = served.port.healthReads;
    const res = await rpc('tools/call', { name: 'get_health', arguments: {} }, 3, {
      authorization: `Bearer ${MCP_TOKEN}`,
    });
    expect(res.statusCode).toBe(200);
    const msg = message(res);
    expect(msg.id).toBe(3);
    expect(msg.result.isError).toBeFalsy();
    expect(served.port.healthReads).toBe(reads + 1);
    const text = msg.result.content[0]!;
    expect(text.type).toBe('text');
    expect(toolAnswer(msg).mcpwatch).toEqual({ status: 'degraded', checks: served.port.healthReport.checks });
  });

  it('masks key material in run_probe answers', async () => {
    served.port.token = undefined;
    const res = await rpc('tools/call', { name: 'run_probe', arguments: { name: 'gw-live' } }, 4);
    expect(res.statusCode).toBe(200);
    expect(served.port.runs).toEqual(['gw-live']);
    expect(res.body).not.toContain(SK_KEY);
    expect(res.body).not.toContain(BEARER_TOKEN);
    const answer = toolAnswer(message(res));
    expect(answer.startedAt).toBe('2025-01-02T03:04:05.678Z');
    expect(answer).not.toHaveProperty('steps');
  });

  describe('the 2026-07-28 revision (server/discover, the envelope on every request)', () => {
    /** A 2026-07-28 request: the envelope in the body, the headers the revision asks for. */
    function modern(
      method: string,
      params: Record<string, unknown>,
      id: number,
      headers: Record<string, string> = {},
    ): Promise<LightMyRequestResponse> {
      const name = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
      return served.app.inject({
        method: 'POST',
        url: '/mcp',
        headers: {
          ...MCP_HEADERS,
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': method,
          ...name,
          ...headers,
        },
        payload: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: ENVELOPE } }),
      });
    }

    it('server/discover: the revision, tools without listChanged, mcpwatch in _meta, as JSON', async () => {
      served.port.token = undefined;
      const res = await modern('server/discover', {}, 1);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['mcp-session-id']).toBeUndefined();
      const { result } = res.json<{ result: Record<string, unknown> }>();
      expect(result).toMatchObject({
        supportedVersions: ['2026-07-28'],
        capabilities: { tools: { listChanged: false } },
        resultType: 'complete',
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'mcpwatch' } },
      });
    });

    it('tools/list with caching hints (the same list for every caller), tools/call with the answer', async () => {
      served.port.token = MCP_TOKEN;
      const auth = { authorization: `Bearer ${MCP_TOKEN}` };
      const list = await modern('tools/list', {}, 2, auth);
      expect(list.statusCode).toBe(200);
      expect(message(list).result).toMatchObject({ ttlMs: 60_000, cacheScope: 'public' });
      expect(message(list).result.tools.map((t) => t.name)).toEqual(TOOL_NAMES);
      const call = await modern('tools/call', { name: 'get_health', arguments: {} }, 3, auth);
      expect(call.statusCode).toBe(200);
      expect(message(call).id).toBe(3);
      expect(toolAnswer(message(call)).mcpwatch).toMatchObject({ status: 'ok' });
    });

    it('the token and the Origin check apply to it as to 2025 requests', async () => {
      served.port.token = MCP_TOKEN;
      const res = await modern('server/discover', {}, 4);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: -32001 }, id: 4 });
      served.port.token = undefined;
      expect((await modern('server/discover', {}, 5, { origin: 'http://evil.example.com' })).statusCode).toBe(403);
    });

    it.each([
      ['Mcp-Method disagrees with the body', 'tools/list', { 'mcp-method': 'tools/call' }, 400, -32020],
      [
        'MCP-Protocol-Version disagrees with the envelope',
        'tools/list',
        { 'mcp-protocol-version': '2027-01-01' },
        400,
        -32020,
      ],
      ['initialize (no such method in 2026-07-28)', 'initialize', {}, 404, -32601],
      ['ping (no such method in 2026-07-28)', 'ping', {}, 404, -32601],
      ['prompts/list (a capability mcpwatch does not declare)', 'prompts/list', {}, 404, -32601],
    ])('%s: the SDK refuses it, naming the request', async (_what, method, headers, status, code) => {
      served.port.token = undefined;
      const res = await modern(method, method === 'initialize' ? INIT_PARAMS : {}, 6, headers);
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code }, id: 6 });
    });

    it('an envelope without its header: -32020 from the SDK', async () => {
      served.port.token = undefined;
      const res = await served.app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { accept: MCP_HEADERS.accept, 'content-type': 'application/json' },
        payload: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/list', params: { _meta: ENVELOPE } }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: -32020 }, id: 8 });
    });

    it('an unsupported revision: -32022 with the supported ones', async () => {
      served.port.token = undefined;
      const res = await served.app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { ...MCP_HEADERS, 'mcp-protocol-version': '2027-01-01', 'mcp-method': 'tools/list' },
        payload: JSON.stringify({
          jsonrpc: '2.0',
          id: 9,
          method: 'tools/list',
          params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2027-01-01' } },
        }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: { code: -32022, data: { supported: ['2026-07-28'], requested: '2027-01-01' } },
        id: 9,
      });
    });
  });

  describe('a loopback Origin while allowedOrigins is empty', () => {
    async function listen(host: string): Promise<number> {
      await served.app.listen({ host, port: 0 });
      return (served.app.server.address() as AddressInfo).port;
    }

    it("is the server's own origin when it listens on loopback: that port only, a foreign one still 403", async () => {
      served.port.token = undefined;
      const port = await listen('127.0.0.1');
      // (the Host a browser sends to the server's port; inject's own is localhost:80)
      const host = `127.0.0.1:${port}`;
      for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`])
        expect((await rpc('initialize', INIT_PARAMS, 1, { origin, host })).statusCode, origin).toBe(200);
      for (const origin of [`http://localhost:${port + 1}`, 'http://localhost', 'http://evil.example.com', 'null'])
        expect((await rpc('initialize', INIT_PARAMS, 1, { origin, host })).statusCode, origin).toBe(403);
    });

    it('is accepted on every interface only as the origin of the Host the request names', async () => {
      served.port.token = undefined;
      const port = await listen('0.0.0.0');
      const origin = `http://127.0.0.1:${port}`;
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin, host: `127.0.0.1:${port}` })).statusCode).toBe(200);
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin, host: `10.0.0.5:${port}` })).statusCode).toBe(403);
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin, host: `mcpwatch:${port}` })).statusCode).toBe(403);
    });

    it('is not accepted once allowedOrigins lists origins: the list is the rule', async () => {
      served.port.token = undefined;
      const port = await listen('127.0.0.1');
      served.port.allowedOrigins = ['https://grafana.example.com'];
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: `http://127.0.0.1:${port}` })).statusCode).toBe(403);
    });
  });
});
