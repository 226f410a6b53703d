import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../../src/metrics/registry.js';
import type { Format } from '../../src/metrics/exposition.js';
import { toOpenMetrics } from '../../src/metrics/openmetrics.js';
import type { ProbeResult } from '../../src/probes/types.js';
import type { ReloadResult } from '../../src/runtime/reload-plan.js';
import type { HealthReport, HealthStatus } from '../../src/runtime/health-view.js';
import type { CatalogView, ProbeElsewhere, StatusDocument } from '../../src/runtime/status-view.js';
import type { RecentMatch } from '../../src/runtime/log-matches.js';
import { buildApp } from '../../src/server/app.js';
import type { AgentPort, McpAccess } from '../../src/server/ports.js';
import { Redactor } from '../../src/util/redact.js';

// The HTTP layer against a fake port: every route, through fastify's inject (no socket).

const logger = pino({ level: 'silent' });

const SK_KEY = 'sk-leaky-1234567890abcdefWXYZ';
const BEARER_TOKEN = 'tok3n-abcdefgh-12345678';
const MCP_TOKEN = 'mcpwatch-test-token-0123';
const STARTED_AT = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function healthReport(status: HealthStatus): HealthReport {
  const check = status === 'ok' ? 'ok' : status === 'degraded' ? 'degraded' : 'fail';
  return {
    status,
    checks: {
      config: { status: 'ok', path: '/etc/mcpwatch.yaml', loadedAt: '2025-01-02T03:04:05.000Z' },
      scheduler: { status: check, ...(check !== 'ok' && { message: `scheduler ${check}` }) },
      eventLoop: { status: 'ok', maxDelayMs: 3 },
    },
    targets: { gw: { up: false, probes: 2, failing: ['gw-live'] } },
  };
}

function statusDocument(): StatusDocument {
  return {
    version: '0.0.0-test',
    startedAt: '2025-01-02T03:00:00.000Z',
    uptimeSeconds: 245,
    config: {
      path: '/etc/mcpwatch.yaml',
      loadedAt: '2025-01-02T03:00:00.000Z',
      lastReload: { at: '2025-01-02T03:00:00.000Z', ok: true, problems: [] },
    },
    shard: { index: 0, total: 1, probes: 2, ofProbes: 2, tailsLogs: false },
    probes: [
      {
        name: 'gw-live',
        type: 'http',
        target: 'gw',
        schedule: 'every 30s',
        timeout: '10s',
        inFlight: false,
        lastSuccessAt: null,
        runs: 3,
        failures: 3,
        skipped: 0,
        history: [],
        last: {
          outcome: 'connect_error',
          success: false,
          reason: 'connection refused',
          trigger: 'schedule',
          startedAt: '2025-01-02T03:04:00.000Z',
          durationMs: 2,
          phases: { connect: 2 },
        },
      },
      {
        name: 'gw-catalog',
        type: 'mcp_catalog',
        target: 'gw',
        schedule: 'every 1m',
        timeout: '10s',
        inFlight: false,
        lastSuccessAt: '2025-01-02T03:03:00.000Z',
        runs: 1,
        failures: 0,
        skipped: 0,
        history: [],
      },
    ],
  };
}

function probeResult(name: string): ProbeResult {
  return {
    probe: name,
    target: 'gw',
    type: 'http',
    outcome: 'http_error',
    reason: `HTTP 401: {"error":"invalid key ${SK_KEY}", "hint":"send Authorization: Bearer ${BEARER_TOKEN}"}`,
    success: false,
    trigger: 'manual',
    startedAt: STARTED_AT,
    durationMs: 12,
    phases: { http: 12 },
    details: { status: 401, bodyBytes: 80, bodyTruncated: false },
    steps: [{ t: 0, msg: 'GET /', data: { url: 'http://gw/' } }],
  };
}

