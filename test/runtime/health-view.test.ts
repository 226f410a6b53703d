import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import type { LogHealth } from '../../src/logs/log-service.js';
import type { Outcome } from '../../src/probes/types.js';
import { probeTypeOf, type ProbeResult } from '../../src/probes/table.js';
import {
  type Check,
  type HealthInput,
  type HealthStatus,
  type TargetHealth,
  healthView,
  httpStatusFor,
  overallStatus,
} from '../../src/runtime/health-view.js';
import { ResultStore } from '../../src/scheduler/history.js';
import type { SchedulerHealth } from '../../src/scheduler/scheduler.js';

const LOADED_AT = Date.UTC(2024, 4, 1, 12, 0, 0);
const LOADED_AT_ISO = '2024-05-01T12:00:00.000Z';
const CONFIG_PATH = '/etc/mcpwatch/mcpwatch.yaml';

const scheduler = (over: Partial<SchedulerHealth> = {}): SchedulerHealth => ({
  running: true,
  probes: 2,
  inFlight: 1,
  queued: 0,
  oldestQueuedMs: 0,
  stalled: [],
  ...over,
});

function input(over: Partial<HealthInput> = {}): HealthInput {
  return {
    configPath: CONFIG_PATH,
    loadedAt: LOADED_AT,
    lastReload: { ok: true, problems: [] },
    scheduler: scheduler(),
    stopping: false,
    eventLoop: { maxDelayMs: 12, limitMs: 1_000 },
    targets: ['lan'],
    probes: [{ name: 'a', target: 'lan' }],
    lastSuccess: () => true,
    ...over,
  };
}

const logsOk: LogHealth = {
  status: 'ok',
  dockerUp: true,
  endpoint: '/var/run/docker.sock',
  containers: { litellm: 'following' },
};
const logsDegraded: LogHealth = {
  status: 'degraded',
  message: 'docker is unreachable',
  dockerUp: false,
  endpoint: '/var/run/docker.sock',
  containers: { litellm: 'waiting' },
};

describe('overallStatus and httpStatusFor', () => {
  const c = (status: Check['status']): Check => ({ status });
  it.each<[string, Record<string, Check>, HealthStatus, number]>([
    ['no checks', {}, 'ok', 200],
    ['all ok', { a: c('ok'), b: c('ok') }, 'ok', 200],
    ['one degraded', { a: c('ok'), b: c('degraded') }, 'degraded', 200],
    ['one fail', { a: c('ok'), b: c('fail') }, 'unhealthy', 503],
    ['fail beats degraded', { a: c('degraded'), b: c('fail'), d: c('degraded') }, 'unhealthy', 503],
  ])('%s → %s / %i', (_name, checks, status, http) => {
    expect(overallStatus(checks)).toBe(status);
    expect(httpStatusFor(overallStatus(checks))).toBe(http);
  });

  it.each<[HealthStatus, number]>([
    ['ok', 200],
    ['degraded', 200],
    ['unhealthy', 503],
  ])('httpStatusFor(%s) = %i', (status, http) => expect(httpStatusFor(status)).toBe(http));
});

