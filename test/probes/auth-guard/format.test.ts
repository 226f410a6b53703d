import { describe, expect, it } from 'vitest';
import { format } from '../../../src/probes/auth-guard/format.js';

describe('auth_guard format', () => {
  it('one line per check, its verdict and reason (as `mcpwatch probe` shows them)', () => {
    expect(
      format({
        authChecks: {
          no_key: { enforced: true, status: 401, reason: 'rejected: 401 Unauthorized' },
          wrong_key: { enforced: false, reason: 'an MCP session opened with a wrong key' },
          valid_key: { accepted: true, reason: 'the real key opened a session' },
        },
      }),
    ).toEqual([
      'checks:',
      '  no_key            rejected, as it must be: rejected: 401 Unauthorized',
      '  wrong_key         NOT REJECTED: an MCP session opened with a wrong key',
      '  valid_key         accepted, as it must be: the real key opened a session',
    ]);
  });

  it('a refused real key, and a check that could not be told', () => {
    expect(
      format({
        authChecks: {
          no_sso_token: { reason: 'timeout after 5s in initialize' },
          valid_key: { accepted: false, status: 401, reason: 'the real key was refused: 401' },
        },
      }),
    ).toEqual([
      'checks:',
      '  no_sso_token      unknown: timeout after 5s in initialize',
      '  valid_key         REFUSED: the real key was refused: 401',
    ]);
  });

  it('no checks: the head alone', () => {
    expect(format({ authChecks: {} })).toEqual(['checks:']);
  });

  it("the gateway's refusal has no lines of its own", () => {
    expect(format({ status: 502, body: 'Bad Gateway' })).toBeUndefined();
  });
});
