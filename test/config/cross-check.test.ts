import { describe, expect, it } from 'vitest';
import { crossCheck } from '../../src/config/cross-check.js';
import { parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import { runsOnRequest } from '../../src/config/fields.js';

type Case = [string, Record<string, unknown>, Array<[PropertyKey[], string]>];
const check = (raw: Record<string, unknown>) => crossCheck(raw).map((p) => [p.segs, p.message]);

const LAN = { url: 'http://gw', apiKey: 'sk-x' };
const SSO = { url: 'https://gw', apiKey: 'sk-x', apiKeyHeader: 'x-litellm-api-key' };

describe('crossCheck: targets', () => {
  it.each<Case>([
    ['a key', { targets: { lan: LAN } }, []],
    [
      'apiKey and apiKeyFile',
      { targets: { lan: { ...LAN, apiKeyFile: '/k' } } },
      [[['targets', 'lan'], 'set apiKey or apiKeyFile, not both']],
    ],
    [
      'Authorization among the headers, in any case',
      { targets: { lan: { ...LAN, headers: { AUTHORIZATION: 'Bearer x' } } } },
      [
        [
          ['targets', 'lan', 'headers', 'AUTHORIZATION'],
          'set the key with apiKey or apiKeyFile; mcpwatch builds the Authorization header',
        ],
      ],
    ],
    [
      "the key's own header among the headers",
      { targets: { lan: { ...LAN, apiKeyHeader: 'X-LiteLLM-API-Key', headers: { 'x-litellm-api-key': 'k' } } } },
      [
        [
          ['targets', 'lan', 'headers', 'x-litellm-api-key'],
          'set the key with apiKey or apiKeyFile; mcpwatch builds the x-litellm-api-key header',
        ],
      ],
    ],
    [
      'Authorization is free when the key goes elsewhere and there is no SSO gate',
      { targets: { lan: { ...SSO, headers: { Authorization: 'Bearer sso' } } } },
      [],
    ],
    ["targets that are not a mapping are the schema's to report", { targets: ['lan'] }, []],
    ['a target that is not a mapping', { targets: { lan: 'http://gw' } }, []],
  ])('%s', (_what, raw, expected) => {
    expect(check(raw)).toEqual(expected);
  });
});

describe('crossCheck: oauth2', () => {
  const at = ['targets', 'sso', 'oauth2'];
  it.each<Case>([
    ['a client secret', { targets: { sso: { ...SSO, oauth2: { clientId: 'c', clientSecret: 's' } } } }, []],
    ['a private key', { targets: { sso: { ...SSO, oauth2: { clientId: 'c', privateKeyFile: '/k.pem' } } } }, []],
    [
      'no way to authenticate (an empty secret is none)',
      { targets: { sso: { ...SSO, oauth2: { clientId: 'c', clientSecret: '' } } } },
      [[at, 'set clientSecret, clientSecretFile or privateKeyFile (private_key_jwt)']],
    ],
    [
      'two ways to authenticate',
      { targets: { sso: { ...SSO, oauth2: { clientId: 'c', clientSecret: 's', clientSecretFile: '/s' } } } },
      [[at, 'set one of clientSecret, clientSecretFile and privateKeyFile, not clientSecret and clientSecretFile']],
    ],
    [
      'signingAlgorithm without a key',
      { targets: { sso: { ...SSO, oauth2: { clientId: 'c', clientSecret: 's', signingAlgorithm: 'ES256' } } } },
      [
        [
          [...at, 'signingAlgorithm'],
          'signingAlgorithm signs a private_key_jwt assertion: set privateKeyFile too, or leave it out',
        ],
      ],
    ],
    [
      'private_key_jwt without a key',
      {
        targets: { sso: { ...SSO, oauth2: { clientId: 'c', clientSecret: 's', tokenAuthMethod: 'private_key_jwt' } } },
      },
      [[[...at, 'tokenAuthMethod'], 'private_key_jwt needs privateKeyFile (the key that signs the client assertion)']],
    ],
    [
      'a secret method with a key',
      {
        targets: {
          sso: { ...SSO, oauth2: { clientId: 'c', privateKeyFile: '/k.pem', tokenAuthMethod: 'client_secret_basic' } },
        },
      },
      [
        [
          [...at, 'tokenAuthMethod'],
          'client_secret_basic sends a client secret; with privateKeyFile the method is private_key_jwt',
        ],
      ],
    ],
    [
      'the gateway key in Authorization beside the token',
      { targets: { sso: { ...LAN, oauth2: { clientId: 'c', clientSecret: 's' } } } },
      [
        [
          ['targets', 'sso', 'apiKeyHeader'],
          'oauth2 puts the SSO token in Authorization, so the gateway key needs a header of its own: apiKeyHeader: x-litellm-api-key (LiteLLM reads it)',
        ],
      ],
    ],
    [
      'no gateway key (an empty one is none): the token may have Authorization',
      { targets: { mcp: { url: 'https://mcp', apiKey: '', oauth2: { clientId: 'c', clientSecret: 's' } } } },
      [],
    ],
    [
      'Authorization among the headers beside the token',
      { targets: { sso: { ...SSO, headers: { Authorization: 'x' }, oauth2: { clientId: 'c', clientSecret: 's' } } } },
      [
        [
          ['targets', 'sso', 'headers', 'Authorization'],
          'oauth2 sends its access token in Authorization: leave this header out',
        ],
      ],
    ],
  ])('%s', (_what, raw, expected) => {
    expect(check(raw)).toEqual(expected);
  });
});

describe('crossCheck: probes', () => {
  const targets = { lan: LAN };
  const probe = (name: string, more: Record<string, unknown> = {}) => ({ name, type: 'http', target: 'lan', ...more });

  it.each<Case>([
    ['distinct names, known targets', { targets, probes: [probe('a'), probe('b')] }, []],
    [
      'duplicate names: each repeat points at the first',
      { targets, probes: [probe('a'), probe('b'), probe('a'), probe('a')] },
      [
        [['probes', 2, 'name'], 'duplicate probe name "a" (also probes[0])'],
        [['probes', 3, 'name'], 'duplicate probe name "a" (also probes[0])'],
      ],
    ],
    [
      'an unknown target, with the known ones',
      { targets: { lan: LAN, wan: LAN }, probes: [probe('a', { target: 'dmz' })] },
      [[['probes', 0, 'target'], 'unknown target "dmz" (targets: lan, wan)']],
    ],
    [
      'an unknown target, none defined',
      { probes: [probe('a')] },
      [[['probes', 0, 'target'], 'unknown target "lan" (no targets are defined)']],
    ],
    [
      'schedule and every',
      { targets, probes: [probe('a', { schedule: '* * * * *', every: '5s' })] },
      [[['probes', 0], 'set schedule or every, not both']],
    ],
    [
      "a type's own checks, placed under its probe",
      {
        targets: { sso: SSO },
        probes: [
          probe('a', { target: 'sso' }),
          probe('g', { type: 'auth_guard', target: 'sso', checks: ['no_sso_token'] }),
        ],
      },
      [
        [
          ['probes', 1, 'checks'],
          'no_sso_token checks the SSO gate in front of a gateway; target "sso" has none configured (oauth2): leave the check out, or set the target\'s oauth2',
        ],
      ],
    ],
    ['an unknown type has no checks of its own', { targets, probes: [probe('a', { type: 'grpc' })] }, []],
    ['probes that are not a list', { targets, probes: { a: probe('a') } }, []],
    ['a probe that is not a mapping', { targets, probes: ['a', null, probe('a')] }, []],
  ])('%s', (_what, raw, expected) => {
    expect(check(raw)).toEqual(expected);
  });

  it.each(['toString', 'constructor', '__proto__'])('the inherited key %s is no target', (name) => {
    expect(check({ targets, probes: [probe('a', { target: name })] })).toEqual([
      [['probes', 0, 'target'], `unknown target "${name}" (targets: lan)`],
    ]);
  });
});

describe('crossCheck: shard and containers', () => {
  it.each<Case>([
    ['index below total', { shard: { index: 1, total: 2 } }, []],
    [
      'index equal to total',
      { shard: { index: 2, total: 2 } },
      [[['shard', 'index'], 'must be less than shard.total (2): shards are numbered 0 to 1']],
    ],
    [
      'index 1 with the default total',
      { shard: { index: 1 } },
      [[['shard', 'index'], 'must be less than shard.total (1): shards are numbered 0 to 0']],
    ],
    ["a total below 1 is the schema's to report", { shard: { index: 1, total: 0 } }, []],
    ["an index that is not a whole number is the schema's to report", { shard: { index: 1.5, total: 1 } }, []],
    ['distinct containers', { logs: { containers: [{ name: 'a' }, { name: 'b' }] } }, []],
    [
      'a container listed twice',
      { logs: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] } },
      [[['logs', 'containers', 2, 'name'], 'container "a" is listed twice (also logs.containers[0])']],
    ],
    ['containers that are not a list', { logs: { containers: { name: 'a' } } }, []],
    [
      "a container's target that is no target",
      {
        targets: { lan: {} },
        logs: {
          containers: [
            { name: 'a', target: 'lan' },
            { name: 'b', target: 'wan' },
          ],
        },
      },
      [[['logs', 'containers', 1, 'target'], 'unknown target "wan" (targets: lan)']],
    ],
  ])('%s', (_what, raw, expected) => {
    expect(check(raw)).toEqual(expected);
  });

  it('an empty config: no problems', () => {
    expect(crossCheck({})).toEqual([]);
  });

  it('problems come targets first, then probes, the shard, the containers', () => {
    const raw = {
      logs: { containers: [{ name: 'a' }, { name: 'a' }] },
      shard: { index: 3, total: 2 },
      probes: [{ name: 'p', type: 'http', target: 'nowhere' }],
      targets: { lan: { ...LAN, apiKeyFile: '/k' } },
    };
    expect(crossCheck(raw).map((p) => p.segs[0])).toEqual(['targets', 'probes', 'shard', 'logs']);
  });
});

