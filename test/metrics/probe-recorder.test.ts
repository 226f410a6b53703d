import { beforeEach, describe, expect, it } from 'vitest';
import type { Probe } from '../../src/config/parse.js';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { CATALOG_CHANGE_KINDS, type Outcome, OUTCOMES, type ServerState } from '../../src/probes/types.js';
import { type CatalogDetails, type CatalogSummary } from '../../src/probes/mcp-catalog/details.js';
import { type ProbeResult } from '../../src/probes/table.js';
import { type Labels, matching, type Sample, samples, value } from '../support/exposition.js';
import { configOf, recorderOnTestMetrics } from '../support/runtime-config.js';

// ---- helpers ----

const TARGETS = `targets:
  lan:
    url: http://litellm.lan:4000
    apiKey: sk-test-1234567890abcdef
  wan:
    url: http://litellm.wan:4000
    apiKey: sk-test-abcdef1234567890
`;

const probes = (yaml: string): Probe[] => configOf(`${TARGETS}probes:\n${yaml}`).probes;

const ALL = `  - { name: h, type: http, target: lan, path: /health }
  - { name: c, type: mcp_catalog, target: lan }
  - { name: k, type: mcp_call, target: lan, tool: echo }
  - { name: g, type: auth_guard, target: lan }
`;

const T0 = 1_700_000_000_000;

type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type ResultInput = DistOmit<ProbeResult, 'reason' | 'trigger' | 'steps' | 'phases' | 'success'> &
  Partial<Pick<ProbeResult, 'phases' | 'success'>>;

/** A result as a probe run hands it over: success is outcome === 'ok' unless given. */
function result(r: ResultInput): ProbeResult {
  return {
    reason: r.outcome,
    trigger: 'schedule',
    steps: [],
    phases: {},
    success: r.outcome === 'ok',
    ...r,
  } as ProbeResult;
}

function catalog(toolsPerServer: Record<string, number>, changed = false): CatalogSummary {
  return {
    changed,
    added: changed ? ['github-new'] : [],
    removed: [],
    changedSchemas: [],
    tools: Object.values(toolsPerServer).reduce((a, b) => a + b, 0),
    toolsPerServer,
    fingerprint: 'f',
  };
}

const H = { probe: 'h', target: 'lan', type: 'http' } as const;
const C = { probe: 'c', target: 'lan', type: 'mcp_catalog' } as const;
const K = { probe: 'k', target: 'lan', type: 'mcp_call' } as const;
const G = { probe: 'g', target: 'lan', type: 'auth_guard' } as const;

let rec: ProbeRecorder;
let text: () => Promise<string>;
beforeEach(() => {
  ({ rec, text } = recorderOnTestMetrics((metrics) => new ProbeRecorder(metrics)));
});

type RunArgs = [
  labels: { probe: string; target: string; type: ProbeResult['type'] },
  outcome: Outcome,
  startedAt: number,
  durationMs: number,
  more?: Partial<Pick<ProbeResult, 'phases' | 'details' | 'oauth'>>,
];

/** A run of the probe with these labels: how it ended, when, how long, and `more` (phases, details, oauth). */
function runOf(...[labels, outcome, startedAt, durationMs, more = {}]: RunArgs): ProbeResult {
  return result({ ...labels, outcome, startedAt, durationMs, ...more } as ResultInput);
}

const recordRun = (...run: RunArgs): void => rec.record(runOf(...run));

/** Samples of the probe with `labels` and one more label, `label`: one per entry of `values`, in their order. */
const samplesOf = (labels: Labels, label: string, values: Record<string, number>): Sample[] =>
  Object.entries(values).map(([v, value]) => ({ labels: { ...labels, [label]: v }, value }));

/** The gauges of a probe's last run in the scrape `t`, by their names without `mcp_probe_`. */
const lastRunGauges = (t: string, labels: Labels): Record<string, number | undefined> =>
  Object.fromEntries(
    [
      'success',
      'last_duration_seconds',
      'last_run_timestamp_seconds',
      'last_success_timestamp_seconds',
      'consecutive_failures',
    ].map((name) => [name, value(t, `mcp_probe_${name}`, labels)]),
  );

// ---- tests ----

