import { describe, expect, it } from 'vitest';
import { targetSchema } from '../../../src/config/target.js';
import { applicableChecks, crossCheck } from '../../../src/probes/auth-guard/checks.js';
import { AUTH_CHECKS, type AuthCheck } from '../../../src/probes/auth-guard/schema.js';

const NO_BEARER_PREFIX =
  'no_bearer_prefix checks a key sent in Authorization without "Bearer "; target "sso" sends its key in x-litellm-api-key (apiKeyHeader), where LiteLLM 1.109 takes it with or without the prefix: leave the check out';
const NO_SSO_TOKEN =
  'no_sso_token checks the SSO gate in front of a gateway; target "sso" has none configured (oauth2): leave the check out, or set the target\'s oauth2';
const NO_KEY =
  'target "sso" has no apiKey: the guard cannot check that a valid key is accepted (set validKey: false to skip that check)';

const OAUTH2 = { clientId: 'c', clientSecret: 's' };

describe('crossCheck: the guard against its target, as written', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, Array<[string, string]>]>([
    ['default checks, a key in Authorization', {}, { apiKey: 'sk-x' }, []],
    [
      'no_bearer_prefix, the key in another header (written in any case)',
      { checks: ['no_key', 'no_bearer_prefix'] },
      { apiKey: 'sk-x', apiKeyHeader: 'X-LiteLLM-API-Key' },
      [['checks', NO_BEARER_PREFIX]],
    ],
    [
      'no_bearer_prefix, apiKeyHeader Authorization written out',
      { checks: ['no_bearer_prefix'] },
      { apiKey: 'sk-x', apiKeyHeader: 'Authorization' },
      [],
    ],
    ['no_sso_token without an SSO gate', { checks: ['no_sso_token'] }, { apiKey: 'sk-x' }, [['checks', NO_SSO_TOKEN]]],
    [
      'no_sso_token with an SSO gate',
      { checks: ['no_sso_token'] },
      { apiKey: 'sk-x', apiKeyHeader: 'x-litellm-api-key', oauth2: OAUTH2 },
      [],
    ],
    ['the valid-key check on a target without a key', {}, {}, [['validKey', NO_KEY]]],
    ['validKey: true written out, no key', { validKey: true }, {}, [['validKey', NO_KEY]]],
    ['validKey: false on a target without a key', { validKey: false }, {}, []],
    ['a key in a file', {}, { apiKeyFile: '/run/secrets/key' }, []],
    [
      'every problem at once',
      { checks: ['no_bearer_prefix', 'no_sso_token'] },
      { apiKeyHeader: 'x-litellm-api-key' },
      [
        ['checks', NO_BEARER_PREFIX],
        ['checks', NO_SSO_TOKEN],
        ['validKey', NO_KEY],
      ],
    ],
    [
      'an unknown target: nothing to check against',
      { checks: AUTH_CHECKS.filter((c) => c !== 'out_of_scope') },
      undefined,
      [],
    ],
    [
      'out_of_scope without outOfScope: nothing to call',
      { checks: ['out_of_scope'] },
      { apiKey: 'sk-x' },
      [
        [
          'checks',
          'out_of_scope calls a tool with a named key outside its grant: set outOfScope ' +
            '({ key: NAME, tool: TOOL, arguments: {...} }), or leave the check out',
        ],
      ],
    ],
    ['a guard run as a named key needs no apiKey of the target', { key: 'codex' }, {}, []],
    ["checks that are not a list are the schema's to report", { checks: 'no_sso_token' }, { apiKey: 'sk-x' }, []],
  ])('%s', (_what, probe, target, expected) => {
    const problems = crossCheck({ name: 'g', type: 'auth_guard', target: 'sso', ...probe }, target);
    expect(problems).toEqual(expected.map(([at, message]) => ({ at: [at], message })));
  });

  it('an empty apiKey is no key for the valid-key check', () => {
    expect(crossCheck({ name: 'g', type: 'auth_guard', target: 'sso' }, { apiKey: '' })).toEqual([
      { at: ['validKey'], message: NO_KEY },
    ]);
  });
});

describe('applicableChecks: the checks left for a target', () => {
  const target = (more: Record<string, unknown>) => targetSchema.parse({ url: 'http://gw', apiKey: 'sk-x', ...more });
  const ALL = [...AUTH_CHECKS];

  it.each<[string, Record<string, unknown> | undefined, AuthCheck[]]>([
    ['the key in Authorization, no SSO gate', {}, ['no_key', 'no_bearer_prefix', 'wrong_key']],
    ['the key in another header, no SSO gate', { apiKeyHeader: 'X-LiteLLM-API-Key' }, ['no_key', 'wrong_key']],
    [
      'the key in another header behind an SSO gate',
      { apiKeyHeader: 'x-litellm-api-key', oauth2: OAUTH2 },
      ['no_key', 'wrong_key', 'no_sso_token'],
    ],
    [
      'no key, the token in Authorization (an OAuth-protected server)',
      { apiKey: undefined, oauth2: OAUTH2 },
      ['no_key', 'no_bearer_prefix', 'wrong_key', 'no_sso_token'],
    ],
    ['no target', undefined, ['no_key', 'wrong_key']],
  ])('%s', (_what, t, expected) => {
    expect(applicableChecks(ALL, t && target(t))).toEqual(expected);
  });

  it('out_of_scope stays only with an outOfScope to call', () => {
    expect(applicableChecks(ALL, target({}), true)).toEqual([
      'no_key',
      'no_bearer_prefix',
      'wrong_key',
      'out_of_scope',
    ]);
    expect(applicableChecks(['out_of_scope'], target({}))).toEqual([]);
  });

  it('keeps the order and never adds a check', () => {
    expect(applicableChecks(['wrong_key', 'no_key'], target({ oauth2: OAUTH2 }))).toEqual(['wrong_key', 'no_key']);
  });
});
