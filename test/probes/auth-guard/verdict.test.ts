import { describe, expect, it } from 'vitest';
import type { AuthCheck } from '../../../src/probes/auth-guard/schema.js';
import { judgeGuard, type Attempt } from '../../../src/probes/auth-guard/verdict.js';

const rejected = (status: number): Attempt => ({
  kind: 'rejected',
  status,
  reason: `rejected: ${status}`,
  message: `${status} from gw — key sent without "Bearer " prefix?`,
});
const session: Attempt = { kind: 'session' };
const timeout: Attempt = { kind: 'error', outcome: 'timeout', reason: 'timeout after 5s in initialize' };
const WHERE = 'gw (/mcp/)';

describe('judgeGuard', () => {
  it.each<[string, Array<[AuthCheck, Attempt]>, Attempt | undefined, string, string]>([
    [
      'every check rejected, real key accepted',
      [
        ['no_key', rejected(401)],
        ['no_bearer_prefix', rejected(401)],
        ['wrong_key', rejected(400)],
      ],
      session,
      'ok',
      'all 3 rejected (no_key 401, no_bearer_prefix 401, wrong_key 400); the real key is accepted',
    ],
    ['rejected, no valid-key check', [['no_key', rejected(500)]], undefined, 'ok', 'all 1 rejected (no_key 500)'],
    [
      'a session without a key',
      [
        ['no_key', session],
        ['wrong_key', rejected(401)],
      ],
      session,
      'auth_not_enforced',
      'gw (/mcp/) accepted MCP requests with no key (check no_key): anyone who reaches the gateway can use its tools',
    ],
    [
      'two checks let through',
      [
        ['no_key', session],
        ['wrong_key', session],
      ],
      undefined,
      'auth_not_enforced',
      'gw (/mcp/) accepted MCP requests with no key, a wrong key (checks no_key, wrong_key): anyone who reaches the gateway can use its tools',
    ],
    [
      'a check that could not be told',
      [
        ['no_key', rejected(401)],
        ['wrong_key', timeout],
      ],
      session,
      'timeout',
      'could not tell whether gw (/mcp/) enforces auth (wrong_key): timeout after 5s in initialize',
    ],
    [
      'not enforced wins over an error',
      [
        ['no_key', timeout],
        ['wrong_key', session],
      ],
      undefined,
      'auth_not_enforced',
      'gw (/mcp/) accepted MCP requests with a wrong key (check wrong_key): anyone who reaches the gateway can use its tools',
    ],
    [
      'the real key refused',
      [['no_key', rejected(401)]],
      rejected(401),
      'auth_rejected',
      'the real key was refused: 401 from gw — key sent without "Bearer " prefix?',
    ],
    [
      'the real key met an error',
      [['no_key', rejected(401)]],
      { kind: 'error', outcome: 'connect_error', reason: 'connection refused', status: 502 },
      'connect_error',
      'the real key was refused: connection refused',
    ],
  ])('%s', (_name, attempts, valid, outcome, reason) => {
    const out = judgeGuard(WHERE, attempts, valid);
    expect(out.outcome).toBe(outcome);
    expect(out.reason).toBe(reason);
  });

  it('details: one verdict per check, status where the gateway answered', () => {
    const out = judgeGuard(
      WHERE,
      [
        ['no_key', rejected(401)],
        ['no_bearer_prefix', session],
        ['wrong_key', timeout],
      ],
      rejected(403),
    );
    expect(out.details).toEqual({
      authChecks: {
        no_key: { enforced: true, status: 401, reason: 'rejected: 401' },
        no_bearer_prefix: { enforced: false, reason: 'an MCP session opened with the key without "Bearer "' },
        wrong_key: { reason: 'timeout after 5s in initialize' },
        valid_key: { accepted: false, status: 403, reason: 'rejected: 403' },
      },
    });
  });
});