describe('ProbeRecorder.declare', () => {
  it('starts every outcome counter and the skipped counter at 0 for each probe', async () => {
    rec.declare(probes(ALL));
    const t = await text();
    for (const labels of [H, C, K, G]) {
      for (const outcome of OUTCOMES)
        expect(value(t, 'mcp_probe_runs_total', { ...labels, outcome }), `${labels.probe} ${outcome}`).toBe(0);
      expect(value(t, 'mcpwatch_probe_skipped_runs_total', labels)).toBe(0);
    }
    expect(OUTCOMES).toHaveLength(11);
    expect(samples(t, 'mcp_probe_runs_total')).toHaveLength(4 * OUTCOMES.length);
    expect(samples(t, 'mcpwatch_probe_skipped_runs_total')).toHaveLength(4);
  });

  it('starts mcp_catalog_changes_total at 0 for mcp_catalog probes only', async () => {
    rec.declare(probes(ALL));
    const t = await text();
    expect(samples(t, 'mcp_catalog_changes_total')).toEqual(
      CATALOG_CHANGE_KINDS.map((change) => ({ labels: { ...C, change }, value: 0 })),
    );
  });

  it('sets no gauge and observes nothing before the first run', async () => {
    rec.declare(probes(ALL));
    const t = await text();
    for (const name of [
      'mcp_probe_success',
      'mcp_probe_last_duration_seconds',
      'mcp_probe_last_run_timestamp_seconds',
      'mcp_probe_last_success_timestamp_seconds',
      'mcp_probe_consecutive_failures',
      'mcp_probe_phase_duration_seconds',
      'mcp_probe_duration_seconds_count',
      'mcp_catalog_tools',
      'mcp_catalog_tool_present',
      'mcp_auth_enforced',
    ]) {
      expect(samples(t, name), name).toEqual([]);
    }
  });

  it('keeps the series (and counts) of probes declared again unchanged', async () => {
    const ps = probes(ALL);
    rec.declare(ps);
    recordRun(H, 'timeout', T0, 100);
    rec.declare(probes(ALL));
    recordRun(H, 'timeout', T0 + 1000, 100);
    const t = await text();
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'timeout' })).toBe(2);
    expect(value(t, 'mcp_probe_consecutive_failures', H)).toBe(2);
  });
});

