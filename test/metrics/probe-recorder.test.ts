import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Probe, parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { OUTCOMES, type ServerState } from '../../src/probes/types.js';
import { type CatalogDetails, type CatalogSummary } from '../../src/probes/mcp-catalog/details.js';
import { type ProbeResult } from '../../src/probes/table.js';
import { matching, samples, value } from '../support/exposition.js';

// ---- helpers ----

const TARGETS = `targets:
  lan:
    url: http://litellm.lan:4000
    apiKey: sk-test-1234567890abcdef
  wan:
    url: http://litellm.wan:4000
    apiKey: sk-test-abcdef1234567890
`;

function probes(yaml: string): Probe[] {
  const r = parseConfig(`${TARGETS}probes:\n${yaml}`, {});
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.config.probes;
}

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
    added: [],
    removed: [],
    changedSchemas: [],
    tools: Object.values(toolsPerServer).reduce((a, b) => a + b, 0),
    toolsPerServer,
    fingerprint: 'f',
  };
}

const H = { probe: 'h', target: 'lan', type: 'http' };
const C = { probe: 'c', target: 'lan', type: 'mcp_catalog' };
const K = { probe: 'k', target: 'lan', type: 'mcp_call' };
const G = { probe: 'g', target: 'lan', type: 'auth_guard' };

let registry: Registry;
let rec: ProbeRecorder;
const text = (): Promise<string> => registry.metrics();

beforeEach(() => {
  registry = new Registry();
  rec = new ProbeRecorder(createMetrics(registry, { defaultMetrics: false }));
});

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
    expect(samples(t, 'mcp_catalog_changes_total')).toEqual([{ labels: C, value: 0 }]);
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
    rec.record(result({ probe: 'h', target: 'lan', type: 'http', outcome: 'timeout', startedAt: T0, durationMs: 100 }));
    rec.declare(probes(ALL));
    rec.record(
      result({ probe: 'h', target: 'lan', type: 'http', outcome: 'timeout', startedAt: T0 + 1000, durationMs: 100 }),
    );
    const t = await text();
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'timeout' })).toBe(2);
    expect(value(t, 'mcp_probe_consecutive_failures', H)).toBe(2);
  });
});

