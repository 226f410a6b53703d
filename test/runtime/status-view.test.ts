import { describe, expect, it } from 'vitest';
import type { CatalogDetails } from '../../src/probes/mcp-catalog/details.js';
import type { CatalogMemory, Outcome } from '../../src/probes/types.js';
import type { HttpDetails } from '../../src/probes/http/details.js';
import type { ProbeResult } from '../../src/probes/table.js';
import type { RecentMatch } from '../../src/runtime/log-matches.js';
import {
  catalogView,
  type LogsStatus,
  type ProbeStatus,
  STATUS_RECENT_MATCHES,
  type StatusInput,
  statusView,
} from '../../src/runtime/status-view.js';
import { type ProbeRecord, ResultStore } from '../../src/scheduler/history.js';
import { unseenCatalog } from '../support/fake-agent-port.js';
import { configOf } from '../support/runtime-config.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0); // 2024-05-01T12:00:00.000Z
const iso = (ms: number) => new Date(ms).toISOString();

const YAML = `targets:
  lan:
    url: http://litellm.lan:4000
    apiKey: sk-test-1234567890abcdef
    timeout: 15s
probes:
  - { name: web, type: http, target: lan, every: 30s, timeout: 5s }
  - { name: catalog, type: mcp_catalog, target: lan, schedule: "*/5 * * * * *", servers: [github, jira] }
  - { name: call, type: mcp_call, target: lan, every: 1m30s, tool: github-search, timeout: 500ms }
  - { name: guard, type: auth_guard, target: lan }
  - { name: catalog2, type: mcp_catalog, target: lan, every: 2h }
`;

const CONFIG = configOf(YAML);

function result(probe: string, outcome: Outcome, startedAt: number, over: Partial<ProbeResult> = {}): ProbeResult {
  const p = CONFIG.probes.find((q) => q.name === probe)!;
  return {
    probe,
    target: p.target,
    type: p.type,
    outcome,
    reason: outcome === 'ok' ? 'fine' : `broken: ${outcome}`,
    success: outcome === 'ok',
    trigger: 'schedule',
    startedAt,
    durationMs: 40,
    phases: { http: 40 },
    steps: [{ t: 0, msg: 'GET /' }],
    ...over,
  } as ProbeResult;
}

function input(store: ResultStore, over: Partial<StatusInput> = {}): StatusInput {
  return {
    version: '1.2.3',
    now: T0 + 125_400,
    startedAt: T0,
    configPath: '/etc/mcpwatch.yaml',
    loadedAt: T0 + 5_000,
    lastReload: { at: T0 + 5_000, ok: true, problems: [] },
    config: CONFIG,
    shard: { index: 0, total: 1, probes: CONFIG.probes.length, ofProbes: CONFIG.probes.length, tailsLogs: false },
    record: (name) => store.peek(name),
    inFlight: () => false,
    ...over,
  };
}

function probe(doc: ReturnType<typeof statusView>, name: string): ProbeStatus {
  const p = doc.probes.find((q) => q.name === name);
  if (!p) throw new Error(`no probe ${name} in /status`);
  return p;
}

describe('statusView: the document', () => {
  it('says version, start, uptime, the config and its last reload', () => {
    const doc = statusView(
      input(new ResultStore(), {
        lastReload: {
          at: T0 + 60_000,
          ok: false,
          problems: [{ path: 'probes[0].every', message: 'duration "0s" must be greater than zero' }],
        },
      }),
    );
    expect(doc.version).toBe('1.2.3');
    expect(doc.startedAt).toBe('2024-05-01T12:00:00.000Z');
    expect(doc.uptimeSeconds).toBe(125);
    expect(doc.config).toEqual({
      path: '/etc/mcpwatch.yaml',
      loadedAt: '2024-05-01T12:00:05.000Z',
      lastReload: {
        at: '2024-05-01T12:01:00.000Z',
        ok: false,
        problems: ['probes[0].every: duration "0s" must be greater than zero'],
      },
    });
  });

  it.each([
    [0, 0],
    [499, 0],
    [500, 1],
    [61_000, 61],
  ])('uptime after %i ms is %i s', (elapsed, seconds) => {
    expect(statusView(input(new ResultStore(), { now: T0 + elapsed })).uptimeSeconds).toBe(seconds);
  });

  it('lists every configured probe, in config order', () => {
    expect(statusView(input(new ResultStore())).probes.map((p) => [p.name, p.type, p.target])).toEqual([
      ['web', 'http', 'lan'],
      ['catalog', 'mcp_catalog', 'lan'],
      ['call', 'mcp_call', 'lan'],
      ['guard', 'auth_guard', 'lan'],
      ['catalog2', 'mcp_catalog', 'lan'],
    ]);
  });
});