describe('schedule: on_request (the probe runs only when asked: /probe, run_probe)', () => {
  const yaml = (probe: string): string =>
    `targets:\n  gw: { url: "http://gw", apiKey: sk-x }\nprobes:\n  - { name: p, type: http, target: gw, ${probe} }\n`;
  const problems = (probe: string): string[] => {
    const r = parseConfig(yaml(probe), {});
    return r.ok ? [] : r.problems.map(formatProblem);
  };

  it('is taken as a schedule, and the scheduler knows it (no timeout-above-interval warning)', () => {
    const r = parseConfig(yaml('schedule: on_request, timeout: 2m'), {});
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(runsOnRequest(r.config.probes[0]!.scheduleSpec)).toBe(true);
    expect(r.warnings).toEqual([]);
    const timed = parseConfig(yaml('every: 30s'), {});
    expect(timed.ok && runsOnRequest(timed.config.probes[0]!.scheduleSpec)).toBe(false);
  });

  it('with every: set one of them; another spelling is no cron expression', () => {
    expect(problems('schedule: on_request, every: 1m')).toEqual(['probes[0]: set schedule or every, not both']);
    expect(problems('schedule: on-request')).toEqual([
      expect.stringMatching(/^probes\[0\]\.schedule: invalid cron expression "on-request"/),
    ]);
  });
});
