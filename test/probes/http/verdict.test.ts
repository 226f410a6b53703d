import { describe, expect, it } from 'vitest';
import { checkHttpExpect } from '../../../src/probes/http/verdict.js';

describe('checkHttpExpect', () => {
  const base = { headers: {}, body: 'ok', bodyTruncated: false, keySent: true, target: 'gw' };
  const expect200 = { status: [200] };
  it.each([
    ['expected status', { status: 200 }, expect200, 'ok', '200 OK'],
    [
      'other status',
      { status: 503, body: '{"status":"unhealthy"}' },
      expect200,
      'http_error',
      '503 Service Unavailable from gw (expected 200): {"status":"unhealthy"}',
    ],
    [
      '401 with a key',
      { status: 401, body: '' },
      expect200,
      'auth_rejected',
      '401 Unauthorized from gw (expected 200): the key was rejected: check apiKey, and that it is a key this gateway knows',
    ],
    [
      '401 without a key',
      { status: 401, body: '', keySent: false },
      expect200,
      'auth_rejected',
      '401 Unauthorized from gw (expected 200): this endpoint needs a key: set auth: true and an apiKey on the target',
    ],
    [
      'redirect to a trailing slash',
      { status: 307, headers: { location: '/mcp/' } },
      expect200,
      'http_error',
      '307 Temporary Redirect redirect to /mcp/ (expected 200): add the trailing slash to the path',
    ],
    [
      'contains fails',
      { status: 200, body: 'I am alive' },
      { ...expect200, contains: 'healthy' },
      'expectation_failed',
      'response body does not contain "healthy": got "I am alive"',
    ],
    [
      'matches fails on empty body',
      { status: 200, body: '' },
      { ...expect200, matches: '^ok$' },
      'expectation_failed',
      'response body does not match /^ok$/ (empty)',
    ],
    ['matches passes', { status: 200, body: 'ok' }, { ...expect200, matches: '^ok$' }, 'ok', '200 OK'],
    [
      'truncated body is said',
      { status: 200, body: 'abc', bodyTruncated: true },
      { ...expect200, contains: 'z' },
      'expectation_failed',
      'response body does not contain "z": got "abc" (body truncated at maxBodyBytes)',
    ],
  ])('%s', (_n, res, exp, outcome, reason) => {
    const out = checkHttpExpect(exp, { ...base, ...res });
    expect([out.outcome, out.reason]).toEqual([outcome, reason]);
  });
});