describe('ProbeRecorder.record', () => {
  beforeEach(() => rec.declare(probes(ALL)));

  it('records a successful run: success, durations, runs by outcome, timestamps of its end in seconds', async () => {
    recordRun(H, 'ok', T0, 250);
    const t = await text();
    expect(lastRunGauges(t, H)).toEqual({
      success: 1,
      last_duration_seconds: 0.25,
      last_run_timestamp_seconds: 1_700_000_000.25,
      last_success_timestamp_seconds: 1_700_000_000.25,
      consecutive_failures: 0,
    });
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'ok' })).toBe(1);
    for (const outcome of OUTCOMES.filter((o) => o !== 'ok'))
      expect(value(t, 'mcp_probe_runs_total', { ...H, outcome })).toBe(0);
    // the histogram
    expect(value(t, 'mcp_probe_duration_seconds_count', H)).toBe(1);
    expect(value(t, 'mcp_probe_duration_seconds_sum', H)).toBe(0.25);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '0.1' })).toBe(0);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '0.25' })).toBe(1);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '+Inf' })).toBe(1);
    // other probes are untouched
    expect(value(t, 'mcp_probe_success', C)).toBeUndefined();
    expect(value(t, 'mcp_probe_runs_total', { ...C, outcome: 'ok' })).toBe(0);
  });

  it('counts failures in a row, keeps the last success time, and goes back to 0 after a success', async () => {
    recordRun(H, 'ok', T0, 250);
    recordRun(H, 'timeout', T0 + 60_000, 10_000);
    expect(lastRunGauges(await text(), H)).toEqual({
      success: 0,
      last_duration_seconds: 10,
      last_run_timestamp_seconds: 1_700_000_070,
      last_success_timestamp_seconds: 1_700_000_000.25,
      consecutive_failures: 1,
    });

    recordRun(H, 'http_error', T0 + 120_000, 40);
    expect(lastRunGauges(await text(), H)).toMatchObject({
      last_run_timestamp_seconds: 1_700_000_120.04,
      last_success_timestamp_seconds: 1_700_000_000.25,
      consecutive_failures: 2,
    });

    recordRun(H, 'ok', T0 + 180_000, 500);
    const t = await text();
    expect(lastRunGauges(t, H)).toMatchObject({
      success: 1,
      last_run_timestamp_seconds: 1_700_000_180.5,
      last_success_timestamp_seconds: 1_700_000_180.5,
      consecutive_failures: 0,
    });
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'ok' })).toBe(2);
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'timeout' })).toBe(1);
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'http_error' })).toBe(1);
    expect(value(t, 'mcp_probe_duration_seconds_count', H)).toBe(4);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '0.05' })).toBe(1);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '0.5' })).toBe(3);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '10' })).toBe(4);
  });

  it('a failure streak is kept per probe', async () => {
    recordRun(H, 'timeout', T0, 1);
    recordRun(K, 'tool_error', T0, 1);
    recordRun(H, 'timeout', T0, 1);
    const t = await text();
    expect(value(t, 'mcp_probe_consecutive_failures', H)).toBe(2);
    expect(value(t, 'mcp_probe_consecutive_failures', K)).toBe(1);
  });

  it('sets phase durations in seconds; a phase missing from the next run is removed', async () => {
    recordRun(K, 'ok', T0, 100, { phases: { connect: 12, initialize: 30, call_tool: 50 } });
    let t = await text();
    expect(matching(t, 'mcp_probe_phase_duration_seconds', K)).toEqual(
      samplesOf(K, 'phase', { connect: 0.012, initialize: 0.03, call_tool: 0.05 }),
    );

    recordRun(K, 'connect_error', T0 + 1000, 5, { phases: { connect: 5 } });
    t = await text();
    expect(matching(t, 'mcp_probe_phase_duration_seconds', K)).toEqual(samplesOf(K, 'phase', { connect: 0.005 }));

    recordRun(K, 'internal_error', T0 + 2000, 0, { phases: {} });
    t = await text();
    expect(matching(t, 'mcp_probe_phase_duration_seconds', K)).toEqual([]);
  });

  it('mcp_catalog: tools per server (a server gone next run is removed), expected tools present, changes counted', async () => {
    recordRun(C, 'ok', T0, 80, {
      details: {
        catalog: catalog({ github: 3, jira: 2 }),
        expectedTools: { 'github-search': true, 'jira-get_issue': false },
      },
    });
    let t = await text();
    expect(matching(t, 'mcp_catalog_tools', C)).toEqual(samplesOf(C, 'server', { github: 3, jira: 2 }));
    expect(matching(t, 'mcp_catalog_tool_present', C)).toEqual(
      samplesOf(C, 'tool', { 'github-search': 1, 'jira-get_issue': 0 }),
    );
    expect(value(t, 'mcp_catalog_changes_total', { ...C, change: 'added' })).toBe(0);

    recordRun(C, 'expectation_failed', T0 + 30_000, 80, {
      details: {
        catalog: catalog({ github: 4 }, true),
        expectedTools: { 'github-search': false, 'jira-get_issue': true },
      },
    });
    t = await text();
    expect(matching(t, 'mcp_catalog_tools', C)).toEqual(samplesOf(C, 'server', { github: 4 }));
    expect(matching(t, 'mcp_catalog_tool_present', C)).toEqual(
      samplesOf(C, 'tool', { 'github-search': 0, 'jira-get_issue': 1 }),
    );
    expect(value(t, 'mcp_catalog_changes_total', { ...C, change: 'added' })).toBe(1);

    recordRun(C, 'ok', T0 + 60_000, 80, {
      details: { catalog: catalog({ github: 4, jira: 1 }, true), expectedTools: { 'github-search': true } },
    });
    t = await text();
    expect(matching(t, 'mcp_catalog_tools', C)).toEqual(samplesOf(C, 'server', { github: 4, jira: 1 }));
    expect(matching(t, 'mcp_catalog_tool_present', C)).toEqual(samplesOf(C, 'tool', { 'github-search': 1 }));
    expect(value(t, 'mcp_catalog_changes_total', { ...C, change: 'added' })).toBe(2);
  });

  it('mcp_catalog: per-server up and failures by reason; a server no longer reported loses its up series; removal clears both', async () => {
    rec.declare(probes(ALL));
    const run = (at: number, servers: Record<string, ServerState>): void =>
      recordRun(C, 'ok', at, 80, {
        details: { catalog: catalog({ mcp_pg: 0, mcp_fs: 14 }), expectedTools: {}, servers },
      });
    run(T0, {
      mcp_pg: { up: false, tools: 0, reason: 'timeout', said: 'timeout' },
      mcp_fs: { up: true, tools: 14 },
      mcp_broken: { up: false, tools: 0, reason: 'internal' },
    });
    run(T0 + 30_000, { mcp_pg: { up: false, tools: 0, reason: 'timeout' }, mcp_fs: { up: true, tools: 14 } });
    let t = await text();
    expect(matching(t, 'mcp_catalog_server_up', C)).toEqual(samplesOf(C, 'server', { mcp_pg: 0, mcp_fs: 1 }));
    expect(matching(t, 'mcp_catalog_server_failures_total', C)).toEqual([
      { labels: { ...C, server: 'mcp_pg', reason: 'timeout' }, value: 2 },
      { labels: { ...C, server: 'mcp_broken', reason: 'internal' }, value: 1 },
    ]);
    run(T0 + 60_000, { mcp_pg: { up: true, tools: 9 }, mcp_fs: { up: true, tools: 14 } });
    t = await text();
    expect(value(t, 'mcp_catalog_server_up', { ...C, server: 'mcp_pg' })).toBe(1);
    expect(value(t, 'mcp_catalog_server_failures_total', { ...C, server: 'mcp_pg', reason: 'timeout' })).toBe(2);
    rec.declare(
      probes(
        ALL.split('\n')
          .filter((l) => !l.includes('name: c,'))
          .join('\n'),
      ),
    );
    t = await text();
    expect(matching(t, 'mcp_catalog_server_up', C)).toEqual([]);
    expect(matching(t, 'mcp_catalog_server_failures_total', C)).toEqual([]);
  });

  it("mcp_catalog with gatewayHealth: the gateway's word and the mismatch per server; a failed health read changes nothing", async () => {
    rec.declare(probes(ALL));
    const run = (at: number, gatewayHealth: CatalogDetails['gatewayHealth']): void =>
      recordRun(C, 'ok', at, 80, {
        details: { catalog: catalog({ a: 1 }), expectedTools: {}, ...(gatewayHealth && { gatewayHealth }) },
      });
    run(T0, {
      servers: {
        mcp_broken: { healthy: true, status: 'healthy', mismatch: true },
        other: { healthy: false, status: 'unknown' },
      },
    });
    let t = await text();
    expect(matching(t, 'mcp_gateway_server_healthy', C)).toEqual(samplesOf(C, 'server', { mcp_broken: 1, other: 0 }));
    expect(matching(t, 'mcp_gateway_health_mismatch', C)).toEqual(samplesOf(C, 'server', { mcp_broken: 1 }));
    run(T0 + 30_000, { servers: {}, error: 'could not read the gateway health: 500' });
    const after = await text();
    for (const name of ['mcp_gateway_server_healthy', 'mcp_gateway_health_mismatch'])
      expect(matching(after, name, C), name).toEqual(matching(t, name, C));
    run(T0 + 60_000, { servers: { mcp_broken: { healthy: false, status: 'unhealthy', mismatch: false } } });
    t = await text();
    expect(matching(t, 'mcp_gateway_server_healthy', C)).toEqual(samplesOf(C, 'server', { mcp_broken: 0 }));
    expect(matching(t, 'mcp_gateway_health_mismatch', C)).toEqual(samplesOf(C, 'server', { mcp_broken: 0 }));
  });

  it('mcp_catalog: a run without a catalog (the gateway rejected it) leaves the catalog series as they were', async () => {
    recordRun(C, 'ok', T0, 80, {
      details: { catalog: catalog({ github: 3 }), expectedTools: { 'github-search': true } },
    });
    recordRun(C, 'auth_rejected', T0 + 1000, 10, { details: { status: 401, body: 'no' } });
    recordRun(C, 'timeout', T0 + 2000, 10);
    const t = await text();
    expect(matching(t, 'mcp_catalog_tools', C)).toEqual(samplesOf(C, 'server', { github: 3 }));
    expect(matching(t, 'mcp_catalog_tool_present', C)).toEqual(samplesOf(C, 'tool', { 'github-search': 1 }));
    expect(value(t, 'mcp_catalog_changes_total', { ...C, change: 'added' })).toBe(0);
    expect(value(t, 'mcp_probe_consecutive_failures', C)).toBe(2);
  });

  it('auth_guard: mcp_auth_enforced per check; checks with enforced unset (valid_key, undecided) give no series', async () => {
    recordRun(G, 'auth_not_enforced', T0, 300, {
      details: {
        authChecks: {
          no_key: { enforced: true, status: 401, reason: 'rejected' },
          wrong_key: { enforced: false, status: 200, reason: 'let through' },
          no_bearer_prefix: { reason: 'could not tell' },
          valid_key: { accepted: true, status: 200, reason: 'accepted' },
        },
      },
    });
    const t = await text();
    expect(matching(t, 'mcp_auth_enforced', G)).toEqual(samplesOf(G, 'check', { no_key: 1, wrong_key: 0 }));
    expect(value(t, 'mcp_probe_success', G)).toBe(0);
    expect(value(t, 'mcp_probe_runs_total', { ...G, outcome: 'auth_not_enforced' })).toBe(1);
  });

  it('mcp_probe_protocol_info: one series per probe, the old one removed when the era or version changes', async () => {
    const legacy = { era: 'legacy', version: '2025-11-25', via: 'initialize' } as const;
    const modern = { era: 'modern', version: '2026-07-28', via: 'discover' } as const;
    const info = (labels: Labels) => ({ probe: labels.probe!, target: labels.target! });
    recordRun(K, 'ok', T0, 100, {
      details: { tool: 'echo', isError: false, textBytes: 0, text: '', protocol: legacy },
    });
    recordRun(C, 'ok', T0, 100, { details: { catalog: catalog({}), expectedTools: {}, protocol: modern } });
    let t = await text();
    expect(matching(t, 'mcp_probe_protocol_info', info(K))).toEqual([
      { labels: { ...info(K), era: 'legacy', version: '2025-11-25' }, value: 1 },
    ]);
    expect(matching(t, 'mcp_probe_protocol_info', info(C))).toEqual([
      { labels: { ...info(C), era: 'modern', version: '2026-07-28' }, value: 1 },
    ]);
    // A run that failed before it spoke leaves the series; a change replaces it.
    recordRun(K, 'connect_error', T0 + 1000, 10, {});
    recordRun(K, 'ok', T0 + 2000, 100, {
      details: { tool: 'echo', isError: false, textBytes: 0, text: '', protocol: modern },
    });
    t = await text();
    expect(matching(t, 'mcp_probe_protocol_info', info(K))).toEqual([
      { labels: { ...info(K), era: 'modern', version: '2026-07-28' }, value: 1 },
    ]);
    // A probe removed by a reload leaves none.
    rec.declare(probes(`  - { name: h, type: http, target: lan, path: /health }\n`));
    expect(matching(await text(), 'mcp_probe_protocol_info', {})).toEqual([]);
  });

  it('http and mcp_call results set no catalog or auth series', async () => {
    recordRun(H, 'ok', T0, 5, { details: { status: 200, bodyBytes: 2, bodyTruncated: false } });
    recordRun(K, 'ok', T0, 5, { details: { tool: 'echo', isError: false, textBytes: 2, text: 'hi' } });
    const t = await text();
    expect(samples(t, 'mcp_catalog_tools')).toEqual([]);
    expect(samples(t, 'mcp_catalog_tool_present')).toEqual([]);
    expect(samples(t, 'mcp_auth_enforced')).toEqual([]);
  });
});

