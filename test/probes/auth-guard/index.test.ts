import { describe, expect, it } from 'vitest';
import { crossCheck } from '../../../src/probes/auth-guard/checks.js';
import { authGuard } from '../../../src/probes/auth-guard/index.js';
import { targetSchema } from '../../../src/config/target.js';

const spec = (more: Record<string, unknown> = {}) =>
  authGuard.schema.parse({ name: 'g', type: 'auth_guard', target: 'lan', ...more });
const target = (more: Record<string, unknown> = {}) =>
  targetSchema.parse({ url: 'http://gw', apiKey: 'sk-x', ...more });
const SSO = { apiKeyHeader: 'x-litellm-api-key', oauth2: { clientId: 'c', clientSecret: 's' } };

describe('the auth_guard probe type', () => {
  it("its own headers are the probe's headers", () => {
    expect(authGuard.ownHeaders(spec({ headers: { 'x-extra': 'v' } }))).toEqual({ 'x-extra': 'v' });
  });

  it('its requests provoke auth errors in the gateway log', () => {
    expect(authGuard.provokesAuthErrors).toBe(true);
  });

  it('its cross-checks are those of checks.ts', () => {
    expect(authGuard.crossCheck).toBe(crossCheck);
  });

  it.each(['freshConnection', 'readsCatalog'])('has no %s', (part) => {
    expect(authGuard).not.toHaveProperty(part);
  });

  describe('settle: the checks that do not apply to the target are dropped', () => {
    it.each<[string, Record<string, unknown>, string[]]>([
      ['a key in Authorization: no SSO gate to check', {}, ['no_key', 'no_bearer_prefix', 'wrong_key']],
      ['a key in its own header, an SSO gate in front', SSO, ['no_key', 'wrong_key', 'no_sso_token']],
      ['a key in its own header, no SSO gate', { apiKeyHeader: 'X-LiteLLM-API-Key' }, ['no_key', 'wrong_key']],
    ])('%s', (_what, t, checks) => {
      expect(authGuard.settle(spec(), target(t)).checks).toEqual(checks);
    });

    it('keeps the rest of the probe as it was', () => {
      const s = spec({ validKey: false, servers: ['fs'] });
      expect(authGuard.settle(s, target())).toEqual({ ...s, checks: ['no_key', 'no_bearer_prefix', 'wrong_key'] });
    });

    it('keeps the order the probe gives', () => {
      expect(authGuard.settle(spec({ checks: ['wrong_key', 'no_key'] }), target()).checks).toEqual([
        'wrong_key',
        'no_key',
      ]);
    });
  });

  it.each<[string, string[]]>([
    ['the servers asked for', ['fs', 'db']],
    ['no servers asked for', []],
  ])('subject: %s, with the guard mark', (_what, servers) => {
    expect(authGuard.subject(spec({ servers }))).toEqual({ servers, others: [], guard: true });
  });
});
