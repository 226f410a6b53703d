import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { listAllTools, openSession, sessionHeaders } from '../../../src/probes/mcp/session.js';
import { createPhaseClock } from '../../../src/probes/net/phases.js';
import { ProbeFailure, type ProbeContext } from '../../../src/probes/types.js';
import { Redactor } from '../../../src/util/redact.js';
import { FakeMcpGateway, makeTools } from '../../support/fake-mcp.js';
import { until } from '../../support/until.js';
import { KEY, lanTarget, runsAgainst, testTarget } from './test-run.js';

describe('sessionHeaders', () => {
  const ctx = (t: Target): ProbeContext =>
    ({
      target: t,
      logger: pino({ level: 'silent' }),
      redactor: new Redactor(),
      phases: createPhaseClock(),
      step: () => undefined,
    }) as unknown as ProbeContext;

  it("target headers, then the probe's (case-insensitively), x-mcp-servers joined, Bearer <key>", () => {
    const h = sessionHeaders(ctx(lanTarget({ headers: { 'X-Team': 'a', 'X-Env': 'prod' } })), {
      servers: ['mcp_fs', 'mcp_db'],
      headers: { 'x-team': 'b' },
    });
    expect(h).toEqual({
      'user-agent': expect.stringMatching(/^mcpwatch\//),
      'x-team': 'b',
      'x-env': 'prod',
      'x-mcp-servers': 'mcp_fs,mcp_db',
      authorization: `Bearer ${KEY}`,
    });
  });

  it("clientId in clientIdHeader (default x-mcp-client) with every auth, a probe's own header winning", () => {
    const id = lanTarget({ clientId: 'mcpwatch', headers: { 'X-MCP-Client': 'from-headers' } });
    expect(sessionHeaders(ctx(id), { servers: [], headers: {} })['x-mcp-client']).toBe('mcpwatch');
    expect(sessionHeaders(ctx(id), { servers: [], headers: {}, auth: { kind: 'none' } })['x-mcp-client']).toBe(
      'mcpwatch',
    );
    expect(sessionHeaders(ctx(id), { servers: [], headers: { 'x-mcp-client': 'probe' } })['x-mcp-client']).toBe(
      'probe',
    );
    const other = lanTarget({ clientId: 'mcpwatch', clientIdHeader: 'x-client-app' });
    expect(sessionHeaders(ctx(other), { servers: [], headers: {} })).toMatchObject({ 'x-client-app': 'mcpwatch' });
    expect(sessionHeaders(ctx(lanTarget()), { servers: [], headers: {} })).not.toHaveProperty('x-mcp-client');
  });

  it('no x-mcp-servers without servers; a key with its prefix is sent as is', () => {
    const h = sessionHeaders(ctx(lanTarget({ apiKey: `Bearer ${KEY}` })), { servers: [], headers: {} });
    expect(h).not.toHaveProperty('x-mcp-servers');
    expect(h.authorization).toBe(`Bearer ${KEY}`);
  });

  it('the guard\'s "no key" carries no credential, also not one configured as an extra header', () => {
    const t = lanTarget({
      headers: { 'x-litellm-api-key': 'Bearer sk-in-a-header-0000', Authorization: 'Bearer sk-x', 'x-team': 'a' },
    });
    expect(sessionHeaders(ctx(t), { servers: [], headers: { 'API-Key': 'sk-y' }, auth: { kind: 'none' } })).toEqual({
      'user-agent': expect.any(String),
      'x-team': 'a',
    });
    expect(sessionHeaders(ctx(t), { servers: [], headers: {}, auth: { kind: 'raw', value: 'sk-raw' } })).toEqual({
      'user-agent': expect.any(String),
      'x-team': 'a',
      authorization: 'sk-raw',
    });
  });

  it('apiKeyHeader: the key in that header; Authorization (the SSO token) stays, also for the guard, whose credentials go in that header', () => {
    const t = lanTarget({
      apiKeyHeader: 'x-litellm-api-key',
      headers: { Authorization: 'Bearer sso-token-0123456789', 'X-API-Key': 'sk-other' },
    });
    expect(sessionHeaders(ctx(t), { servers: ['a'], headers: {} })).toEqual({
      'user-agent': expect.any(String),
      authorization: 'Bearer sso-token-0123456789',
      'x-api-key': 'sk-other',
      'x-mcp-servers': 'a',
      'x-litellm-api-key': `Bearer ${KEY}`,
    });
    expect(sessionHeaders(ctx(t), { servers: [], headers: {}, auth: { kind: 'none' } })).toEqual({
      'user-agent': expect.any(String),
      authorization: 'Bearer sso-token-0123456789',
    });
    expect(
      sessionHeaders(ctx(t), { servers: [], headers: {}, auth: { kind: 'raw', value: 'Bearer sk-wrong' } }),
    ).toEqual({
      'user-agent': expect.any(String),
      authorization: 'Bearer sso-token-0123456789',
      'x-litellm-api-key': 'Bearer sk-wrong',
    });
  });

  it("ssoToken: the SSO gate's token in Authorization beside the key; for a key check in Authorization itself it is left out", () => {
    const sso = lanTarget({ apiKeyHeader: 'x-litellm-api-key' });
    expect(sessionHeaders(ctx(sso), { servers: [], headers: {}, ssoToken: 'opaque-sso-token' })).toEqual({
      'user-agent': expect.any(String),
      authorization: 'Bearer opaque-sso-token',
      'x-litellm-api-key': `Bearer ${KEY}`,
    });
    expect(
      sessionHeaders(ctx(sso), { servers: [], headers: {}, auth: { kind: 'none' }, ssoToken: 'opaque-sso-token' }),
    ).toEqual({ 'user-agent': expect.any(String), authorization: 'Bearer opaque-sso-token' });
    // An OAuth-protected server without a gateway key: the token is the credential; the guard's raw checks go without
    // it.
    const plain = lanTarget({ apiKey: undefined });
    expect(sessionHeaders(ctx(plain), { servers: [], headers: {}, ssoToken: 'opaque-sso-token' }).authorization).toBe(
      'Bearer opaque-sso-token',
    );
    expect(
      sessionHeaders(ctx(plain), {
        servers: [],
        headers: {},
        auth: { kind: 'raw', value: 'Bearer sk-wrong' },
        ssoToken: 'opaque-sso-token',
      }).authorization,
    ).toBe('Bearer sk-wrong');
  });
});

// openSession and listAllTools against a real MCP server (the SDK's own, behind test/support/fake-mcp.ts): the
// session's life from initialize to DELETE, both transports, and how its failures come out.
describe('openSession and listAllTools against an MCP server', () => {
  let gw: FakeMcpGateway;
  let stateless: FakeMcpGateway;
  const run = runsAgainst(() => gw);
  beforeAll(async () => {
    gw = await new FakeMcpGateway({ key: KEY, pageSize: 2 }).start();
    stateless = await new FakeMcpGateway({ key: KEY, stateless: true }).start();
    gw.tools = stateless.tools = makeTools('alpha', 5);
  });
  afterAll(async () => {
    await gw?.stop();
    await stateless?.stop();
  });

  it('initializes (a step says what the server is), lists every page of tools, and ends the session with DELETE', async () => {
    const r = run(testTarget(gw.url));
    const session = await openSession(r.ctx, { servers: ['alpha'], headers: {}, label: 'unit' });
    expect(r.steps.map((s) => s.msg)).toContainEqual(
      expect.stringMatching(
        /^\[unit\] initialized: fake-gateway 0\.0\.1 \(protocol [\d-]+, stateful \(mcp-session-id\)\)$/,
      ),
    );
    const tools = await listAllTools(r.ctx, session);
    expect(tools.map((t) => t.name)).toEqual(makeTools('alpha', 5).map((t) => t.name));
    expect(r.steps.filter((s) => s.msg.startsWith('tools/list page')).map((s) => s.msg)).toEqual([
      'tools/list page 1: 2 tools',
      'tools/list page 2: 2 tools',
      'tools/list page 3: 1 tools',
    ]);
    expect(r.ctx.phases.snapshot()).toMatchObject({ initialize: expect.any(Number), list_tools: expect.any(Number) });
    expect(session.responses.map((s) => `${s.method} ${s.status} ${s.auth}`)).toContain('POST 200 bearer');
    await Promise.all([session.close(), session.close()]);
    expect(gw.requests.filter((q) => q.method === 'DELETE')).toHaveLength(1);
    expect(gw.sessionsClosed).toBe(1);
    expect(gw.requests[0]!.headers['x-mcp-servers']).toBe('alpha');
  });

  it('a stateless server: the step says so, and no DELETE is sent', async () => {
    const r = run(testTarget(stateless.url));
    const session = await openSession(r.ctx, { servers: [], headers: {} });
    expect(r.steps.map((s) => s.msg)).toContainEqual(
      expect.stringMatching(/^initialized: fake-gateway 0\.0\.1 \(protocol [\d-]+, stateless \(no mcp-session-id\)\)$/),
    );
    await session.close();
    expect(stateless.requests.some((q) => q.method === 'DELETE')).toBe(false);
    stateless.reset();
  });

  it('the legacy SSE transport: the session stream under mcpPath, then the same MCP calls', async () => {
    const r = run(testTarget(gw.url, { transport: 'sse' }));
    const session = await openSession(r.ctx, { servers: [], headers: {}, query: 'mark=1' });
    expect(r.steps.map((s) => s.msg)).toContain('initialized: fake-gateway 0.0.1 (legacy SSE)');
    expect(gw.requests[0]).toMatchObject({ method: 'GET', url: '/mcp/sse?mark=1' });
    expect(await listAllTools(r.ctx, session)).toHaveLength(5);
    await session.close();
    await until(() => gw.sessionsClosed === 1);
  });

  it('a refused key fails initialize with the HTTP rejection, and leaves nothing open', async () => {
    const r = run(testTarget(gw.url, { apiKey: 'sk-not-the-key-0000' }));
    const err = await openSession(r.ctx, { servers: [], headers: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeFailure);
    expect(err).toMatchObject({
      outcome: 'auth_rejected',
      message:
        '401 Unauthorized from gw — the gateway refused the key: check apiKey (is it a key this gateway knows, allowed these MCP servers?): {"detail":"Authentication required"}',
      details: { status: 401, body: '{"detail":"Authentication required"}', wwwAuthenticate: 'Bearer' },
    });
  });

  it('a legacy SSE endpoint that never names where to post: the timeout says so', async () => {
    gw.rules = [{ on: 'GET', fault: { kind: 'hang' } }];
    const t = testTarget(gw.url, { transport: 'sse' });
    const r = run(t, 400);
    const err = await openSession(r.ctx, { servers: [], headers: {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      outcome: 'timeout',
      message: `timeout after 400ms in initialize: ${gw.url}/mcp/sse never sent the legacy SSE "endpoint" event (LiteLLM 1.77 serves only streamable HTTP there: use transport: streamable-http)`,
    });
  });

  it('an answer over maxResponseBytes fails the call at once, and the session still ends', async () => {
    gw.rules = [{ on: 'tools/list', fault: { kind: 'huge', bytes: 50 * 1024 * 1024, as: 'json' } }];
    const r = run(testTarget(gw.url));
    const session = await openSession(r.ctx, { servers: [], headers: {}, maxResponseBytes: 64 * 1024 });
    await expect(listAllTools(r.ctx, session)).rejects.toMatchObject({
      outcome: 'protocol_error',
      message: 'response from gw larger than 64 KiB (maxResponseBytes): stopped reading it',
    });
    await session.close();
    expect(gw.sessionsClosed).toBe(1);
    expect(gw.faultBytesWritten).toBeLessThan(50 * 1024 * 1024);
  });
});