describe('ProbeRecorder after a reload (declare again)', () => {
  const SECOND = `  - { name: c, type: mcp_catalog, target: wan }
  - { name: k, type: mcp_call, target: lan, tool: echo }
  - { name: g, type: http, target: lan, path: /health }
`;

  function recordAll(): void {
    recordRun(H, 'ok', T0, 5, { phases: { http: 5 } });
    recordRun(C, 'ok', T0, 80, {
      phases: { connect: 10, list_tools: 60 },
      details: { catalog: catalog({ github: 3 }, true), expectedTools: { 'github-search': true } },
    });
    recordRun(K, 'ok', T0, 5);
    recordRun(G, 'ok', T0, 5, {
      phases: { connect: 1 },
      details: { authChecks: { no_key: { enforced: true, reason: 'r' }, valid_key: { accepted: true, reason: 'r' } } },
    });
  }

  it('accepts results of configured probes only', () => {
    rec.declare(probes(ALL));
    expect(rec.accepts(result({ ...H, outcome: 'ok', startedAt: T0, durationMs: 1 }))).toBe(true);
    expect(
      rec.accepts(result({ probe: 'nope', target: 'lan', type: 'http', outcome: 'ok', startedAt: T0, durationMs: 1 })),
    ).toBe(false);
    expect(
      rec.accepts(result({ probe: 'h', target: 'wan', type: 'http', outcome: 'ok', startedAt: T0, durationMs: 1 })),
    ).toBe(false);
    expect(
      rec.accepts(result({ probe: 'h', target: 'lan', type: 'mcp_call', outcome: 'ok', startedAt: T0, durationMs: 1 })),
    ).toBe(false);
  });

  it('removes every series of removed or relabelled probes and starts the new ones at 0', async () => {
    rec.declare(probes(ALL));
    recordAll();
    rec.skipped(probes(ALL)[0]!);
    const before = await text();
    expect(matching(before, 'mcp_probe_success', H)).toHaveLength(1);
    expect(matching(before, 'mcp_catalog_tools', C)).toHaveLength(1);
    expect(matching(before, 'mcp_auth_enforced', G)).toHaveLength(1);

    rec.declare(probes(SECOND));
    const t = await text();
    // h (removed), c on lan (target changed) and g as auth_guard (type changed): no series left at all.
    for (const gone of [H, C, G]) {
      expect(
        t
          .split('\n')
          .filter((l) => !l.startsWith('#') && Object.entries(gone).every(([k, v]) => l.includes(`${k}="${v}"`))),
        `${gone.probe}/${gone.type}`,
      ).toEqual([]);
    }
    // k is unchanged: its series and counts are kept.
    expect(value(t, 'mcp_probe_success', K)).toBe(1);
    expect(value(t, 'mcp_probe_runs_total', { ...K, outcome: 'ok' })).toBe(1);
    // c on wan and g as http are new: counters at 0, no gauges yet.
    const C2 = { probe: 'c', target: 'wan', type: 'mcp_catalog' };
    const G2 = { probe: 'g', target: 'lan', type: 'http' };
    for (const labels of [C2, G2]) {
      expect(matching(t, 'mcp_probe_runs_total', labels).map((s) => [s.labels.outcome, s.value])).toEqual(
        OUTCOMES.map((o) => [o, 0]),
      );
      expect(value(t, 'mcpwatch_probe_skipped_runs_total', labels)).toBe(0);
      expect(value(t, 'mcp_probe_success', labels)).toBeUndefined();
    }
    expect(samples(t, 'mcp_catalog_changes_total')).toEqual(
      CATALOG_CHANGE_KINDS.map((change) => ({ labels: { ...C2, change }, value: 0 })),
    );
    expect(samples(t, 'mcp_catalog_tools')).toEqual([]);
    expect(samples(t, 'mcp_catalog_tool_present')).toEqual([]);
    expect(samples(t, 'mcp_auth_enforced')).toEqual([]);
    expect(samples(t, 'mcp_probe_phase_duration_seconds')).toEqual([]);
    expect(samples(t, 'mcp_probe_duration_seconds_count').map((s) => s.labels)).toEqual([K]);
  });

  it('does not accept or record a result of a probe removed or changed since the run started', async () => {
    rec.declare(probes(ALL));
    rec.declare(probes(SECOND));
    const late = [
      runOf(H, 'ok', T0, 5, { phases: { http: 5 } }),
      runOf(C, 'ok', T0, 5, { details: { catalog: catalog({ github: 3 }, true), expectedTools: { x: true } } }),
      runOf(G, 'ok', T0, 5, { details: { authChecks: { no_key: { enforced: true, reason: 'r' } } } }),
    ];
    const before = await text();
    for (const r of late) {
      expect(rec.accepts(r), r.probe).toBe(false);
      rec.record(r);
    }
    expect(await text()).toBe(before);
  });
});