describe('healthView: checks', () => {
  const cases: Array<{
    name: string;
    input: Partial<HealthInput>;
    check: string;
    expected: Check | undefined;
    status: HealthStatus;
  }> = [
    {
      name: 'all ok: the config check names the file and when it was loaded',
      input: {},
      check: 'config',
      expected: { status: 'ok', path: CONFIG_PATH, loadedAt: LOADED_AT_ISO },
      status: 'ok',
    },
    {
      name: 'the last reload failed: config degraded, problems as path: message',
      input: {
        lastReload: {
          ok: false,
          problems: [
            { path: 'probes[0].every', message: 'duration "0s" must be greater than zero' },
            { path: 'targets.lan', message: 'set apiKey or apiKeyFile, not both' },
          ],
        },
      },
      check: 'config',
      expected: {
        status: 'degraded',
        message: 'the last reload failed: running the previous config',
        path: CONFIG_PATH,
        loadedAt: LOADED_AT_ISO,
        problems: [
          'probes[0].every: duration "0s" must be greater than zero',
          'targets.lan: set apiKey or apiKeyFile, not both',
        ],
      },
      status: 'degraded',
    },
    {
      name: 'all ok: the scheduler check carries the scheduler health',
      input: {},
      check: 'scheduler',
      expected: { status: 'ok', running: true, probes: 2, inFlight: 1, queued: 0, oldestQueuedMs: 0, stalled: [] },
      status: 'ok',
    },
    {
      name: 'stalled probes fail the scheduler',
      input: { scheduler: scheduler({ stalled: ['a', 'b'] }) },
      check: 'scheduler',
      expected: {
        status: 'fail',
        message: 'probes overdue: a, b',
        running: true,
        probes: 2,
        inFlight: 1,
        queued: 0,
        oldestQueuedMs: 0,
        stalled: ['a', 'b'],
      },
      status: 'unhealthy',
    },
    {
      name: 'stalled probes win over a long queue',
      input: { scheduler: scheduler({ stalled: ['a'], queued: 3, oldestQueuedMs: 120_000 }) },
      check: 'scheduler',
      expected: {
        status: 'fail',
        message: 'probes overdue: a',
        running: true,
        probes: 2,
        inFlight: 1,
        queued: 3,
        oldestQueuedMs: 120_000,
        stalled: ['a'],
      },
      status: 'unhealthy',
    },
    {
      name: 'a scheduler not running, while not stopping, fails',
      input: { scheduler: scheduler({ running: false, inFlight: 0 }) },
      check: 'scheduler',
      expected: {
        status: 'fail',
        message: 'scheduler not running',
        running: false,
        probes: 2,
        inFlight: 0,
        queued: 0,
        oldestQueuedMs: 0,
        stalled: [],
      },
      status: 'unhealthy',
    },
    {
      name: 'a scheduler not running while stopping is ok',
      input: { scheduler: scheduler({ running: false, inFlight: 0 }), stopping: true },
      check: 'scheduler',
      expected: { status: 'ok', running: false, probes: 2, inFlight: 0, queued: 0, oldestQueuedMs: 0, stalled: [] },
      status: 'ok',
    },
    {
      name: 'runs queued for more than 60s degrade the scheduler',
      input: { scheduler: scheduler({ queued: 4, oldestQueuedMs: 90_000 }) },
      check: 'scheduler',
      expected: {
        status: 'degraded',
        message: 'runs wait 1m30s for a slot: raise maxConcurrentProbes',
        running: true,
        probes: 2,
        inFlight: 1,
        queued: 4,
        oldestQueuedMs: 90_000,
        stalled: [],
      },
      status: 'degraded',
    },
    {
      name: "runs queued for more than 60s on their target's own limit name it",
      input: { scheduler: scheduler({ queued: 3, oldestQueuedMs: 75_000, queuedOn: 'lan' }) },
      check: 'scheduler',
      expected: {
        status: 'degraded',
        message:
          'runs of target lan wait 1m15s for a slot: raise targets.lan.maxConcurrentProbes, or run its probes less often',
        running: true,
        probes: 2,
        inFlight: 1,
        queued: 3,
        oldestQueuedMs: 75_000,
        queuedOn: 'lan',
        stalled: [],
      },
      status: 'degraded',
    },
    {
      name: 'runs queued for exactly 60s are still ok',
      input: { scheduler: scheduler({ queued: 1, oldestQueuedMs: 60_000 }) },
      check: 'scheduler',
      expected: { status: 'ok', running: true, probes: 2, inFlight: 1, queued: 1, oldestQueuedMs: 60_000, stalled: [] },
      status: 'ok',
    },
    {
      name: 'all ok: the event loop check carries the delay',
      input: {},
      check: 'eventLoop',
      expected: { status: 'ok', maxDelayMs: 12 },
      status: 'ok',
    },
    {
      name: 'an event loop delay above the limit fails',
      input: { eventLoop: { maxDelayMs: 1_500, limitMs: 1_000 } },
      check: 'eventLoop',
      expected: { status: 'fail', message: 'event loop blocked for 1.5s (limit 1s)', maxDelayMs: 1_500 },
      status: 'unhealthy',
    },
    {
      name: 'a delay below a second is said in ms',
      input: { eventLoop: { maxDelayMs: 250, limitMs: 200 } },
      check: 'eventLoop',
      expected: { status: 'fail', message: 'event loop blocked for 250ms (limit 200ms)', maxDelayMs: 250 },
      status: 'unhealthy',
    },
    {
      name: 'a delay at the limit is ok',
      input: { eventLoop: { maxDelayMs: 1_000, limitMs: 1_000 } },
      check: 'eventLoop',
      expected: { status: 'ok', maxDelayMs: 1_000 },
      status: 'ok',
    },
    {
      name: 'no logs check without log tailing',
      input: {},
      check: 'logs',
      expected: undefined,
      status: 'ok',
    },
    {
      name: 'the logs check is passed through (ok)',
      input: { logs: logsOk },
      check: 'logs',
      expected: {
        status: 'ok',
        dockerUp: true,
        endpoint: '/var/run/docker.sock',
        containers: { litellm: 'following' },
      },
      status: 'ok',
    },
    {
      name: 'the logs check is passed through (degraded)',
      input: { logs: logsDegraded },
      check: 'logs',
      expected: {
        status: 'degraded',
        message: 'docker is unreachable',
        dockerUp: false,
        endpoint: '/var/run/docker.sock',
        containers: { litellm: 'waiting' },
      },
      status: 'degraded',
    },
    {
      name: "the guard's access lines seen in every followed log (or none judged yet): the logs check as it was",
      input: { logs: logsOk, originCorrelation: new Map([['litellm', true]]) },
      check: 'logs',
      expected: { ...logsOk },
      status: 'ok',
    },
    {
      name: "the guard's access lines missing in a followed log: degraded, naming the container and LITELLM_DISABLE_ACCESS_LOG_PATHS",
      input: {
        logs: { ...logsOk, containers: { litellm: 'following', other: 'following' } },
        originCorrelation: new Map([
          ['litellm', false],
          ['other', true],
        ]),
      },
      check: 'logs',
      expected: {
        ...logsOk,
        containers: { litellm: 'following', other: 'following' },
        status: 'degraded',
        message:
          "no access line of the guard's requests in the log of litellm: the origin of auth errors cannot be told " +
          'there (is LITELLM_DISABLE_ACCESS_LOG_PATHS set to the MCP path?)',
        originCorrelation: { litellm: false, other: true },
      },
      status: 'degraded',
    },
    {
      name: 'missing access lines on top of another degradation: both said',
      input: { logs: logsDegraded, originCorrelation: new Map([['litellm', false]]) },
      check: 'logs',
      expected: {
        ...logsDegraded,
        message: expect.stringMatching(
          /^docker is unreachable; no access line of the guard's requests in the log of litellm: .*LITELLM_DISABLE_ACCESS_LOG_PATHS/,
        ) as unknown as string,
        originCorrelation: { litellm: false },
      },
      status: 'degraded',
    },
  ];

  it.each(cases)('$name', ({ input: over, check, expected, status }) => {
    const report = healthView(input(over));
    expect(report.checks[check]).toEqual(expected);
    expect(report.status).toBe(status);
    expect(httpStatusFor(report.status)).toBe(status === 'unhealthy' ? 503 : 200);
  });

  it('all ok: exactly the config, scheduler and event loop checks, ok / 200', () => {
    const report = healthView(input());
    expect(Object.keys(report.checks)).toEqual(['config', 'scheduler', 'eventLoop']);
    expect(report.status).toBe('ok');
    expect(httpStatusFor(report.status)).toBe(200);
  });

  it('a failed reload and a long queue are degraded; add a blocked loop and it is unhealthy', () => {
    const degraded = input({
      lastReload: { ok: false, problems: [{ path: 'yaml', message: 'bad' }] },
      scheduler: scheduler({ oldestQueuedMs: 61_000 }),
    });
    expect(healthView(degraded).status).toBe('degraded');
    const unhealthy = healthView({ ...degraded, eventLoop: { maxDelayMs: 2_000, limitMs: 1_000 } });
    expect(unhealthy.status).toBe('unhealthy');
    expect(unhealthy.checks.scheduler?.message).toContain('raise maxConcurrentProbes');
    expect(unhealthy.checks.eventLoop?.message).toBe('event loop blocked for 2s (limit 1s)');
  });

  it('copies the logs health rather than sharing it', () => {
    const logs: LogHealth = { ...logsOk };
    const report = healthView(input({ logs }));
    expect(report.checks.logs).not.toBe(logs);
    report.checks.logs!.status = 'fail';
    expect(logs.status).toBe('ok');
  });
});