const SCRAPE_TEXT = [
  '# HELP mcp_probe_runs_total Probe runs by outcome.',
  '# TYPE mcp_probe_runs_total counter',
  'mcp_probe_runs_total{probe="gw-live",outcome="ok"} 3',
  '',
  '# HELP mcp_probe_success Whether the last run of the probe succeeded (1) or not (0).',
  '# TYPE mcp_probe_success gauge',
  'mcp_probe_success{probe="gw-live"} 0',
  '',
].join('\n');

/** A plain AgentPort whose answers each test sets. */
class FakePort implements AgentPort {
  readonly redactor = new Redactor();
  healthReport: HealthReport = healthReport('ok');
  statusDoc: StatusDocument = statusDocument();
  names = ['gw-live', 'gw-catalog'];
  /** Probes of other shards (name → shard), as a replica with shard 0 of 3 sees them. */
  elsewhere = new Map<string, number>();
  reloadResult: ReloadResult = { ok: true, problems: [], warnings: [] };
  token: string | undefined | null = null;
  scrapes = 0;
  healthReads = 0;
  runs: string[] = [];
  reloads = 0;

  health(): HealthReport {
    this.healthReads++;
    return this.healthReport;
  }
  status(): StatusDocument {
    return this.statusDoc;
  }
  probeNames(): string[] {
    return [...this.names];
  }
  probeElsewhere(name: string): ProbeElsewhere | undefined {
    const shard = this.elsewhere.get(name);
    return shard === undefined ? undefined : { probe: name, shard, total: 3, here: 0 };
  }
  async runProbe(name: string): Promise<ProbeResult> {
    this.runs.push(name);
    return probeResult(name);
  }
  async reload(): Promise<ReloadResult> {
    this.reloads++;
    return this.reloadResult;
  }
  formats: Format[] = [];
  async scrape(format: Format): Promise<string> {
    this.scrapes++;
    this.formats.push(format);
    return format === 'openmetrics' ? toOpenMetrics(SCRAPE_TEXT) : SCRAPE_TEXT;
  }
  allowedOrigins: string[] = [];
  allowedHosts: string[] = [];
  mcpAccess(): McpAccess | null {
    return this.token === null
      ? null
      : { token: this.token, allowedOrigins: this.allowedOrigins, allowedHosts: this.allowedHosts };
  }
  recentLogMatches(): RecentMatch[] | undefined {
    return undefined;
  }
  catalogs(): CatalogView[] {
    return [];
  }
}