describe('ProbeRecorder.skipped', () => {
  it('increments the skipped counter of the probe', async () => {
    const ps = probes(ALL);
    rec.declare(ps);
    const [h, c] = ps;
    rec.skipped(h!);
    rec.skipped(h!);
    rec.skipped(c!);
    const t = await text();
    expect(value(t, 'mcpwatch_probe_skipped_runs_total', H)).toBe(2);
    expect(value(t, 'mcpwatch_probe_skipped_runs_total', C)).toBe(1);
    expect(value(t, 'mcpwatch_probe_skipped_runs_total', K)).toBe(0);
  });

  it('ignores a probe that is not declared', async () => {
    rec.declare(probes(ALL));
    const before = await text();
    rec.skipped(probes(`  - { name: other, type: http, target: lan }\n`)[0]!);
    expect(await text()).toBe(before);
  });
});

describe('OAuth token metrics', () => {
  const oauth = (requests: Array<'ok' | 'rejected' | 'error'>, expiresAt?: number) => ({
    grant: 'client_credentials' as const,
    clientId: 'mcpwatch',
    authMethod: 'client_secret_basic' as const,
    scopes: [],
    token: requests.includes('ok') ? ('requested' as const) : expiresAt ? ('cached' as const) : ('none' as const),
    requests: requests.map((outcome) => ({ at: T0, durationMs: 5, outcome, why: 'first' as const })),
    ...(expiresAt !== undefined && { expiresAt }),
  });

  it('counts token requests per target from 0, sets the expiry, drops the series when the target has no oauth2 any more', async () => {
    rec.declare(probes(ALL), ['lan']);
    expect(value(await text(), 'mcp_oauth_token_requests_total', { target: 'lan', outcome: 'rejected' })).toBe(0);
    recordRun(C, 'auth_rejected', T0, 10, { oauth: oauth(['rejected']) });
    recordRun(K, 'ok', T0, 10, { oauth: oauth(['ok'], T0 + 300_000) });
    recordRun(H, 'ok', T0, 10, { oauth: oauth([], T0 + 300_000) });
    const t = await text();
    expect(value(t, 'mcp_oauth_token_requests_total', { target: 'lan', outcome: 'ok' })).toBe(1);
    expect(value(t, 'mcp_oauth_token_requests_total', { target: 'lan', outcome: 'rejected' })).toBe(1);
    expect(value(t, 'mcp_oauth_token_requests_total', { target: 'lan', outcome: 'error' })).toBe(0);
    expect(value(t, 'mcp_oauth_token_expiry_timestamp_seconds', { target: 'lan' })).toBe((T0 + 300_000) / 1000);
    rec.declare(probes(ALL), []);
    const after = await text();
    expect(samples(after, 'mcp_oauth_token_requests_total')).toEqual([]);
    expect(samples(after, 'mcp_oauth_token_expiry_timestamp_seconds')).toEqual([]);
  });
});