describe('ProbeRecorder.record', () => {
  beforeEach(() => rec.declare(probes(ALL)));

  it('records a successful run: success, durations, runs by outcome, timestamps of its end in seconds', async () => {
    rec.record(result({ probe: 'h', target: 'lan', type: 'http', outcome: 'ok', startedAt: T0, durationMs: 250 }));
    const t = await text();
    expect(value(t, 'mcp_probe_success', H)).toBe(1);
    expect(value(t, 'mcp_probe_last_duration_seconds', H)).toBe(0.25);
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'ok' })).toBe(1);
    for (const outcome of OUTCOMES.filter((o) => o !== 'ok'))
      expect(value(t, 'mcp_probe_runs_total', { ...H, outcome })).toBe(0);
    expect(value(t, 'mcp_probe_last_run_timestamp_seconds', H)).toBe(1_700_000_000.25);
    expect(value(t, 'mcp_probe_last_success_timestamp_seconds', H)).toBe(1_700_000_000.25);
    expect(value(t, 'mcp_probe_consecutive_failures', H)).toBe(0);
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
    const run = (outcome: ProbeResult['outcome'], startedAt: number, durationMs: number) =>
      rec.record(result({ probe: 'h', target: 'lan', type: 'http', outcome, startedAt, durationMs }));

    run('ok', T0, 250);
    run('timeout', T0 + 60_000, 10_000);
    let t = await text();
    expect(value(t, 'mcp_probe_success', H)).toBe(0);
    expect(value(t, 'mcp_probe_consecutive_failures', H)).toBe(1);
    expect(value(t, 'mcp_probe_last_duration_seconds', H)).toBe(10);
    expect(value(t, 'mcp_probe_last_run_timestamp_seconds', H)).toBe(1_700_000_070);
    expect(value(t, 'mcp_probe_last_success_timestamp_seconds', H)).toBe(1_700_000_000.25);

    run('http_error', T0 + 120_000, 40);
    t = await text();
    expect(value(t, 'mcp_probe_consecutive_failures', H)).toBe(2);
    expect(value(t, 'mcp_probe_last_run_timestamp_seconds', H)).toBe(1_700_000_120.04);
    expect(value(t, 'mcp_probe_last_success_timestamp_seconds', H)).toBe(1_700_000_000.25);

    run('ok', T0 + 180_000, 500);
    t = await text();
    expect(value(t, 'mcp_probe_success', H)).toBe(1);
    expect(value(t, 'mcp_probe_consecutive_failures', H)).toBe(0);
    expect(value(t, 'mcp_probe_last_success_timestamp_seconds', H)).toBe(1_700_000_180.5);
    expect(value(t, 'mcp_probe_last_run_timestamp_seconds', H)).toBe(1_700_000_180.5);
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'ok' })).toBe(2);
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'timeout' })).toBe(1);
    expect(value(t, 'mcp_probe_runs_total', { ...H, outcome: 'http_error' })).toBe(1);
    expect(value(t, 'mcp_probe_duration_seconds_count', H)).toBe(4);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '0.05' })).toBe(1);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '0.5' })).toBe(3);
    expect(value(t, 'mcp_probe_duration_seconds_bucket', { ...H, le: '10' })).toBe(4);
  });

  it('a failure streak is kept per probe', async () => {
    rec.record(result({ probe: 'h', target: 'lan', type: 'http', outcome: 'timeout', startedAt: T0, durationMs: 1 }));
    rec.record(
      result({ probe: 'k', target: 'lan', type: 'mcp_call', outcome: 'tool_error', startedAt: T0, durationMs: 1 }),
    );
    rec.record(result({ probe: 'h', target: 'lan', type: 'http', outcome: 'timeout', startedAt: T0, durationMs: 1 }));
    const t = await text();
    expect(value(t, 'mcp_probe_consecutive_failures', H)).toBe(2);
    expect(value(t, 'mcp_probe_consecutive_failures', K)).toBe(1);
  });

  it('sets phase durations in seconds; a phase missing from the next run is removed', async () => {
    rec.record(
      result({
        probe: 'k',
        target: 'lan',
        type: 'mcp_call',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 100,
        phases: { connect: 12, initialize: 30, call_tool: 50 },
      }),
    );
    let t = await text();
    expect(matching(t, 'mcp_probe_phase_duration_seconds', K)).toEqual([
      { labels: { ...K, phase: 'connect' }, value: 0.012 },
      { labels: { ...K, phase: 'initialize' }, value: 0.03 },
      { labels: { ...K, phase: 'call_tool' }, value: 0.05 },
    ]);

    rec.record(
      result({
        probe: 'k',
        target: 'lan',
        type: 'mcp_call',
        outcome: 'connect_error',
        startedAt: T0 + 1000,
        durationMs: 5,
        phases: { connect: 5 },
      }),
    );
    t = await text();
    expect(matching(t, 'mcp_probe_phase_duration_seconds', K)).toEqual([
      { labels: { ...K, phase: 'connect' }, value: 0.005 },
    ]);

    rec.record(
      result({
        probe: 'k',
        target: 'lan',
        type: 'mcp_call',
        outcome: 'internal_error',
        startedAt: T0 + 2000,
        durationMs: 0,
        phases: {},
      }),
    );
    t = await text();
    expect(matching(t, 'mcp_probe_phase_duration_seconds', K)).toEqual([]);
  });

  it('mcp_catalog: tools per server (a server gone next run is removed), expected tools present, changes counted', async () => {
    rec.record(
      result({
        probe: 'c',
        target: 'lan',
        type: 'mcp_catalog',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 80,
        details: {
          catalog: catalog({ github: 3, jira: 2 }),
          expectedTools: { 'github-search': true, 'jira-get_issue': false },
        },
      }),
    );
    let t = await text();
    expect(matching(t, 'mcp_catalog_tools', C)).toEqual([
      { labels: { ...C, server: 'github' }, value: 3 },
      { labels: { ...C, server: 'jira' }, value: 2 },
    ]);
    expect(matching(t, 'mcp_catalog_tool_present', C)).toEqual([
      { labels: { ...C, tool: 'github-search' }, value: 1 },
      { labels: { ...C, tool: 'jira-get_issue' }, value: 0 },
    ]);
    expect(value(t, 'mcp_catalog_changes_total', C)).toBe(0);

    rec.record(
      result({
        probe: 'c',
        target: 'lan',
        type: 'mcp_catalog',
        outcome: 'expectation_failed',
        startedAt: T0 + 30_000,
        durationMs: 80,
        details: {
          catalog: catalog({ github: 4 }, true),
          expectedTools: { 'github-search': false, 'jira-get_issue': true },
        },
      }),
    );
    t = await text();
    expect(matching(t, 'mcp_catalog_tools', C)).toEqual([{ labels: { ...C, server: 'github' }, value: 4 }]);
    expect(matching(t, 'mcp_catalog_tool_present', C)).toEqual([
      { labels: { ...C, tool: 'github-search' }, value: 0 },
      { labels: { ...C, tool: 'jira-get_issue' }, value: 1 },
    ]);
    expect(value(t, 'mcp_catalog_changes_total', C)).toBe(1);

    rec.record(
      result({
        probe: 'c',
        target: 'lan',
        type: 'mcp_catalog',
        outcome: 'ok',
        startedAt: T0 + 60_000,
        durationMs: 80,
        details: { catalog: catalog({ github: 4, jira: 1 }, true), expectedTools: { 'github-search': true } },
      }),
    );
    t = await text();
    expect(matching(t, 'mcp_catalog_tools', C)).toEqual([
      { labels: { ...C, server: 'github' }, value: 4 },
      { labels: { ...C, server: 'jira' }, value: 1 },
    ]);
    expect(matching(t, 'mcp_catalog_tool_present', C)).toEqual([{ labels: { ...C, tool: 'github-search' }, value: 1 }]);
    expect(value(t, 'mcp_catalog_changes_total', C)).toBe(2);
  });

  it('mcp_catalog: per-server up and failures by reason; a server no longer reported loses its up series; removal clears both', async () => {
    rec.declare(probes(ALL));
    const run = (at: number, servers: Record<string, ServerState>): void =>
      rec.record(
        result({
          probe: 'c',
          target: 'lan',
          type: 'mcp_catalog',
          outcome: 'ok',
          startedAt: at,
          durationMs: 80,
          details: { catalog: catalog({ mcp_pg: 0, mcp_fs: 14 }), expectedTools: {}, servers },
        }),
      );
    run(T0, {
      mcp_pg: { up: false, tools: 0, reason: 'timeout', said: 'timeout' },
      mcp_fs: { up: true, tools: 14 },
      mcp_broken: { up: false, tools: 0, reason: 'internal' },
    });
    run(T0 + 30_000, { mcp_pg: { up: false, tools: 0, reason: 'timeout' }, mcp_fs: { up: true, tools: 14 } });
    let t = await text();
    expect(matching(t, 'mcp_catalog_server_up', C)).toEqual([
      { labels: { ...C, server: 'mcp_pg' }, value: 0 },
      { labels: { ...C, server: 'mcp_fs' }, value: 1 },
    ]);
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
      rec.record(
        result({
          probe: 'c',
          target: 'lan',
          type: 'mcp_catalog',
          outcome: 'ok',
          startedAt: at,
          durationMs: 80,
          details: { catalog: catalog({ a: 1 }), expectedTools: {}, ...(gatewayHealth && { gatewayHealth }) },
        }),
      );
    run(T0, {
      servers: {
        mcp_broken: { healthy: true, status: 'healthy', mismatch: true },
        other: { healthy: false, status: 'unknown' },
      },
    });
    let t = await text();
    expect(matching(t, 'mcp_gateway_server_healthy', C)).toEqual([
      { labels: { ...C, server: 'mcp_broken' }, value: 1 },
      { labels: { ...C, server: 'other' }, value: 0 },
    ]);
    expect(matching(t, 'mcp_gateway_health_mismatch', C)).toEqual([
      { labels: { ...C, server: 'mcp_broken' }, value: 1 },
    ]);
    run(T0 + 30_000, { servers: {}, error: 'could not read the gateway health: 500' });
    const after = await text();
    for (const name of ['mcp_gateway_server_healthy', 'mcp_gateway_health_mismatch'])
      expect(matching(after, name, C), name).toEqual(matching(t, name, C));
    run(T0 + 60_000, { servers: { mcp_broken: { healthy: false, status: 'unhealthy', mismatch: false } } });
    t = await text();
    expect(matching(t, 'mcp_gateway_server_healthy', C)).toEqual([
      { labels: { ...C, server: 'mcp_broken' }, value: 0 },
    ]);
    expect(matching(t, 'mcp_gateway_health_mismatch', C)).toEqual([
      { labels: { ...C, server: 'mcp_broken' }, value: 0 },
    ]);
  });

  it('mcp_catalog: a run without a catalog (the gateway rejected it) leaves the catalog series as they were', async () => {
    rec.record(
      result({
        probe: 'c',
        target: 'lan',
        type: 'mcp_catalog',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 80,
        details: { catalog: catalog({ github: 3 }), expectedTools: { 'github-search': true } },
      }),
    );
    rec.record(
      result({
        probe: 'c',
        target: 'lan',
        type: 'mcp_catalog',
        outcome: 'auth_rejected',
        startedAt: T0 + 1000,
        durationMs: 10,
        details: { status: 401, body: 'no' },
      }),
    );
    rec.record(
      result({
        probe: 'c',
        target: 'lan',
        type: 'mcp_catalog',
        outcome: 'timeout',
        startedAt: T0 + 2000,
        durationMs: 10,
      }),
    );
    const t = await text();
    expect(matching(t, 'mcp_catalog_tools', C)).toEqual([{ labels: { ...C, server: 'github' }, value: 3 }]);
    expect(matching(t, 'mcp_catalog_tool_present', C)).toEqual([{ labels: { ...C, tool: 'github-search' }, value: 1 }]);
    expect(value(t, 'mcp_catalog_changes_total', C)).toBe(0);
    expect(value(t, 'mcp_probe_consecutive_failures', C)).toBe(2);
  });

  it('auth_guard: mcp_auth_enforced per check; checks with enforced unset (valid_key, undecided) give no series', async () => {
    rec.record(
      result({
        probe: 'g',
        target: 'lan',
        type: 'auth_guard',
        outcome: 'auth_not_enforced',
        startedAt: T0,
        durationMs: 300,
        details: {
          authChecks: {
            no_key: { enforced: true, status: 401, reason: 'rejected' },
            wrong_key: { enforced: false, status: 200, reason: 'let through' },
            no_bearer_prefix: { reason: 'could not tell' },
            valid_key: { accepted: true, status: 200, reason: 'accepted' },
          },
        },
      }),
    );
    const t = await text();
    expect(matching(t, 'mcp_auth_enforced', G)).toEqual([
      { labels: { ...G, check: 'no_key' }, value: 1 },
      { labels: { ...G, check: 'wrong_key' }, value: 0 },
    ]);
    expect(value(t, 'mcp_probe_success', G)).toBe(0);
    expect(value(t, 'mcp_probe_runs_total', { ...G, outcome: 'auth_not_enforced' })).toBe(1);
  });

  it('http and mcp_call results set no catalog or auth series', async () => {
    rec.record(
      result({
        probe: 'h',
        target: 'lan',
        type: 'http',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 5,
        details: { status: 200, bodyBytes: 2, bodyTruncated: false },
      }),
    );
    rec.record(
      result({
        probe: 'k',
        target: 'lan',
        type: 'mcp_call',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 5,
        details: { tool: 'echo', isError: false, textBytes: 2, text: 'hi' },
      }),
    );
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
    rec.record(
      result({
        probe: 'h',
        target: 'lan',
        type: 'http',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 5,
        phases: { http: 5 },
      }),
    );
    rec.record(
      result({
        probe: 'c',
        target: 'lan',
        type: 'mcp_catalog',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 80,
        phases: { connect: 10, list_tools: 60 },
        details: { catalog: catalog({ github: 3 }, true), expectedTools: { 'github-search': true } },
      }),
    );
    rec.record(result({ probe: 'k', target: 'lan', type: 'mcp_call', outcome: 'ok', startedAt: T0, durationMs: 5 }));
    rec.record(
      result({
        probe: 'g',
        target: 'lan',
        type: 'auth_guard',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 5,
        phases: { connect: 1 },
        details: {
          authChecks: { no_key: { enforced: true, reason: 'r' }, valid_key: { accepted: true, reason: 'r' } },
        },
      }),
    );
  }

  it('accepts results of configured probes only', () => {
    rec.declare(probes(ALL));
    expect(
      rec.accepts(result({ probe: 'h', target: 'lan', type: 'http', outcome: 'ok', startedAt: T0, durationMs: 1 })),
    ).toBe(true);
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
    expect(samples(t, 'mcp_catalog_changes_total')).toEqual([{ labels: C2, value: 0 }]);
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
      result({
        probe: 'h',
        target: 'lan',
        type: 'http',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 5,
        phases: { http: 5 },
      }),
      result({
        probe: 'c',
        target: 'lan',
        type: 'mcp_catalog',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 5,
        details: { catalog: catalog({ github: 3 }, true), expectedTools: { x: true } },
      }),
      result({
        probe: 'g',
        target: 'lan',
        type: 'auth_guard',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 5,
        details: { authChecks: { no_key: { enforced: true, reason: 'r' } } },
      }),
    ] satisfies ProbeResult[];
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
    rec.record(
      result({
        probe: 'c',
        type: 'mcp_catalog',
        target: 'lan',
        outcome: 'auth_rejected',
        startedAt: T0,
        durationMs: 10,
        oauth: oauth(['rejected']),
      }),
    );
    rec.record(
      result({
        probe: 'k',
        type: 'mcp_call',
        target: 'lan',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 10,
        oauth: oauth(['ok'], T0 + 300_000),
      }),
    );
    rec.record(
      result({
        probe: 'h',
        type: 'http',
        target: 'lan',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 10,
        oauth: oauth([], T0 + 300_000),
      }),
    );
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
    const labels = { probe: 'cc', target: 'lan', type: 'client_config' };
    const details = (codes: Array<[string, 'error' | 'warning']>) => ({
      client: 'Codex CLI',
      file: '/x/config.toml',
      server: 'litellm',
      line: 1,
      findings: codes.map(([code, severity], i) => ({ line: i + 1, code, severity, message: 'm', fix: 'f' })),
    });
    rec.record(
      result({
        probe: 'cc',
        type: 'client_config',
        target: 'lan',
        outcome: 'expectation_failed',
        startedAt: T0,
        durationMs: 5,
        details: details([
          ['missing_bearer_prefix', 'error'],
          ['plaintext_key', 'warning'],
          ['plaintext_key', 'warning'],
        ]),
      }),
    );
    let t = await text();
    expect(
      value(t, 'mcp_client_config_findings', { ...labels, code: 'missing_bearer_prefix', severity: 'error' }),
    ).toBe(1);
    expect(value(t, 'mcp_client_config_findings', { ...labels, code: 'plaintext_key', severity: 'warning' })).toBe(2);
    rec.record(
      result({
        probe: 'cc',
        type: 'client_config',
        target: 'lan',
        outcome: 'ok',
        startedAt: T0,
        durationMs: 5,
        details: details([]),
      }),
    );
    t = await text();
    expect(
      value(t, 'mcp_client_config_findings', { ...labels, code: 'missing_bearer_prefix', severity: 'error' }),
    ).toBe(0);
    rec.declare(probes(ALL));
    expect(samples(await text(), 'mcp_client_config_findings')).toEqual([]);
  });
});
