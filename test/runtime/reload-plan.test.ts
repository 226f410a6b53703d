import { describe, expect, it } from 'vitest';
import { planReload, type ReloadPlan } from '../../src/runtime/reload-plan.js';
import { configOf } from '../support/runtime-config.js';

interface Parts {
  listen?: string;
  stateDir?: string;
  lanUrl?: string;
  wanUrl?: string;
  probes?: string[];
  logs?: string[];
}

const PROBE_A = '{ name: a, type: http, target: lan, every: 30s }';
const PROBE_B = '{ name: b, type: mcp_catalog, target: lan, every: 1m, servers: [github] }';
const PROBE_W = '{ name: w, type: http, target: wan, every: 30s }';

/** A config from parts, so each case says only what differs. */
function yaml({
  listen = '127.0.0.1:9464',
  stateDir = './data',
  lanUrl = 'http://litellm.lan:4000',
  wanUrl = 'https://gw.example.com',
  probes = [PROBE_A],
  logs,
}: Parts = {}): string {
  return [
    `listen: "${listen}"`,
    `stateDir: ${stateDir}`,
    'targets:',
    '  lan:',
    `    url: ${lanUrl}`,
    '    apiKey: sk-test-1234567890abcdef',
    '  wan:',
    `    url: ${wanUrl}`,
    '    apiKey: sk-test-abcdef1234567890',
    'probes:',
    ...(probes.length ? probes.map((p) => `  - ${p}`) : ['  []']),
    ...(logs ? ['logs:', '  containers:', ...logs.map((c) => `    - { name: ${c} }`)] : []),
    '',
  ].join('\n');
}

const none: ReloadPlan = { carriedOver: new Map(), reset: [], restartNeeded: [], logs: 'none' };