describe('client config findings', () => {
  it('counts findings per code and severity; a code fixed goes back to 0; a removed probe loses its series', async () => {
    const ps = probes(
      `${ALL}  - { name: cc, type: client_config, target: lan, file: /x/config.toml, server: litellm }\n`,
    );
    rec.declare(ps);
    const labels = { probe: 'cc', target: 'lan', type: 'client_config' } as const;
    const details = (codes: Array<[string, 'error' | 'warning']>) => ({
      client: 'Codex CLI',
      file: '/x/config.toml',
      server: 'litellm',
      line: 1,
      findings: codes.map(([code, severity], i) => ({ line: i + 1, code, severity, message: 'm', fix: 'f' })),
    });
    recordRun(labels, 'expectation_failed', T0, 5, {
      details: details([
        ['missing_bearer_prefix', 'error'],
        ['plaintext_key', 'warning'],
        ['plaintext_key', 'warning'],
      ]),
    });
    let t = await text();
    expect(
      value(t, 'mcp_client_config_findings', { ...labels, code: 'missing_bearer_prefix', severity: 'error' }),
    ).toBe(1);
    expect(value(t, 'mcp_client_config_findings', { ...labels, code: 'plaintext_key', severity: 'warning' })).toBe(2);
    recordRun(labels, 'ok', T0, 5, { details: details([]) });
    t = await text();
    expect(
      value(t, 'mcp_client_config_findings', { ...labels, code: 'missing_bearer_prefix', severity: 'error' }),
    ).toBe(0);
    rec.declare(probes(ALL));
    expect(samples(await text(), 'mcp_client_config_findings')).toEqual([]);
  });
});
