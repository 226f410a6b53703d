import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { Format } from '../../src/metrics/exposition.js';
import { toOpenMetrics } from '../../src/metrics/openmetrics.js';
import type { ProbeResult } from '../../src/probes/table.js';
import type { ReloadResult } from '../../src/runtime/reload-plan.js';
import type { HealthReport, HealthStatus } from '../../src/runtime/health-view.js';
import type { CatalogView, ProbeElsewhere, StatusDocument } from '../../src/runtime/status-view.js';
import type { RecentMatch } from '../../src/runtime/log-matches.js';
import { buildApp } from '../../src/server/app.js';
import type {
  AgentPort,
  McpAccess,
  ProbeRunAnswer,
  ProbeRunRequest,
  Readiness,
  WebAccess,
} from '../../src/server/ports.js';
import { Redactor } from '../../src/util/redact.js';

// A fake of the running agent for the HTTP layer's and the MCP tools' tests: answers each test sets,
// key material in a probe's result (to see it masked), and counts of what was asked.

export const logger = pino({ level: 'silent' });

export const SK_KEY = 'sk-leaky-1234567890abcdefWXYZ';
export const BEARER_TOKEN = 'tok3n-abcdefgh-12345678';
export const MCP_TOKEN = 'mcpwatch-test-token-0123';
export const STARTED_AT = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

/** Authorization headers that do not hold MCP_TOKEN as a bearer token, each after what is wrong with it. */
export const WRONG_AUTHORIZATIONS: Array<[what: string, authorization: string | undefined]> = [
  ['no Authorization header', undefined],
  ['a wrong token', `Bearer ${MCP_TOKEN}x`],
  ['a token of the same length', `Bearer ${MCP_TOKEN.slice(0, -1)}X`],
  ['the token without "Bearer "', MCP_TOKEN],
  ['another scheme', `Basic ${MCP_TOKEN}`],
];

export function healthReport(status: HealthStatus): HealthReport {
  const check = status === 'ok' ? 'ok' : status === 'degraded' ? 'degraded' : 'fail';
  return {
    status,
    checks: {
      config: { status: 'ok', path: '/etc/mcpwatch.yaml', loadedAt: '2025-01-02T03:04:05.000Z' },
      scheduler: { status: check, ...(check !== 'ok' && { message: `scheduler ${check}` }) },
      eventLoop: { status: 'ok', maxDelayMs: 3 },
    },
    targets: { gw: { up: false, probes: 2, failing: ['gw-live'], clients: { probes: 0, failing: [] } } },
  };
}

export function statusDocument(): StatusDocument {
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

export function probeResult(name: string): ProbeResult {
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

export const SCRAPE_TEXT = [
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
export class FakePort implements AgentPort {
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
  /** What /probe asked for; `reused` (when set) is what the next requests answer. */
  requests: Array<{ name: string } & ProbeRunRequest> = [];
  reused: ProbeRunAnswer['reused'];
  async requestRun(name: string, req: ProbeRunRequest): Promise<ProbeRunAnswer> {
    this.requests.push({ name, ...req });
    return { result: await this.runProbe(name), ...(this.reused && { reused: this.reused }) };
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
  mcpAccess(): McpAccess | null {
    return this.token === null ? null : { token: this.token };
  }
  /** `web`: the Origin and Host lists, and whether POST /-/reload is served (off, as by default). */
  allowedOrigins: string[] = [];
  allowedHosts: string[] = [];
  lifecycle = false;
  webAccess(): WebAccess {
    return { allowedOrigins: this.allowedOrigins, allowedHosts: this.allowedHosts, lifecycle: this.lifecycle };
  }
  readinessNow: Readiness = { ready: true };
  readiness(): Readiness {
    return this.readinessNow;
  }
  /** Undefined: no log tailing. */
  logMatches: RecentMatch[] | undefined = undefined;
  recentLogMatches(): RecentMatch[] | undefined {
    return this.logMatches;
  }
  catalogList: CatalogView[] = [];
  catalogs(): CatalogView[] {
    return this.catalogList;
  }
}

/** The app and the port it serves, both made afresh for each test. */
export interface FakePortApp {
  port: FakePort;
  app: FastifyInstance;
}

/** For each test of the calling block: a new FakePort and the HTTP app built on it, closed after the test. */
export function appOnFakePort(): FakePortApp {
  const served = {} as FakePortApp;
  beforeEach(async () => {
    served.port = new FakePort();
    served.app = await buildApp({ agent: served.port, logger });
  });
  afterEach(async () => {
    await served.app.close();
  });
  return served;
}

/** A catalog probe's view before its first run: no catalog seen yet. */
export function unseenCatalog(probe: string, target: string, servers = ['github']): CatalogView {
  return {
    probe,
    target,
    servers,
    seenAt: null,
    fingerprint: null,
    toolsPerServer: {},
    tools: [],
    lastChange: null,
    lastOutcome: null,
  };
}

/** The monitoring tools, in the order tools/list gives them. */
export const TOOL_NAMES = [
  'get_health',
  'list_probes',
  'get_probe_result',
  'run_probe',
  'get_recent_auth_errors',
  'get_catalog',
];

/** Headers of a streamable-HTTP MCP client. */
export const MCP_HEADERS = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': '2025-06-18',
};

export const INIT_PARAMS = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } };

/** A tool's answer, or the answer to initialize or tools/list: the fields the tests read. */
export interface RpcResult {
  [field: string]: unknown;
  tools: Array<{ name: string; annotations?: { readOnlyHint?: boolean }; inputSchema: Record<string, unknown> }>;
  serverInfo: { name: string };
  protocolVersion: string;
  capabilities: unknown;
  isError?: boolean;
  content: Array<{ type: string; text: string }>;
}

/** A JSON-RPC answer; `result` is absent when `error` is there. */
export interface RpcMessage {
  id: unknown;
  result: RpcResult;
  error?: { code: number; message: string };
}

/** The JSON-RPC message of an HTTP answer: JSON (enableJsonResponse), or the first SSE event's data. */
export function message(res: LightMyRequestResponse): RpcMessage {
  if (String(res.headers['content-type']).startsWith('text/event-stream')) {
    const data = res.body.split('\n').find((l) => l.startsWith('data: '));
    if (!data) throw new Error(`no data in SSE answer: ${res.body}`);
    return JSON.parse(data.slice(6)) as RpcMessage;
  }
  return res.json<RpcMessage>();
}

/** The JSON a tool answered with (its first text content). */
export function toolAnswer<T = Record<string, unknown>>(msg: RpcMessage): T {
  return JSON.parse(msg.result.content[0]!.text) as T;
}