describe('healthView: targets', () => {
  const parsed = parseConfig(
    [
      'targets:',
      '  lan: { url: "http://litellm.lan:4000", apiKey: sk-test-1234567890abcdef }',
      '  wan: { url: "https://gw.example.com", apiKey: sk-test-abcdef1234567890 }',
      '  spare: { url: "http://spare:4000", apiKey: sk-test-0000000000000000 }',
      'probes:',
      '  - { name: lan-health, type: http, target: lan, path: /health/liveliness }',
      '  - { name: lan-catalog, type: mcp_catalog, target: lan }',
      '  - { name: lan-guard, type: auth_guard, target: lan }',
      '  - { name: wan-health, type: http, target: wan }',
      '  - { name: wan-catalog, type: mcp_catalog, target: wan }',
      '  - { name: lan-codex, type: client_config, target: lan, file: /home/ops/.codex/config.toml, server: litellm }',
      '  - { name: lan-vscode, type: client_config, target: lan, file: /home/ops/.vscode/mcp.json, server: litellm }',
      '',
    ].join('\n'),
    {},
  );
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
  const config: Config = parsed.config;

  const result = (probe: string, outcome: Outcome): ProbeResult => {
    const p = config.probes.find((q) => q.name === probe)!;
    return {
      probe,
      target: p.target,
      type: 'http',
      outcome,
      reason: outcome === 'ok' ? '200 OK' : `failed: ${outcome}`,
      success: outcome === 'ok',
      trigger: 'schedule',
      startedAt: LOADED_AT + 1_000,
      durationMs: 20,
      phases: {},
      steps: [],
    };
  };

  /** Like the agent: targets and probes from the config, lastSuccess from the result store. */
  function view(runs: Array<[string, Outcome]>) {
    const store = new ResultStore();
    for (const [probe, outcome] of runs) store.add(result(probe, outcome));
    return healthView(
      input({
        targets: Object.keys(config.targets),
        // As the agent gives them: each probe's type asked whether it is about a client's file.
        probes: config.probes.map((p) => ({ ...p, aboutClient: probeTypeOf(p.type)?.aboutClient === true })),
        lastSuccess: (name) => store.peek(name)?.last?.success,
      }),
    );
  }

  /** lan's two client probes (or none), none failing unless given. */
  const clients = (probes = 0, failing: string[] = []) => ({ probes, failing });
  const up = (probes: number, c = clients()) => ({ up: true, probes, failing: [], clients: c });
  const down = (probes: number, failing: string[], c = clients()) => ({ up: false, probes, failing, clients: c });

  it.each<[string, Array<[string, Outcome]>, Record<string, TargetHealth>]>([
    ['nothing ran yet: every target up', [], { lan: up(3, clients(2)), wan: up(2), spare: up(0) }],
    [
      'all ok',
      [
        ['lan-health', 'ok'],
        ['lan-catalog', 'ok'],
        ['lan-guard', 'ok'],
        ['wan-health', 'ok'],
        ['wan-catalog', 'ok'],
        ['lan-codex', 'ok'],
      ],
      { lan: up(3, clients(2)), wan: up(2), spare: up(0) },
    ],
    [
      'failing probes are listed per target, in config order',
      [
        ['lan-guard', 'auth_not_enforced'],
        ['lan-health', 'ok'],
        ['lan-catalog', 'timeout'],
        ['wan-health', 'ok'],
      ],
      // lan-health still answers: the gateway is up, with what fails listed.
      { lan: { ...down(3, ['lan-catalog', 'lan-guard'], clients(2)), up: true }, wan: up(2), spare: up(0) },
    ],
    [
      'down when every gateway probe that ran failed',
      [
        ['lan-guard', 'connect_error'],
        ['lan-health', 'connect_error'],
        ['lan-codex', 'ok'],
      ],
      { lan: down(3, ['lan-health', 'lan-guard'], clients(2)), wan: up(2), spare: up(0) },
    ],
    [
      'a probe that never ran is not failing',
      [['wan-health', 'connect_error']],
      { lan: up(3, clients(2)), wan: down(2, ['wan-health']), spare: up(0) },
    ],
    [
      'only the last run counts: a recovered probe is not failing',
      [
        ['lan-health', 'timeout'],
        ['lan-health', 'ok'],
        ['wan-health', 'ok'],
        ['wan-health', 'http_error'],
      ],
      { lan: up(3, clients(2)), wan: down(2, ['wan-health']), spare: up(0) },
    ],
    [
      "a client's broken file is listed apart: the gateway, whose probes pass, stays up",
      [
        ['lan-health', 'ok'],
        ['lan-catalog', 'ok'],
        ['lan-guard', 'ok'],
        ['lan-codex', 'auth_rejected'],
        ['lan-vscode', 'ok'],
      ],
      { lan: up(3, clients(2, ['lan-codex'])), wan: up(2), spare: up(0) },
    ],
    [
      'a gateway down and a client file broken: each in its own list',
      [
        ['lan-catalog', 'timeout'],
        ['lan-vscode', 'expectation_failed'],
      ],
      { lan: down(3, ['lan-catalog'], clients(2, ['lan-vscode'])), wan: up(2), spare: up(0) },
    ],
  ])('%s', (_name, runs, targets) => {
    const report = view(runs);
    expect(report.targets).toEqual(targets);
  });

  it('a failing gateway never makes mcpwatch unhealthy', () => {
    const report = view(config.probes.map((p) => [p.name, 'connect_error']));
    expect(report.targets).toEqual({
      lan: down(3, ['lan-health', 'lan-catalog', 'lan-guard'], clients(2, ['lan-codex', 'lan-vscode'])),
      wan: down(2, ['wan-health', 'wan-catalog']),
      spare: up(0),
    });
    expect(report.status).toBe('ok');
    expect(httpStatusFor(report.status)).toBe(200);
    expect(Object.values(report.checks).map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('probes of a target that is not listed are ignored', () => {
    const report = healthView(
      input({
        targets: ['lan'],
        probes: [
          { name: 'a', target: 'lan' },
          { name: 'x', target: 'gone' },
        ],
        lastSuccess: () => false,
      }),
    );
    expect(report.targets).toEqual({ lan: down(1, ['a']) });
  });

  it('a target with client probes only stays up whatever they say', () => {
    const report = healthView(
      input({
        targets: ['lan'],
        probes: [
          { name: 'codex', target: 'lan', aboutClient: true },
          { name: 'vscode', target: 'lan', aboutClient: true },
        ],
        lastSuccess: (name) => name !== 'codex',
      }),
    );
    expect(report.targets).toEqual({ lan: up(0, clients(2, ['codex'])) });
  });
});