describe('statusView: each probe', () => {
  it.each([
    ['web', 'every 30s', '5s'],
    ['catalog', 'cron */5 * * * * *', '15s'],
    ['call', 'every 1m30s', '500ms'],
    ['guard', 'every 1m', '15s'],
    ['catalog2', 'every 2h', '15s'],
  ])('%s: schedule %j, timeout %j', (name, schedule, timeout) => {
    const p = probe(statusView(input(new ResultStore())), name);
    expect([p.schedule, p.timeout]).toEqual([schedule, timeout]);
  });

  it('before any run: no last, no success, zero counts, empty history', () => {
    const p = probe(statusView(input(new ResultStore())), 'web');
    expect(p).toEqual({
      name: 'web',
      type: 'http',
      target: 'lan',
      schedule: 'every 30s',
      timeout: '5s',
      inFlight: false,
      lastSuccessAt: null,
      runs: 0,
      failures: 0,
      skipped: 0,
      history: [],
    });
    expect(p.last).toBeUndefined();
  });

  it('nextRunAt: when the next scheduled run is due, where the scheduler knows it', () => {
    const doc = statusView(input(new ResultStore(), { nextRun: (name) => (name === 'web' ? T0 + 30_000 : undefined) }));
    expect(probe(doc, 'web').nextRunAt).toBe('2024-05-01T12:00:30.000Z');
    expect(probe(doc, 'catalog')).not.toHaveProperty('nextRunAt');
  });

  it('a record without runs (only skipped ticks) has no last either', () => {
    const store = new ResultStore();
    store.skipped('web');
    store.skipped('web');
    const p = probe(statusView(input(store)), 'web');
    expect(p.last).toBeUndefined();
    expect([p.runs, p.failures, p.skipped, p.lastSuccessAt]).toEqual([0, 0, 2, null]);
  });

  it('after a failed run: last with ISO startedAt and its details, still no success', () => {
    const store = new ResultStore();
    const details: HttpDetails = { status: 503, bodyBytes: 22, bodyTruncated: false };
    store.add(
      result('web', 'http_error', T0 + 1_000, {
        reason: '503 Service Unavailable from lan (expected 200)',
        details,
        trigger: 'manual',
      } as Partial<ProbeResult>),
    );
    const p = probe(statusView(input(store)), 'web');
    expect(p.last).toEqual({
      outcome: 'http_error',
      success: false,
      reason: '503 Service Unavailable from lan (expected 200)',
      trigger: 'manual',
      startedAt: '2024-05-01T12:00:01.000Z',
      durationMs: 40,
      phases: { http: 40 },
      details: { status: 503, bodyBytes: 22, bodyTruncated: false },
    });
    expect(p.lastSuccessAt).toBeNull();
    expect([p.runs, p.failures, p.skipped]).toEqual([1, 1, 0]);
  });

  it("a failed run's gateway log as it is; TLS facts with ISO times", () => {
    const store = new ResultStore();
    const gatewayLog = {
      from: 'a',
      to: 'b',
      containers: ['litellm'],
      about: ['mcp_pg'],
      records: [{ container: 'litellm', at: 'c', stream: 'stderr' as const, text: 'ERROR: x' }],
    };
    const tls = {
      version: 'TLSv1.3',
      subject: 'CN=gw',
      issuer: 'CN=ca',
      notAfter: T0 + 10 * 86_400_000,
      earliestNotAfter: T0 + 86_400_000,
      earliestSubject: 'CN=ca',
      chainLength: 2,
      authorized: true,
    };
    store.add(result('web', 'http_error', T0, { gatewayLog, tls } as Partial<ProbeResult>));
    const last = probe(statusView(input(store)), 'web').last!;
    expect(last.gatewayLog).toEqual(gatewayLog);
    expect(last.tls).toEqual({
      ...tls,
      notAfter: '2024-05-11T12:00:00.000Z',
      earliestNotAfter: '2024-05-02T12:00:00.000Z',
    });
  });

  it("a run's OAuth facts with ISO times (the token itself is never part of them)", () => {
    const store = new ResultStore();
    const oauth = {
      tokenEndpoint: 'https://sso/token',
      grant: 'client_credentials' as const,
      clientId: 'mcpwatch',
      authMethod: 'client_secret_basic' as const,
      scopes: ['openid'],
      token: 'requested' as const,
      expiresAt: T0 + 300_000,
      requests: [{ at: T0, durationMs: 40, outcome: 'ok' as const, why: 'first' as const, status: 200 }],
    };
    store.add(result('web', 'ok', T0, { oauth } as Partial<ProbeResult>));
    expect(probe(statusView(input(store)), 'web').last!.oauth).toEqual({
      ...oauth,
      expiresAt: '2024-05-01T12:05:00.000Z',
      requests: [{ ...oauth.requests[0], at: '2024-05-01T12:00:00.000Z' }],
    });
  });

  it('a run without details has no details key (and steps are not shown)', () => {
    const store = new ResultStore();
    store.add(result('web', 'ok', T0));
    const last = probe(statusView(input(store)), 'web').last!;
    expect(Object.keys(last).sort()).toEqual([
      'durationMs',
      'outcome',
      'phases',
      'reason',
      'startedAt',
      'success',
      'trigger',
    ]);
  });

  it('history, counts and lastSuccessAt (the end of the last successful run)', () => {
    const store = new ResultStore();
    store.add(result('call', 'ok', T0, { durationMs: 250 }));
    store.add(result('call', 'tool_error', T0 + 90_000, { reason: 'the tool said no' }));
    store.add(result('call', 'ok', T0 + 180_000, { durationMs: 1_500, trigger: 'manual' }));
    store.add(result('call', 'timeout', T0 + 270_000, { reason: 'timeout after 500ms in call_tool', durationMs: 500 }));
    store.skipped('call');
    const p = probe(statusView(input(store)), 'call');
    expect(p.history).toEqual([
      { startedAt: '2024-05-01T12:00:00.000Z', outcome: 'ok', durationMs: 250, reason: 'fine', trigger: 'schedule' },
      {
        startedAt: '2024-05-01T12:01:30.000Z',
        outcome: 'tool_error',
        durationMs: 40,
        reason: 'the tool said no',
        trigger: 'schedule',
      },
      { startedAt: '2024-05-01T12:03:00.000Z', outcome: 'ok', durationMs: 1_500, reason: 'fine', trigger: 'manual' },
      {
        startedAt: '2024-05-01T12:04:30.000Z',
        outcome: 'timeout',
        durationMs: 500,
        reason: 'timeout after 500ms in call_tool',
        trigger: 'schedule',
      },
    ]);
    expect([p.runs, p.failures, p.skipped]).toEqual([4, 2, 1]);
    expect(p.lastSuccessAt).toBe('2024-05-01T12:03:01.500Z');
    expect(p.last).toMatchObject({ outcome: 'timeout', success: false, startedAt: '2024-05-01T12:04:30.000Z' });
  });

  it('does not alter the stored record (times stay epoch ms)', () => {
    const store = new ResultStore();
    store.add(result('web', 'ok', T0));
    statusView(input(store));
    expect(store.peek('web')!.history[0]!.startedAt).toBe(T0);
    expect(store.peek('web')!.last!.startedAt).toBe(T0);
  });

  it.each([
    [[], []],
    [['web'], ['web']],
    [
      ['catalog', 'guard'],
      ['catalog', 'guard'],
    ],
  ])('in flight: %j', (inFlight, expected) => {
    const doc = statusView(input(new ResultStore(), { inFlight: (name) => inFlight.includes(name) }));
    expect(doc.probes.filter((p) => p.inFlight).map((p) => p.name)).toEqual(expected);
  });
});