describe('planReload', () => {
  const cases: Array<{
    name: string;
    current: Parts;
    next: Parts;
    lastStarts?: Record<string, number>;
    listenFixed?: boolean;
    plan: Partial<ReloadPlan>;
  }> = [
    {
      name: 'an unchanged probe that ran is carried over with the start of its last run',
      current: {},
      next: {},
      lastStarts: { a: 1_700_000_000_000 },
      plan: { carriedOver: new Map([['a', 1_700_000_000_000]]) },
    },
    {
      name: 'an unchanged probe that never ran is not carried over',
      current: {},
      next: {},
      lastStarts: {},
      plan: {},
    },
    {
      name: 'a probe whose definition changed is reset, not carried over',
      current: { probes: [PROBE_A] },
      next: { probes: ['{ name: a, type: http, target: lan, every: 1m }'] },
      lastStarts: { a: 1_000 },
      plan: { reset: ['a'] },
    },
    {
      name: 'a probe whose type changed under the same name is reset',
      current: { probes: [PROBE_A] },
      next: { probes: ['{ name: a, type: mcp_catalog, target: lan, every: 30s }'] },
      lastStarts: { a: 1_000 },
      plan: { reset: ['a'] },
    },
    {
      name: 'a probe whose target definition changed (same probe text) is reset',
      current: {},
      next: { lanUrl: 'http://litellm.lan:4001' },
      lastStarts: { a: 1_000 },
      plan: { reset: ['a'] },
    },
    {
      name: 'a change to another target leaves the probe carried over',
      current: { probes: [PROBE_A, PROBE_W] },
      next: { probes: [PROBE_A, PROBE_W], wanUrl: 'https://gw2.example.com' },
      lastStarts: { a: 1_000, w: 2_000 },
      plan: { carriedOver: new Map([['a', 1_000]]), reset: ['w'] },
    },
    {
      name: 'a new probe is neither carried over nor reset',
      current: { probes: [PROBE_A] },
      next: { probes: [PROBE_A, PROBE_B] },
      lastStarts: { a: 1_000, b: 2_000 },
      plan: { carriedOver: new Map([['a', 1_000]]) },
    },
    {
      name: 'a removed probe is neither carried over nor reset',
      current: { probes: [PROBE_A, PROBE_B] },
      next: { probes: [PROBE_A] },
      lastStarts: { a: 1_000, b: 2_000 },
      plan: { carriedOver: new Map([['a', 1_000]]) },
    },
    {
      name: 'probes are matched by name, not position',
      current: { probes: [PROBE_A, PROBE_B] },
      next: { probes: [PROBE_B, PROBE_A] },
      lastStarts: { a: 1_000, b: 2_000 },
      plan: {
        carriedOver: new Map([
          ['b', 2_000],
          ['a', 1_000],
        ]),
      },
    },
    {
      name: 'listen changed: a restart is needed',
      current: {},
      next: { listen: '0.0.0.0:9999' },
      plan: { restartNeeded: [{ setting: 'listen', value: '0.0.0.0:9999', current: '127.0.0.1:9464' }] },
    },
    {
      name: 'listen changed but fixed on the command line: no restart',
      current: {},
      next: { listen: '0.0.0.0:9999' },
      listenFixed: true,
      plan: {},
    },
    {
      name: 'stateDir changed: a restart is needed',
      current: {},
      next: { stateDir: '/var/lib/mcpwatch' },
      plan: { restartNeeded: [{ setting: 'stateDir', value: '/var/lib/mcpwatch', current: './data' }] },
    },
    {
      name: 'stateDir changed with listen fixed: a restart is still needed',
      current: {},
      next: { stateDir: '/var/lib/mcpwatch', listen: '0.0.0.0:9999' },
      listenFixed: true,
      plan: { restartNeeded: [{ setting: 'stateDir', value: '/var/lib/mcpwatch', current: './data' }] },
    },
    {
      name: 'listen and stateDir changed: both listed, listen first',
      current: {},
      next: { stateDir: '/var/lib/mcpwatch', listen: '0.0.0.0:9999' },
      plan: {
        restartNeeded: [
          { setting: 'listen', value: '0.0.0.0:9999', current: '127.0.0.1:9464' },
          { setting: 'stateDir', value: '/var/lib/mcpwatch', current: './data' },
        ],
      },
    },
    { name: 'logs: none → none', current: {}, next: {}, plan: { logs: 'none' } },
    { name: 'logs: none → some starts tailing', current: {}, next: { logs: ['litellm'] }, plan: { logs: 'start' } },
    {
      name: 'logs: some → some reloads tailing',
      current: { logs: ['litellm'] },
      next: { logs: ['litellm', 'proxy'] },
      plan: { logs: 'reload' },
    },
    {
      name: 'logs: same containers → reload all the same',
      current: { logs: ['litellm'] },
      next: { logs: ['litellm'] },
      plan: { logs: 'reload' },
    },
    { name: 'logs: some → none stops tailing', current: { logs: ['litellm'] }, next: {}, plan: { logs: 'stop' } },
    {
      name: 'no probes at all',
      current: { probes: [] },
      next: { probes: [] },
      plan: {},
    },
  ];

  it.each(cases)('$name', ({ current, next, lastStarts = {}, listenFixed = false, plan }) => {
    const lastStartOf = (name: string): number | undefined => lastStarts[name];
    expect(planReload(configOf(yaml(current)), configOf(yaml(next)), lastStartOf, { listenFixed })).toEqual({
      ...none,
      ...plan,
    });
  });

  it('asks for the last start only of probes it may carry over', () => {
    const asked: string[] = [];
    planReload(
      configOf(yaml({ probes: [PROBE_A, PROBE_B, PROBE_W] })),
      configOf(
        yaml({
          probes: [
            PROBE_A,
            '{ name: b, type: mcp_catalog, target: lan, every: 2m, servers: [github] }',
            '{ name: n, type: http, target: lan }',
          ],
        }),
      ),
      (name) => {
        asked.push(name);
        return 5;
      },
      { listenFixed: false },
    );
    expect(asked).toEqual(['a']);
  });

  it('does not modify either config', () => {
    const current = configOf(yaml({ probes: [PROBE_A, PROBE_B], logs: ['litellm'] }));
    const next = configOf(yaml({ probes: [PROBE_A], listen: '0.0.0.0:1' }));
    const before = JSON.stringify([current, next]);
    planReload(current, next, () => 1, { listenFixed: false });
    expect(JSON.stringify([current, next])).toBe(before);
  });
});
