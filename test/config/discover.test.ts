import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import { secretsOf } from '../../src/config/secrets.js';

// A target's discover block: its defaults, its templates settled as probes of the target, and every problem a
// template can have, as `path: message`.

function problemsOf(yaml: string): string[] {
  const r = parseConfig(yaml, {});
  return r.ok ? [] : r.problems.map(formatProblem);
}

const target = (discover: string, key = 'apiKey: sk-test-1234567890abcdef'): string =>
  `targets:\n  gw:\n    url: http://127.0.0.1:9\n    ${key}\n    discover:\n${discover}`;

describe('a target discover block', () => {
  it('defaults: every 5m, timeout 30s, nothing excluded, no templates', () => {
    const r = parseConfig(target('      {}\n'), {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.discover).toEqual({ gw: { everyMs: 300_000, timeoutMs: 30_000, exclude: [], templates: [] } });
    // The block is no part of the target the probes get (a changed discover block leaves them alone).
    expect(r.config.targets.gw).not.toHaveProperty('discover');
  });

  it('templates settled as probes of the target: schedule, timeout (the target timeout), the type defaults', () => {
    const r = parseConfig(
      `targets:\n  gw:\n    url: http://127.0.0.1:9\n    apiKey: k\n    timeout: 7s\n    discover:\n` +
        `      every: 1m\n      exclude: [mcpwatch]\n      probes:\n` +
        `        - { type: mcp_catalog, every: 30s, gatewayHealth: true }\n` +
        `        - { type: auth_guard, schedule: "0 * * * *" }\n`,
      {},
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const gw = r.config.discover?.gw;
    expect(gw).toMatchObject({ everyMs: 60_000, exclude: ['mcpwatch'] });
    expect(gw?.templates).toMatchObject([
      {
        type: 'mcp_catalog',
        target: 'gw',
        servers: [],
        gatewayHealth: true,
        scheduleSpec: { kind: 'every', ms: 30_000 },
        timeoutMs: 7_000,
      },
      {
        type: 'auth_guard',
        target: 'gw',
        scheduleSpec: { kind: 'cron', expr: '0 * * * *' },
        checks: ['no_key', 'no_bearer_prefix', 'wrong_key'],
      },
    ]);
    expect(r.config.probes).toEqual([]);
  });

  it('a template timeout longer than its interval is a warning at the template', () => {
    const r = parseConfig(target('      probes: [{ type: mcp_catalog, every: 10s, timeout: 20s }]\n'), {});
    expect(r.ok && r.warnings.map(formatProblem)).toEqual([
      'targets.gw.discover.probes[0].timeout: timeout 20s is longer than the interval 10s: runs that take that long skip the next tick',
    ]);
  });

  it.each([
    {
      what: 'a template with a name, a target or servers',
      discover: '      probes: [{ type: mcp_catalog, name: x, target: gw, servers: [fs] }]\n',
      want: [
        'targets.gw.discover.probes[0].name: a template has no name: each discovered server gets a probe named gw/{server}/{type}, of this target, with servers: [server]',
        'targets.gw.discover.probes[0].target: a template has no target: each discovered server gets a probe named gw/{server}/{type}, of this target, with servers: [server]',
        'targets.gw.discover.probes[0].servers: a template has no servers: each discovered server gets a probe named gw/{server}/{type}, of this target, with servers: [server]',
      ],
    },
    {
      what: 'a type without servers',
      discover: '      probes: [{ type: http, path: /health }]\n',
      want: [
        'targets.gw.discover.probes[0].type: a template is a probe per server, and http takes no servers: configure it under probes',
      ],
    },
    {
      what: 'two templates of one type',
      discover: '      probes: [{ type: mcp_catalog }, { type: mcp_catalog, every: 1m }]\n',
      want: [
        'targets.gw.discover.probes[1].type: a second mcp_catalog template (also probes[0]): one per type, as the probes are named gw/{server}/{type}',
      ],
    },
    {
      what: 'a mistyped key, with the type keys to suggest from',
      discover: '      probes: [{ type: mcp_catalog, gatwayHealth: true }]\n',
      want: ['targets.gw.discover.probes[0].gatwayHealth: unknown key (did you mean "gatewayHealth"?)'],
    },
    {
      what: 'an unknown type',
      discover: '      probes: [{ type: mcp_catalogue }]\n',
      want: [
        'targets.gw.discover.probes[0].type: unknown probe type "mcp_catalogue" (expected one of http, mcp_catalog, mcp_call, auth_guard, client_config)',
      ],
    },
    {
      what: 'schedule and every',
      discover: '      probes: [{ type: mcp_catalog, every: 1m, schedule: "* * * * *" }]\n',
      want: ['targets.gw.discover.probes[0]: set schedule or every, not both'],
    },
    {
      what: 'a bad interval, an unknown key of the block',
      discover: '      every: soon\n      exlude: [x]\n',
      want: [
        'targets.gw.discover.every: invalid duration "soon" (expected a number with a unit: ms, s, m or h, e.g. 500ms, 10s, 5m)',
        'targets.gw.discover.exlude: unknown key (did you mean "exclude"?)',
      ],
    },
  ])('$what', ({ discover, want }) => {
    const got = problemsOf(target(discover));
    expect(got).toEqual(want);
  });

  it("the type's own checks against the target: a guard's valid key needs the target's key", () => {
    expect(problemsOf(target('      probes: [{ type: auth_guard }]\n', 'timeout: 5s'))).toEqual([
      'targets.gw.discover.probes[0].validKey: target "gw" has no apiKey: the guard cannot check that a valid key is accepted (set validKey: false to skip that check)',
    ]);
  });

  it("a template's credential headers are secrets of the config", () => {
    const r = parseConfig(
      target('      probes: [{ type: mcp_catalog, headers: { x-api-key: sk-template-secret-123456 } }]\n'),
      {},
    );
    expect(r.ok && secretsOf(r.config)).toContain('sk-template-secret-123456');
  });
});