describe('statusView: logs', () => {
  const match = (i: number): RecentMatch => ({
    at: iso(T0 - i * 1_000),
    container: 'litellm',
    category: 'auth',
    kind: 'invalid_key',
    origin: i % 2 ? 'probe' : 'external',
    line: `line ${i}`,
  });
  const logs = (n: number): LogsStatus => ({
    docker: { up: true, endpoint: '/var/run/docker.sock' },
    containers: [{ name: 'litellm', state: 'following', id: '0123456789ab', lines: 1_234 }],
    recentMatches: Array.from({ length: n }, (_, i) => match(i)),
  });

  it('has no logs section without log tailing', () => {
    expect('logs' in statusView(input(new ResultStore()))).toBe(false);
  });

  it.each([
    [0, 0],
    [3, 3],
    [STATUS_RECENT_MATCHES, 50],
    [51, 50],
    [200, 50],
  ])('%i recent matches → %i listed, newest (first) kept', (n, shown) => {
    const given = logs(n);
    const doc = statusView(input(new ResultStore(), { logs: given }));
    expect(doc.logs).toEqual({ ...given, recentMatches: given.recentMatches.slice(0, shown) });
    expect(doc.logs!.recentMatches).toHaveLength(shown);
    expect(given.recentMatches).toHaveLength(n);
  });

  it('lists at most 50', () => expect(STATUS_RECENT_MATCHES).toBe(50));
});

