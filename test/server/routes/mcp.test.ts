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
  toolAnswer,
  WRONG_AUTHORIZATIONS,
} from '../../support/fake-agent-port.js';

// /mcp over HTTP: who may use it, how a request is read, how the SDK's transport answers. What the
// tools answer is in test/mcp-tools/tools.test.ts, how a body is read in test/mcp-tools/requests.test.ts.

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
    expect(res.json()).toEqual({ error: 'the MCP endpoint is disabled (mcpServer.enabled: false)' });
    expect((await served.app.inject({ method: 'GET', url: '/mcp' })).statusCode).toBe(404);
  });

  it.each(WRONG_AUTHORIZATIONS)('answers 401 with www-authenticate for %s', async (_what, authorization) => {
    served.port.token = MCP_TOKEN;
    const res = await rpc('initialize', INIT_PARAMS, 1, authorization === undefined ? {} : { authorization });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="mcpwatch"');
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 }, id: null });
    expect(res.body).not.toContain(MCP_TOKEN);
  });

  it('checks the token before the method (a GET without the token is 401)', async () => {
    served.port.token = MCP_TOKEN;
    const res = await served.app.inject({ method: 'GET', url: '/mcp' });
    expect(res.statusCode).toBe(401);
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
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
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

  describe('DNS-rebinding protection (Origin, Host)', () => {
    it.each([
      ['initialize', INIT_PARAMS],
      ['tools/call', { name: 'run_probe', arguments: { name: 'gw-live' } }],
    ] as const)('answers 403 to %s from an Origin that is not allowed, and runs nothing', async (method, params) => {
      served.port.token = undefined;
      const res = await rpc(method, params, 1, { origin: 'http://evil.example.com', host: 'evil.example.com' });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({
        jsonrpc: '2.0',
        error: {
          code: -32001,
          message: 'Forbidden: Origin "http://evil.example.com" is not in mcpServer.allowedOrigins',
        },
        id: null,
      });
      expect(served.port.runs).toEqual([]);
    });

    it('refuses any Origin while none is allowed; requests without one (every non-browser client) pass', async () => {
      served.port.token = undefined;
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://127.0.0.1:9464' })).statusCode).toBe(403);
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'null' })).statusCode).toBe(403);
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: '' })).statusCode).toBe(403);
      expect((await rpc('initialize', INIT_PARAMS)).statusCode).toBe(200);
    });

    it('compares origins in canonical form (case, default port)', async () => {
      served.port.token = undefined;
      served.port.allowedOrigins = ['http://localhost:9464', 'https://grafana.example.com'];
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'HTTP://LocalHost:9464' })).statusCode).toBe(200);
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'https://grafana.example.com:443' })).statusCode).toBe(
        200,
      );
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://localhost:9465' })).statusCode).toBe(403);
      expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://grafana.example.com' })).statusCode).toBe(403);
    });

    it('checks Host only when allowedHosts is set; an entry without a port allows any port', async () => {
      served.port.token = undefined;
      expect((await rpc('initialize', INIT_PARAMS, 1, { host: 'evil.example.com' })).statusCode).toBe(200);
      served.port.allowedHosts = ['localhost', '127.0.0.1:9464'];
      const evil = await rpc('initialize', INIT_PARAMS, 1, { host: 'evil.example.com:9464' });
      expect(evil.statusCode).toBe(403);
      expect(evil.json().error.message).toBe(
        'Forbidden: Host "evil.example.com:9464" is not in mcpServer.allowedHosts',
      );
      expect((await rpc('initialize', INIT_PARAMS, 1, { host: 'LOCALHOST:1234' })).statusCode).toBe(200);
      expect((await rpc('initialize', INIT_PARAMS, 1, { host: '127.0.0.1:9464' })).statusCode).toBe(200);
      expect((await rpc('initialize', INIT_PARAMS, 1, { host: '127.0.0.1:9465' })).statusCode).toBe(403);
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
  });

  describe('what is not JSON-RPC gets a JSON-RPC error', () => {
    const post = (payload: string | Buffer, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
      served.app.inject({ method: 'POST', url: '/mcp', headers: { ...MCP_HEADERS, ...headers }, payload });

    it.each([
      ['malformed JSON', '{"jsonrpc":"2.0","id":1,"method":', 400, -32700, 'Parse error: the body is not valid JSON'],
      ['an empty body', '', 400, -32700, 'Parse error: the body is empty (send a JSON-RPC message)'],
      ['a number', '42', 400, -32600, 'Invalid Request: a JSON-RPC message is an object'],
      ['an empty batch', '[]', 400, -32600, 'Invalid Request: an empty batch'],
    ])(
      '%s: the HTTP status and JSON-RPC error of the body check, id null',
      async (_what, payload, status, code, text) => {
        served.port.token = undefined;
        const res = await post(payload);
        expect(res.statusCode).toBe(status);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.json()).toEqual({ jsonrpc: '2.0', error: { code, message: text }, id: null });
      },
    );

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
    });

    it('does not echo the body in a parse error (it may hold a key)', async () => {
      served.port.token = undefined;
      const res = await post('{"jsonrpc":"2.0","auth":"sk-secret-0123456789abcdef"');
      expect(res.statusCode).toBe(400);
      expect(res.body).not.toContain('sk-secret');
    });

    it('a wrong Content-Type: 415 from the SDK, as JSON-RPC', async () => {
      served.port.token = undefined;
      const res = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'content-type': 'text/plain' });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    });

    it('params that do not fit the method: -32602 Invalid params for that id (not -32603), HTTP 200', async () => {
      served.port.token = undefined;
      const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call' }));
      expect(res.statusCode).toBe(200);
      expect(message(res)).toEqual({
        jsonrpc: '2.0',
        id: 5,
        error: {
          code: -32602,
          message: 'Invalid params for tools/call: params: Invalid input: expected object, received undefined',
        },
      });
    });

    it('a batch: each request answered, bad params included', async () => {
      served.port.token = undefined;
      const res = await post(
        JSON.stringify([
          { jsonrpc: '2.0', id: 1, method: 'ping' },
          { jsonrpc: '2.0', id: 2, method: 'tools/call' },
        ]),
      );
      expect(res.statusCode).toBe(200);
      const answers = res.json() as Array<{ id: number; result?: unknown; error?: { code: number } }>;
      expect(answers.find((a) => a.id === 1)).toMatchObject({ result: {} });
      expect(answers.find((a) => a.id === 2)).toMatchObject({ error: { code: -32602 } });
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
});
