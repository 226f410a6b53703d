import { Client } from '@modelcontextprotocol/client';
import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { SessionFetch } from '../../../src/probes/mcp/session-fetch.js';
import { createTransport, endSession, sessionUrl, transportFacts } from '../../../src/probes/mcp/transport.js';
import { FakeMcpGateway } from '../../support/fake-mcp.js';
import { until } from '../../support/until.js';
import { KEY, runsAgainst, testTarget, type TestRun } from './test-run.js';

describe('sessionUrl', () => {
  const t = (over: Partial<Target>): Target => testTarget('http://gw:4000', over);
  it.each([
    ['streamable HTTP: mcpPath', t({}), undefined, 'http://gw:4000/mcp/'],
    ['under a path prefix', t({ url: 'http://gw:4000/litellm/' }), undefined, 'http://gw:4000/litellm/mcp/'],
    ['legacy SSE: its stream under mcpPath', t({ transport: 'sse' }), undefined, 'http://gw:4000/mcp/sse'],
    [
      'legacy SSE, mcpPath without the slash',
      t({ transport: 'sse', mcpPath: '/mcp' }),
      undefined,
      'http://gw:4000/mcp/sse',
    ],
    ["the guard's marker", t({}), 'mcpwatch_guard=abc', 'http://gw:4000/mcp/?mcpwatch_guard=abc'],
    ['a marker beside a query of mcpPath', t({ mcpPath: '/mcp/?x=1' }), 'm=2', 'http://gw:4000/mcp/?x=1&m=2'],
  ])('%s', (_what, target, query, url) => {
    expect(sessionUrl(target, query)).toBe(url);
  });
});

describe('the transport of a session, against an MCP server', () => {
  let gw: FakeMcpGateway;
  const run = runsAgainst(() => gw);
  beforeAll(async () => {
    gw = await new FakeMcpGateway({ key: KEY }).start();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  /** A client connected through createTransport, as openSession connects it. */
  async function connect(
    r: TestRun,
  ): Promise<{ client: Client; traffic: SessionFetch; transport: ReturnType<typeof createTransport> }> {
    const traffic = new SessionFetch(r.ctx, {});
    const headers = { authorization: `Bearer ${KEY}`, 'x-probe': 'p1' };
    const transport = createTransport(r.ctx.target, sessionUrl(r.ctx.target), headers, traffic.fetch);
    const client = new Client({ name: 'test', version: '0' }, { capabilities: {} });
    await client.connect(transport);
    return { client, traffic, transport };
  }

  it('streamable HTTP: the headers on every request; facts from initialize; ended with DELETE', async () => {
    const r = run(testTarget(gw.url));
    const { client, traffic, transport } = await connect(r);
    expect(transport).toBeInstanceOf(StreamableHTTPClientTransport);
    expect(transportFacts(transport)).toEqual([
      expect.stringMatching(/^protocol \d{4}-\d\d-\d\d$/),
      'stateful (mcp-session-id)',
    ]);
    await endSession(r.ctx, client, transport, traffic);
    expect(gw.requests.map((q) => q.method)).toContain('DELETE');
    expect(gw.requests.every((q) => q.headers['x-probe'] === 'p1')).toBe(true);
    expect(gw.sessionsClosed).toBe(1);
  });

  it('legacy SSE: the headers also on the session stream; its facts', async () => {
    const r = run(testTarget(gw.url, { transport: 'sse' }));
    const { client, traffic, transport } = await connect(r);
    expect(transport).toBeInstanceOf(SSEClientTransport);
    expect(transportFacts(transport)).toEqual(['legacy SSE']);
    expect(gw.requests[0]).toMatchObject({ method: 'GET', url: '/mcp/sse', headers: { 'x-probe': 'p1' } });
    await endSession(r.ctx, client, transport, traffic);
    await until(() => gw.sessionsClosed === 1);
  });

  it("after the run's abort, the session is still ended (DELETE on a connection of its own)", async () => {
    const r = run(testTarget(gw.url));
    const { client, traffic, transport } = await connect(r);
    r.abort();
    await endSession(r.ctx, client, transport, traffic);
    expect(gw.requests.at(-1)?.method).toBe('DELETE');
    expect(gw.sessionsClosed).toBe(1);
  });

  it('a stateless session (no session id) is not DELETEd', async () => {
    const stateless = await new FakeMcpGateway({ key: KEY, stateless: true }).start();
    try {
      const r = run(testTarget(stateless.url));
      const { client, traffic, transport } = await connect(r);
      expect(transportFacts(transport)).toContain('stateless (no mcp-session-id)');
      await endSession(r.ctx, client, transport, traffic);
      expect(stateless.requests.some((q) => q.method === 'DELETE')).toBe(false);
    } finally {
      await stateless.stop();
    }
  });
});