describe('the HTTP app', () => {
  let port: FakePort;
  let app: FastifyInstance;

  beforeEach(async () => {
    port = new FakePort();
    app = await buildApp({ agent: port, logger });
  });
  afterEach(async () => {
    await app.close();
  });

  describe('GET /health', () => {
    it.each([
      ['ok', 200],
      ['degraded', 200],
      ['unhealthy', 503],
    ] as const)('answers %s with %i and the report, not cached', async (status, code) => {
      port.healthReport = healthReport(status);
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(code);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual(port.healthReport);
    });
  });

  describe('GET /status', () => {
    it("serves the port's document, not cached", async () => {
      const res = await app.inject({ method: 'GET', url: '/status' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json()).toEqual(statusDocument());
    });
  });

  describe('GET /metrics', () => {
    it('serves the scrape in the Prometheus text format', async () => {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(PROMETHEUS_CONTENT_TYPE);
      expect(res.body).toBe(SCRAPE_TEXT);
      expect(port.scrapes).toBe(1);
    });

    it('serves OpenMetrics to a scraper that asks for it', async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { accept: 'application/openmetrics-text; version=1.0.0' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(OPENMETRICS_CONTENT_TYPE);
      expect(res.body.endsWith('# EOF\n')).toBe(true);
      // Converted: the counter family loses its _total in TYPE, its samples keep it; no blank lines.
      expect(res.body).toContain('# TYPE mcp_probe_runs counter\n');
      expect(res.body).toContain('mcp_probe_runs_total{probe="gw-live",outcome="ok"} 3\n');
      expect(res.body).not.toContain('\n\n');
      expect(port.scrapes).toBe(1);
    });

    it("serves Prometheus' own Accept header (OpenMetrics first) as OpenMetrics", async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: {
          accept: 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1',
        },
      });
      expect(res.headers['content-type']).toBe(OPENMETRICS_CONTENT_TYPE);
      expect(res.body.endsWith('# EOF\n')).toBe(true);
    });

    it('scrapes once per request', async () => {
      await app.inject({ method: 'GET', url: '/metrics' });
      await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { accept: 'application/openmetrics-text; version=1.0.0' },
      });
      await app.inject({ method: 'GET', url: '/metrics' });
      expect(port.scrapes).toBe(3);
      expect(port.formats).toEqual(['text', 'openmetrics', 'text']);
    });
  });

  describe('GET /probe', () => {
    it('answers 400 without a name, listing the probes', async () => {
      const res = await app.inject({ method: 'GET', url: '/probe' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'missing query parameter name', probes: ['gw-live', 'gw-catalog'] });
      expect(port.runs).toEqual([]);
    });

    it('answers 404 for an unknown probe, listing the probes', async () => {
      const res = await app.inject({ method: 'GET', url: '/probe?name=nope' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'unknown probe "nope"', probes: ['gw-live', 'gw-catalog'] });
      expect(port.runs).toEqual([]);
    });

    it("answers 409 for another shard's probe, naming the shard that runs it, and does not run it", async () => {
      port.elsewhere.set('far-probe', 2);
      const res = await app.inject({ method: 'GET', url: '/probe?name=far-probe' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        error: 'probe "far-probe" runs on shard 2 of 3, not on this replica (shard 0 of 3): ask the replica of shard 2',
        shard: { index: 2, total: 3 },
        probes: ['gw-live', 'gw-catalog'],
      });
      expect(port.runs).toEqual([]);
    });

    it('runs the probe and answers its result, without the steps', async () => {
      const res = await app.inject({ method: 'GET', url: '/probe?name=gw-live' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(port.runs).toEqual(['gw-live']);
      const body = res.json<Record<string, unknown>>();
      expect(body).toMatchObject({
        probe: 'gw-live',
        target: 'gw',
        type: 'http',
        outcome: 'http_error',
        success: false,
        trigger: 'manual',
        startedAt: new Date(STARTED_AT).toISOString(),
        durationMs: 12,
        phases: { http: 12 },
        details: { status: 401, bodyBytes: 80, bodyTruncated: false },
      });
      expect(body.startedAt).toBe('2025-01-02T03:04:05.678Z');
      expect(body).not.toHaveProperty('steps');
    });

    it.each(['true', '1'])('includes the steps with debug=%s', async (debug) => {
      const res = await app.inject({ method: 'GET', url: `/probe?name=gw-live&debug=${debug}` });
      expect(res.statusCode).toBe(200);
      const body = res.json<Record<string, unknown>>();
      expect(body.steps).toEqual([{ t: 0, msg: 'GET /', data: { url: 'http://gw/' } }]);
      expect(body.startedAt).toBe('2025-01-02T03:04:05.678Z');
    });

    it('leaves the steps out for other debug values', async () => {
      const res = await app.inject({ method: 'GET', url: '/probe?name=gw-live&debug=yes' });
      expect(res.json()).not.toHaveProperty('steps');
    });

    it('masks key material in the result', async () => {
      for (const url of ['/probe?name=gw-live', '/probe?name=gw-live&debug=true']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(200);
        expect(res.body).not.toContain(SK_KEY);
        expect(res.body).not.toContain(BEARER_TOKEN);
        const { reason } = res.json<{ reason: string }>();
        expect(reason).toContain('sk-…WXYZ');
        expect(reason).toContain('Bearer ***');
      }
    });
  });

  describe('POST /-/reload', () => {
    it('answers 200 with the warnings of a reload that applied', async () => {
      port.reloadResult = {
        ok: true,
        problems: [],
        warnings: [{ path: 'targets.gw', message: 'no apiKey: requests to this target are sent without a key' }],
      };
      const res = await app.inject({ method: 'POST', url: '/-/reload' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        status: 'ok',
        warnings: ['targets.gw: no apiKey: requests to this target are sent without a key'],
      });
      expect(port.reloads).toBe(1);
    });

    it('answers 400 with the problems of a reload that failed', async () => {
      port.reloadResult = {
        ok: false,
        problems: [
          { path: 'probes[0].every', message: 'not a duration' },
          { path: 'targets.gw.url', message: 'required' },
        ],
        warnings: [],
      };
      const res = await app.inject({ method: 'POST', url: '/-/reload' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        status: 'error',
        errors: ['probes[0].every: not a duration', 'targets.gw.url: required'],
      });
    });

    it('is POST only', async () => {
      const res = await app.inject({ method: 'GET', url: '/-/reload' });
      expect(res.statusCode).toBe(404);
      expect(port.reloads).toBe(0);
    });
  });

  describe('/mcp', () => {
    const MCP_HEADERS = {
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-06-18',
    };

    function rpc(
      method: string,
      params: Record<string, unknown>,
      id = 1,
      headers: Record<string, string | string[]> = {},
    ): Promise<LightMyRequestResponse> {
      return app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { ...MCP_HEADERS, ...headers },
        payload: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      });
    }

    /** The JSON-RPC message of an answer: JSON (enableJsonResponse), or the first SSE event's data. */
    function message(res: LightMyRequestResponse): {
      id: unknown;
      result?: any;
      error?: { code: number; message: string };
    } {
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        const data = res.body.split('\n').find((l) => l.startsWith('data: '));
        if (!data) throw new Error(`no data in SSE answer: ${res.body}`);
        return JSON.parse(data.slice(6));
      }
      return res.json();
    }

    const INIT_PARAMS = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } };

    it('answers 404 when the endpoint is off (token null)', async () => {
      port.token = null;
      const res = await rpc('initialize', INIT_PARAMS);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'the MCP endpoint is disabled (mcpServer.enabled: false)' });
      expect((await app.inject({ method: 'GET', url: '/mcp' })).statusCode).toBe(404);
    });

    it.each([
      ['no Authorization header', undefined],
      ['a wrong token', `Bearer ${MCP_TOKEN}x`],
      ['a token of the same length', `Bearer ${MCP_TOKEN.slice(0, -1)}X`],
      ['the token without "Bearer "', MCP_TOKEN],
      ['another scheme', `Basic ${MCP_TOKEN}`],
    ])('answers 401 with www-authenticate for %s', async (_what, authorization) => {
      port.token = MCP_TOKEN;
      const res = await rpc('initialize', INIT_PARAMS, 1, authorization === undefined ? {} : { authorization });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="mcpwatch"');
      expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 }, id: null });
      expect(res.body).not.toContain(MCP_TOKEN);
    });

    it('checks the token before the method (a GET without the token is 401)', async () => {
      port.token = MCP_TOKEN;
      const res = await app.inject({ method: 'GET', url: '/mcp' });
      expect(res.statusCode).toBe(401);
    });

    it('reads the token per request', async () => {
      port.token = MCP_TOKEN;
      expect((await rpc('initialize', INIT_PARAMS, 1, { authorization: `Bearer ${MCP_TOKEN}` })).statusCode).toBe(200);
      port.token = 'another-token-after-reload';
      expect((await rpc('initialize', INIT_PARAMS, 1, { authorization: `Bearer ${MCP_TOKEN}` })).statusCode).toBe(401);
      port.token = null;
      expect((await rpc('initialize', INIT_PARAMS, 1, { authorization: `Bearer ${MCP_TOKEN}` })).statusCode).toBe(404);
    });

    it.each(['GET', 'DELETE'] as const)('answers %s with 405 and allow: POST (stateless)', async (method) => {
      port.token = undefined;
      const res = await app.inject({ method, url: '/mcp', headers: { accept: 'text/event-stream' } });
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    });

    it('answers initialize as mcpwatch (no auth)', async () => {
      port.token = undefined;
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
      port.token = MCP_TOKEN;
      const res = await app.inject({
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
      port.token = undefined;
      // Two header lines, as LiteLLM sends them (Node joins them into "v, v" in req.headers).
      const res = await rpc('tools/list', {}, 2, { 'mcp-protocol-version': ['2025-06-18', '2025-06-18'] });
      expect(res.statusCode).toBe(200);
      expect(message(res).result.tools.length).toBe(6);
    });

    it('takes the first value of one mcp-protocol-version line that repeats it', async () => {
      port.token = undefined;
      const res = await rpc('tools/list', {}, 2, { 'mcp-protocol-version': '2025-06-18, 2025-06-18' });
      expect(res.statusCode).toBe(200);
      expect(message(res).result.tools.length).toBe(6);
    });

    describe('DNS-rebinding protection (Origin, Host)', () => {
      it.each([
        ['initialize', INIT_PARAMS],
        ['tools/call', { name: 'run_probe', arguments: { name: 'gw-live' } }],
      ] as const)('answers 403 to %s from an Origin that is not allowed, and runs nothing', async (method, params) => {
        port.token = undefined;
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
        expect(port.runs).toEqual([]);
      });

      it('refuses any Origin while none is allowed; requests without one (every non-browser client) pass', async () => {
        port.token = undefined;
        expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://127.0.0.1:9464' })).statusCode).toBe(403);
        expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'null' })).statusCode).toBe(403);
        expect((await rpc('initialize', INIT_PARAMS, 1, { origin: '' })).statusCode).toBe(403);
        expect((await rpc('initialize', INIT_PARAMS)).statusCode).toBe(200);
      });

      it('compares origins in canonical form (case, default port)', async () => {
        port.token = undefined;
        port.allowedOrigins = ['http://localhost:9464', 'https://grafana.example.com'];
        expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'HTTP://LocalHost:9464' })).statusCode).toBe(200);
        expect(
          (await rpc('initialize', INIT_PARAMS, 1, { origin: 'https://grafana.example.com:443' })).statusCode,
        ).toBe(200);
        expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://localhost:9465' })).statusCode).toBe(403);
        expect((await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://grafana.example.com' })).statusCode).toBe(
          403,
        );
      });

      it('checks Host only when allowedHosts is set; an entry without a port allows any port', async () => {
        port.token = undefined;
        expect((await rpc('initialize', INIT_PARAMS, 1, { host: 'evil.example.com' })).statusCode).toBe(200);
        port.allowedHosts = ['localhost', '127.0.0.1:9464'];
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
        port.token = MCP_TOKEN;
        const res = await rpc('initialize', INIT_PARAMS, 1, { origin: 'http://evil.example.com' });
        expect(res.statusCode).toBe(403);
        expect(res.headers['www-authenticate']).toBeUndefined();
        expect(
          (await app.inject({ method: 'GET', url: '/mcp', headers: { origin: 'http://evil.example.com' } })).statusCode,
        ).toBe(403);
        // An allowed Origin still needs the token.
        port.allowedOrigins = ['http://localhost:9464'];
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
        app.inject({ method: 'POST', url: '/mcp', headers: { ...MCP_HEADERS, ...headers }, payload });

      it.each([
        ['malformed JSON', '{"jsonrpc":"2.0","id":1,"method":', 400, -32700, 'Parse error: the body is not valid JSON'],
        ['an empty body', '', 400, -32700, 'Parse error: the body is empty (send a JSON-RPC message)'],
        [
          'a message without "jsonrpc"',
          '{"id":1,"method":"tools/list"}',
          400,
          -32600,
          'Invalid Request: "jsonrpc" must be "2.0" (got none)',
        ],
        [
          '"jsonrpc": "1.0"',
          '{"jsonrpc":"1.0","id":1,"method":"tools/list"}',
          400,
          -32600,
          'Invalid Request: "jsonrpc" must be "2.0" (got "1.0")',
        ],
        ['a number', '42', 400, -32600, 'Invalid Request: a JSON-RPC message is an object'],
        ['an empty batch', '[]', 400, -32600, 'Invalid Request: an empty batch'],
        [
          'a batch with a bad message',
          '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"id":2}]',
          400,
          -32600,
          'Invalid Request: message 2 of the batch: "jsonrpc" must be "2.0" (got none)',
        ],
        [
          'a non-string method',
          '{"jsonrpc":"2.0","id":1,"method":7}',
          400,
          -32600,
          'Invalid Request: "method" must be a string',
        ],
      ])('%s: the HTTP status and JSON-RPC error listed, id null', async (_what, payload, status, code, text) => {
        port.token = undefined;
        const res = await post(payload);
        expect(res.statusCode).toBe(status);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.json()).toEqual({ jsonrpc: '2.0', error: { code, message: text }, id: null });
      });

      it('a body over 1 MiB: HTTP 413, -32600', async () => {
        port.token = undefined;
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
        port.token = undefined;
        const res = await post('{"jsonrpc":"2.0","auth":"sk-secret-0123456789abcdef"');
        expect(res.statusCode).toBe(400);
        expect(res.body).not.toContain('sk-secret');
      });

      it('a wrong Content-Type: 415 from the SDK, as JSON-RPC', async () => {
        port.token = undefined;
        const res = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'content-type': 'text/plain' });
        expect(res.statusCode).toBe(415);
        expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
      });

      it.each([
        [
          'tools/call without params',
          { jsonrpc: '2.0', id: 5, method: 'tools/call' },
          'Invalid params for tools/call: params: Invalid input: expected object, received undefined',
        ],
        [
          'tools/call without a name',
          { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { arguments: {} } },
          'Invalid params for tools/call: params.name: Invalid input: expected string, received undefined',
        ],
        [
          'initialize without clientInfo',
          { jsonrpc: '2.0', id: 5, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {} } },
          'Invalid params for initialize: params.clientInfo: Invalid input: expected object, received undefined',
        ],
      ])('%s: -32602 Invalid params for that id (not -32603)', async (_what, msg, text) => {
        port.token = undefined;
        const res = await post(JSON.stringify(msg));
        expect(res.statusCode).toBe(200);
        expect(message(res)).toEqual({ jsonrpc: '2.0', id: 5, error: { code: -32602, message: text } });
      });

      it('a batch: each request answered, bad params included', async () => {
        port.token = undefined;
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

      it.each([
        'prompts/list',
        'resources/list',
        'resources/templates/list',
        'completion/complete',
        'logging/setLevel',
        'sampling/createMessage',
        'elicitation/create',
      ])('%s (a capability mcpwatch does not declare): -32601 Method not found', async (method) => {
        port.token = undefined;
        const res = await rpc(method, {}, 9);
        expect(res.statusCode).toBe(200);
        expect(message(res)).toMatchObject({ id: 9, error: { code: -32601 } });
      });
    });

    it('lists the tools', async () => {
      port.token = undefined;
      const res = await rpc('tools/list', {}, 2);
      expect(res.statusCode).toBe(200);
      const msg = message(res);
      expect(msg.id).toBe(2);
      const tools = msg.result.tools as Array<{ name: string; annotations?: { readOnlyHint?: boolean } }>;
      expect(tools.map((t) => t.name)).toEqual([
        'get_health',
        'list_probes',
        'get_probe_result',
        'run_probe',
        'get_recent_auth_errors',
        'get_catalog',
      ]);
      for (const t of tools) expect(t.annotations?.readOnlyHint, t.name).toBe(true);
    });

    it("calls get_health, which reads the port's health", async () => {
      port.token = MCP_TOKEN;
      port.healthReport = healthReport('degraded');
      const reads = port.healthReads;
      const res = await rpc('tools/call', { name: 'get_health', arguments: {} }, 3, {
        authorization: `Bearer ${MCP_TOKEN}`,
      });
      expect(res.statusCode).toBe(200);
      const msg = message(res);
      expect(msg.id).toBe(3);
      expect(msg.result.isError).toBeFalsy();
      expect(port.healthReads).toBe(reads + 1);
      const text = (msg.result.content as Array<{ type: string; text: string }>)[0]!;
      expect(text.type).toBe('text');
      const answer = JSON.parse(text.text);
      expect(answer.mcpwatch).toEqual({ status: 'degraded', checks: port.healthReport.checks });
      expect(answer.targets).toEqual(port.healthReport.targets);
      expect(answer.summary).toBe('mcpwatch degraded. 1 of 2 probes fail: gw-live (connect_error: connection refused)');
      expect(answer.failingProbes).toEqual([
        {
          name: 'gw-live',
          target: 'gw',
          type: 'http',
          outcome: 'connect_error',
          reason: 'connection refused',
          lastSuccessAt: null,
        },
      ]);
    });

    it("run_probe and get_probe_result of another shard's probe fail naming the shard, and run nothing", async () => {
      port.token = undefined;
      port.elsewhere.set('far-probe', 1);
      for (const [i, tool] of ['run_probe', 'get_probe_result'].entries()) {
        const res = await rpc('tools/call', { name: tool, arguments: { name: 'far-probe' } }, 20 + i);
        const result = message(res).result as { isError?: boolean; content: Array<{ text: string }> };
        expect(result.isError, tool).toBe(true);
        expect(result.content[0]!.text, tool).toBe(
          'probe "far-probe" runs on shard 1 of 3, not on this replica (shard 0 of 3): ask the replica of shard 1',
        );
      }
      expect(port.runs).toEqual([]);
    });

    it('get_health says the shard when there are several', async () => {
      port.token = undefined;
      port.statusDoc = { ...statusDocument(), shard: { index: 1, total: 3, probes: 2, ofProbes: 7, tailsLogs: false } };
      const res = await rpc('tools/call', { name: 'get_health', arguments: {} }, 30);
      const answer = JSON.parse((message(res).result.content as Array<{ text: string }>)[0]!.text);
      expect(answer.summary).toBe(
        'mcpwatch ok (shard 1 of 3: 2 of 7 probes). 1 of 2 probes fail: gw-live (connect_error: connection refused)',
      );
      expect(answer.shard).toEqual({ index: 1, total: 3, probes: 2, ofProbes: 7, tailsLogs: false });
    });

    it('masks key material in run_probe answers', async () => {
      port.token = undefined;
      const res = await rpc('tools/call', { name: 'run_probe', arguments: { name: 'gw-live' } }, 4);
      expect(res.statusCode).toBe(200);
      expect(port.runs).toEqual(['gw-live']);
      expect(res.body).not.toContain(SK_KEY);
      expect(res.body).not.toContain(BEARER_TOKEN);
      const answer = JSON.parse((message(res).result.content as Array<{ text: string }>)[0]!.text);
      expect(answer.startedAt).toBe('2025-01-02T03:04:05.678Z');
      expect(answer).not.toHaveProperty('steps');
    });
  });

  describe('an unknown route', () => {
    it('answers 404 listing the routes', async () => {
      const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        error: 'no route GET /nope',
        routes: ['/metrics', '/health', '/status', '/probe?name=NAME', 'POST /-/reload', '/mcp'],
      });
    });
  });
});

describe('a request that runs a probe, on a real socket', () => {
  // The idle timeout made short: a probe that takes longer than it must still be answered,
  // and an idle connection must still be closed.
  const IDLE_MS = 400;
  let app: FastifyInstance;
  let base: string;

  beforeEach(async () => {
    const port = new FakePort();
    port.runProbe = async (name: string) => {
      await new Promise((r) => setTimeout(r, IDLE_MS * 3));
      return probeResult(name);
    };
    app = await buildApp({ agent: port, logger, connectionTimeoutMs: IDLE_MS });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await app.close();
  });

  it('/probe is answered after longer than the idle timeout; an idle connection is still closed', async () => {
    const res = await fetch(`${base}/probe?name=gw-live`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { probe: string }).probe).toBe('gw-live');
    const { connect } = await import('node:net');
    const u = new URL(base);
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const s = connect(Number(u.port), u.hostname);
      s.on('close', () => resolve(Date.now() - t0));
      s.on('error', () => undefined);
    });
    expect(closedAfter).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(closedAfter).toBeLessThan(IDLE_MS * 5);
  });
});
