import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readGatewayHealth } from '../../../src/probes/mcp-catalog/gateway-health.js';
import type { ServerState } from '../../../src/probes/types.js';
import { runProbeOnce } from '../../support/run-harness.js';

// LiteLLM's own view of its MCP servers (GET /v1/mcp/server/health and GET /v1/mcp/server), read from a
// small node:http server that answers in LiteLLM's shapes, and set against what the catalog showed.

const KEY = 'sk-health-0123456789abcdef';

type Answer = { status: number; body: string } | 'hang';

/** A stand-in for LiteLLM's two REST endpoints; what each answers is set by the test. */
class HealthServer {
  answers: Record<string, Answer> = {};
  requests: Array<{ url: string; headers: IncomingMessage['headers'] }> = [];
  url = '';
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ url: req.url!, headers: req.headers });
    const a = this.answers[req.url!] ?? { status: 404, body: '{"detail":"Not Found"}' };
    if (a === 'hang') return;
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(a.body);
  }
}

/** readGatewayHealth in a run's context (as the catalog's run calls it), with the steps it logged. */
async function read(
  url: string,
  servers: Record<string, ServerState>,
  opts: { startedAt?: number; ssoToken?: string; target?: string; only?: string[] } = {},
) {
  const { out: health, msgs: steps } = await runProbeOnce(
    'mcp_catalog',
    (_probe, ctx) => readGatewayHealth(ctx, servers, opts.startedAt ?? performance.now(), opts.ssoToken, opts.only),
    {
      url,
      key: KEY,
      probe: '{ name: cat, type: mcp_catalog, target: gw, gatewayHealth: true, timeout: 3s }',
      targetMore: opts.target,
    },
  );
  return { health, steps };
}

const json = (body: unknown): Answer => ({ status: 200, body: JSON.stringify(body) });

