import { describe, expect, it } from 'vitest';
import { budgetRemaining, parseKeyInfo, parseTime, type KeyInfo } from '../../src/gateway-state/key-info.js';

// The answers of LiteLLM 1.110.2 to `GET /key/info` asked with the key itself (no `key` parameter). The 200 shape is
// info_key_fn's (litellm/proxy/management_endpoints/key_management_endpoints.py: {"key": <the key as asked>, "info":
// the key's row without its hash, plus "status"}); the refusals are user_api_key_auth's
// (litellm/proxy/auth/user_api_key_auth.py). The no-database answers were read from a real 1.110.2 without a
// database (test/integration/key-lifetimes.test.ts asks one); the others need LiteLLM's database, which cannot run
// here.
const KEY = 'sk-codex-1234567890abcdef';

const error = (message: string, type: string, code: number, param: string | null = null): string =>
  JSON.stringify({ error: { message, type, param, code: String(code) } });

describe('parseKeyInfo', () => {
  const cases: Array<[string, number, string, KeyInfo]> = [
    [
      'a key with an expiry and a budget',
      200,
      JSON.stringify({
        key: KEY,
        info: {
          key_alias: 'codex',
          spend: 2.5,
          max_budget: 10,
          expires: '2026-12-31T00:00:00',
          blocked: null,
          status: 'active',
          budget_reset_at: null,
        },
      }),
      { state: 'ok', expiresAt: Date.UTC(2026, 11, 31), maxBudget: 10, spend: 2.5, blocked: false, status: 'active' },
    ],
    [
      'unlimited: no expiry, no budget',
      200,
      JSON.stringify({ key: KEY, info: { spend: 0, max_budget: null, expires: null, blocked: false } }),
      { state: 'ok', expiresAt: null, maxBudget: null, spend: 0, blocked: false, status: null },
    ],
    [
      'a blocked key in a 200 (an admin asking about it)',
      200,
      JSON.stringify({ key: KEY, info: { spend: 1, max_budget: 1, expires: '2027-01-01T00:00:00Z', blocked: true } }),
      { state: 'ok', expiresAt: Date.UTC(2027, 0, 1), maxBudget: 1, spend: 1, blocked: true, status: null },
    ],
    [
      'no database, a key the auth refuses (any but the master key)',
      400,
      error('No connected db.', 'no_db_connection', 400),
      { state: 'no_database', status: 400, said: 'No connected db.' },
    ],
    [
      'no database, a key the auth lets in (master key, custom_auth): info_key_fn fails',
      500,
      error('Internal server error from /key/info. Details are in the proxy server logs.', 'internal_error', 500),
      {
        state: 'no_database',
        status: 500,
        said: 'Internal server error from /key/info. Details are in the proxy server logs.',
      },
    ],
    [
      'an expired key: the expiry its refusal names, never the abbreviated key of `param`',
      401,
      error(
        'Authentication Error - Expired Key. Key Expiry time 2026-11-01 00:00:00+00:00 and current time 2026-12-05 09:10:31.123456+00:00',
        'expired_key',
        401,
        'sk-...cdef',
      ),
      {
        state: 'expired',
        expiresAt: Date.UTC(2026, 10, 1),
        said: 'Authentication Error - Expired Key. Key Expiry time 2026-11-01 00:00:00+00:00 and current time 2026-12-05 09:10:31.123456+00:00',
      },
    ],
    [
      'a blocked key',
      401,
      error("Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.", 'auth_error', 401),
      {
        state: 'blocked',
        said: "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
      },
    ],
    [
      'an unknown key (deleted, rotated)',
      401,
      error('Authentication Error, Invalid proxy server token passed', 'auth_error', 401),
      { state: 'refused', status: 401, said: 'Authentication Error, Invalid proxy server token passed' },
    ],
    [
      'a gateway that quotes the key it refuses (a proxy in front, another version): masked',
      403,
      error(`key ${KEY} may not read /key/info`, 'auth_error', 403),
      { state: 'refused', status: 403, said: 'key *** may not read /key/info' },
    ],
    [
      'a proxy in front that is not LiteLLM',
      502,
      '<html>Bad Gateway</html>',
      { state: 'error', status: 502, said: '<html>Bad Gateway</html>' },
    ],
    [
      'a 200 that is not LiteLLM’s',
      200,
      'OK',
      { state: 'error', status: 200, said: 'the answer has no "info" object: is this a LiteLLM gateway?' },
    ],
  ];
  it.each(cases)('%s', (_what, status, text, expected) => {
    expect(parseKeyInfo(status, text, KEY)).toEqual(expected);
  });

  it('never keeps the key: the echoed `key` field is not read, a quoted key is masked', () => {
    for (const [, status, text] of cases) expect(JSON.stringify(parseKeyInfo(status, text, KEY))).not.toContain(KEY);
  });

  it('cuts a long answer', () => {
    const r = parseKeyInfo(500, 'x'.repeat(5_000), KEY);
    expect(r.state === 'error' && r.said.length).toBe(300);
  });
});

describe('parseTime', () => {
  it.each([
    ['2026-12-31T00:00:00', Date.UTC(2026, 11, 31)],
    ['2026-12-31T00:00:00Z', Date.UTC(2026, 11, 31)],
    ['2026-12-31T02:00:00+02:00', Date.UTC(2026, 11, 31)],
    ['2026-12-31 00:00:00.123456+00:00', Date.UTC(2026, 11, 31, 0, 0, 0, 123)],
    ['not a time', null],
  ])('%s', (text, ms) => expect(parseTime(text)).toBe(ms));
});

describe('budgetRemaining', () => {
  it('max minus spend; null without a budget; below 0 over budget', () => {
    expect(budgetRemaining({ maxBudget: 10, spend: 2.5 })).toBe(7.5);
    expect(budgetRemaining({ maxBudget: null, spend: 2.5 })).toBeNull();
    expect(budgetRemaining({ maxBudget: 1, spend: 3 })).toBe(-2);
    expect(budgetRemaining({ maxBudget: 1, spend: null })).toBe(1);
  });
});