describe('catalogView', () => {
  const memory: CatalogMemory = {
    snapshot: {
      fingerprint: 'sha256:abc',
      tools: { 'github-search': 'h1', 'github-issue': 'h2', 'jira-find': 'h3' },
      at: T0 + 10_000,
    },
    tools: ['github-issue', 'github-search', 'jira-find'],
    toolsPerServer: { github: 2, jira: 1 },
    lastChange: {
      at: T0 + 10_000,
      added: ['jira-find'],
      removed: ['github-old'],
      changedSchemas: ['github-search'],
      changes: { 'jira-find': ['added'], 'github-old': ['removed'], 'github-search': ['input_schema', 'description'] },
    },
  };
  const details: CatalogDetails = {
    catalog: {
      changed: true,
      added: ['jira-find'],
      removed: ['github-old'],
      changedSchemas: ['github-search'],
      tools: 3,
      toolsPerServer: { github: 2, jira: 1 },
      fingerprint: 'sha256:abc',
    },
    expectedTools: {},
  };

  const empty = (probe: string, servers: string[], lastOutcome: Outcome | null = null) => ({
    ...unseenCatalog(probe, 'lan', servers),
    lastOutcome,
  });

  it('lists only mcp_catalog probes, with empty fields before a catalog was seen', () => {
    expect(catalogView(CONFIG, () => undefined)).toEqual([empty('catalog', ['github', 'jira']), empty('catalog2', [])]);
  });

  it('a probe that ran but never got a catalog: its outcome, no catalog', () => {
    const store = new ResultStore();
    store.add(result('catalog', 'connect_error', T0));
    expect(catalogView(CONFIG, (n) => store.peek(n))[0]).toEqual(empty('catalog', ['github', 'jira'], 'connect_error'));
  });

  it("shows the memory's catalog and last change once seen", () => {
    const store = new ResultStore();
    store.add(result('catalog', 'ok', T0 + 10_000, { details } as Partial<ProbeResult>));
    store.get('catalog').memory.catalog = memory;
    store.add(result('catalog2', 'ok', T0));
    expect(catalogView(CONFIG, (n) => store.peek(n))).toEqual([
      {
        probe: 'catalog',
        target: 'lan',
        servers: ['github', 'jira'],
        seenAt: '2024-05-01T12:00:10.000Z',
        fingerprint: 'sha256:abc',
        toolsPerServer: { github: 2, jira: 1 },
        tools: ['github-issue', 'github-search', 'jira-find'],
        lastChange: {
          at: '2024-05-01T12:00:10.000Z',
          added: ['jira-find'],
          removed: ['github-old'],
          changedSchemas: ['github-search'],
          changes: {
            'jira-find': ['added'],
            'github-old': ['removed'],
            'github-search': ['input_schema', 'description'],
          },
        },
        lastOutcome: 'ok',
      },
      empty('catalog2', [], 'ok'),
    ]);
    expect(memory.lastChange!.at).toBe(T0 + 10_000);
  });

  it.each<[string, CatalogMemory, Partial<ReturnType<typeof catalogView>[number]>]>([
    [
      'a snapshot without a change yet',
      { snapshot: memory.snapshot!, tools: memory.tools!, toolsPerServer: memory.toolsPerServer! },
      { seenAt: '2024-05-01T12:00:10.000Z', fingerprint: 'sha256:abc', lastChange: null },
    ],
    [
      'a change kept after a failed list (no snapshot)',
      { lastChange: memory.lastChange! },
      {
        seenAt: null,
        fingerprint: null,
        tools: [],
        toolsPerServer: {},
        lastChange: {
          at: '2024-05-01T12:00:10.000Z',
          added: ['jira-find'],
          removed: ['github-old'],
          changedSchemas: ['github-search'],
        },
      },
    ],
  ])('%s', (_name, catalog, expected) => {
    const record: ProbeRecord = { history: [], runs: 0, failures: 0, skipped: 0, memory: { catalog } };
    const view = catalogView(CONFIG, (n) => (n === 'catalog' ? record : undefined))[0]!;
    expect(view).toMatchObject({ ...expected, lastOutcome: null });
  });

  it('a config without catalog probes has no catalogs', () => {
    const cfg = configOf(
      'targets:\n  lan: { url: "http://x:4000", apiKey: sk-1 }\nprobes:\n  - { name: web, type: http, target: lan }\n',
    );
    expect(catalogView(cfg, () => undefined)).toEqual([]);
  });
});