describe('readGatewayHealth', () => {
  let gw: HealthServer;
  beforeAll(async () => {
    gw = await new HealthServer().start();
  });
  afterAll(async () => {
    await gw.stop();
  });
  beforeEach(() => {
    gw.answers = {};
    gw.requests = [];
  });

  it("LiteLLM 1.109's shape: health by id, names from the server list; a disagreement with the catalog is marked", async () => {
    gw.answers['/v1/mcp/server/health'] = json([
      { server_id: 'id-fs', status: 'healthy' },
      { server_id: 'id-db', status: 'healthy' },
      { server_id: 'id-web', status: 'unhealthy' },
      { server_id: 'id-other', status: 'unknown' },
    ]);
    gw.answers['/v1/mcp/server'] = json([
      { server_id: 'id-fs', server_name: 'mcp_fs', env: { PGPASSWORD: 'hunter2-in-clear' } },
      { server_id: 'id-db', alias: 'mcp_db' },
      { server_id: 'id-web', server_name: 'mcp_web' },
    ]);
    const { health, steps } = await read(gw.url, {
      mcp_fs: { up: true, tools: 3 },
      mcp_db: { up: false, tools: 0, reason: 'no_tools' },
      mcp_web: { up: false, tools: 0, reason: 'internal' },
    });
    expect(health).toEqual({
      servers: {
        mcp_fs: { healthy: true, status: 'healthy', mismatch: false },
        mcp_db: { healthy: true, status: 'healthy', mismatch: true },
        mcp_web: { healthy: false, status: 'unhealthy', mismatch: false },
        // An id the list does not name stays an id; the catalog did not ask about it: no mismatch.
        'id-other': { healthy: false, status: 'unknown' },
      },
    });
    // With the target's key, asking for JSON; only the statuses reach the steps (the list holds passwords).
    expect(gw.requests.map((r) => r.url).sort()).toEqual(['/v1/mcp/server', '/v1/mcp/server/health']);
    for (const r of gw.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(r.headers.accept).toBe('application/json');
    }
    expect(steps).toContain(`GET ${gw.url}/v1/mcp/server/health  (the gateway's own health)`);
    expect(steps.some((s) => /^← 200 \/v1\/mcp\/server \(\d+ bytes\)$/.test(s))).toBe(true);
    expect(steps.join('\n')).not.toContain('hunter2');
  });

  it('a probe of one server asks about that one alone (?server_ids=) and keeps it alone, though 1.77 answers every server', async () => {
    gw.answers['/v1/mcp/server'] = json([
      { server_id: 'id-fs', server_name: 'mcp_fs' },
      { server_id: 'id-db', server_name: 'mcp_db' },
    ]);
    // 1.77 ignores the parameter and answers for every server: only the asked one is kept.
    gw.answers['/v1/mcp/server/health?server_ids=id-db'] = json({
      servers: {
        'id-fs': { server_id: 'id-fs', status: 'healthy' },
        'id-db': { server_id: 'id-db', status: 'unhealthy' },
      },
    });
    const { health } = await read(
      gw.url,
      { mcp_db: { up: false, tools: 0, reason: 'internal' } },
      { only: ['mcp_db'] },
    );
    expect(health).toEqual({ servers: { mcp_db: { healthy: false, status: 'unhealthy', mismatch: false } } });
    expect(gw.requests.map((r) => r.url)).toEqual(['/v1/mcp/server', '/v1/mcp/server/health?server_ids=id-db']);

    // A server the gateway does not list: no health asked (the catalog says it is missing).
    gw.requests = [];
    const none = await read(gw.url, {}, { only: ['mcp_gone'] });
    expect(none.health).toEqual({ servers: {} });
    expect(gw.requests.map((r) => r.url)).toEqual(['/v1/mcp/server']);
  });

  it("LiteLLM 1.77's shape: {servers: {id: {server_id, status}}}", async () => {
    gw.answers['/v1/mcp/server/health'] = json({
      servers: { 'id-fs': { server_id: 'id-fs', status: 'unhealthy', tools_count: 0 } },
    });
    gw.answers['/v1/mcp/server'] = json({ servers: [{ server_id: 'id-fs', server_name: 'mcp_fs' }] });
    const { health } = await read(gw.url, { mcp_fs: { up: true, tools: 2 } });
    expect(health).toEqual({ servers: { mcp_fs: { healthy: false, status: 'unhealthy', mismatch: true } } });
  });

  it('behind an SSO gate: the key in its header, the SSO token in Authorization', async () => {
    gw.answers['/v1/mcp/server/health'] = json([]);
    gw.answers['/v1/mcp/server'] = json([]);
    const { health } = await read(
      gw.url,
      {},
      { ssoToken: 'sso-token-abc', target: ', apiKeyHeader: x-litellm-api-key' },
    );
    expect(health).toEqual({ servers: {} });
    expect(gw.requests[0]!.headers).toMatchObject({
      authorization: 'Bearer sso-token-abc',
      'x-litellm-api-key': `Bearer ${KEY}`,
    });
  });

  it('an endpoint that answers an error or no JSON: never throws, the error says which', async () => {
    gw.answers['/v1/mcp/server/health'] = { status: 401, body: '{"detail":"no"}' };
    gw.answers['/v1/mcp/server'] = json([]);
    expect((await read(gw.url, {})).health).toEqual({
      servers: {},
      error: "could not read the gateway's MCP health: /v1/mcp/server/health answered 401",
    });
    gw.answers['/v1/mcp/server/health'] = { status: 200, body: '<html>proxy login</html>' };
    const { health } = await read(gw.url, {});
    expect(health.servers).toEqual({});
    expect(health.error).toMatch(/^could not read the gateway's MCP health: .*JSON/);
  });

  it('a health endpoint that does not answer: it gets what is left of the run (less a margin), then gives up', async () => {
    gw.answers['/v1/mcp/server/health'] = 'hang';
    gw.answers['/v1/mcp/server'] = json([]);
    const t0 = performance.now();
    // timeout 3s, 1s of it gone: 2s left, 1s of which is kept for closing the session.
    const { health } = await read(gw.url, {}, { startedAt: t0 - 1_000 });
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(health.servers).toEqual({});
    // About 1 s (less what setting up the run took).
    expect(health.error).toMatch(
      /^could not read the gateway's MCP health: no answer within the (1|0\.9) s left of the run$/,
    );
  });

  it('no time left in the run: no request at all', async () => {
    const { health } = await read(gw.url, {}, { startedAt: performance.now() - 2_000 });
    expect(health).toEqual({ servers: {}, error: 'no time left in the run for the gateway health check' });
    expect(gw.requests).toEqual([]);
  });
});
