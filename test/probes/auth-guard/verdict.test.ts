import { describe, expect, it } from 'vitest';
import type { AuthCheck } from '../../../src/probes/auth-guard/schema.js';
import { judgeGuard, judgeScopedCall, type Attempt } from '../../../src/probes/auth-guard/verdict.js';

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

describe('out_of_scope', () => {
  const SCOPE = { key: 'codex', tool: 'mcp_postgres-execute_sql' };
  const text = (t: string, isError = false) => ({ isError, content: [{ type: 'text', text: t }] });

  it.each<[string, Parameters<typeof judgeScopedCall>[1], Attempt]>([
    [
      "LiteLLM 1.110's refusal in an error result",
      text('User not allowed to call this tool.', true),
      {
        kind: 'rejected',
        reason: 'refused: User not allowed to call this tool.',
        message: 'key codex calling mcp_postgres-execute_sql was refused: User not allowed to call this tool.',
      },
    ],
    [
      'a tool the key does not have',
      text('Error: Tool mcp_postgres-execute_sql not found', true),
      {
        kind: 'rejected',
        reason: 'refused: Error: Tool mcp_postgres-execute_sql not found',
        message:
          'key codex calling mcp_postgres-execute_sql was refused: Error: Tool mcp_postgres-execute_sql not found',
      },
    ],
    [
      'a real result: the call reached the tool',
      text('[{"?column?": 1}]'),
      { kind: 'session', said: 'the tool answered: [{"?column?": 1}]' },
    ],
    [
      "the tool's own error is a call that reached it",
      text('syntax error at or near "SELEC"', true),
      { kind: 'session', said: 'the tool failed: syntax error at or near "SELEC"' },
    ],
    ['an empty result', { content: [] }, { kind: 'session', said: 'the tool answered: (no text)' }],
  ])('%s', (_what, r, expected) => {
    expect(judgeScopedCall(SCOPE, r)).toEqual(expected);
  });

  it('refused: ok, the check named without a status; let through: auth_not_enforced naming the key and the tool', () => {
    const refused = judgeScopedCall(SCOPE, text('User not allowed to call this tool.', true));
    expect(
      judgeGuard(
        WHERE,
        [
          ['no_key', rejected(401)],
          ['out_of_scope', refused],
        ],
        session,
        SCOPE,
      ),
    ).toMatchObject({
      outcome: 'ok',
      reason: 'all 2 rejected (no_key 401, out_of_scope refused); the real key is accepted',
      details: {
        authChecks: { out_of_scope: { enforced: true, reason: 'refused: User not allowed to call this tool.' } },
      },
    });
    const leak = judgeScopedCall(SCOPE, text('[{"?column?": 1}]'));
    const out = judgeGuard(
      WHERE,
      [
        ['no_key', rejected(401)],
        ['out_of_scope', leak],
      ],
      session,
      SCOPE,
    );
    expect(out.outcome).toBe('auth_not_enforced');
    expect(out.reason).toBe(
      'gw (/mcp/) let key codex call mcp_postgres-execute_sql, a tool outside its grant (check out_of_scope; ' +
        'the tool answered: [{"?column?": 1}]): the gateway\'s per-key scoping does not hold: whoever holds that key can use every tool',
    );
    expect(out.details).toMatchObject({ authChecks: { out_of_scope: { enforced: false } } });
    // With a key check let through too: both said.
    const both = judgeGuard(
      WHERE,
      [
        ['no_key', session],
        ['out_of_scope', leak],
      ],
      session,
      SCOPE,
    );
    expect(both.reason).toMatch(
      /^gw \(\/mcp\/\) accepted MCP requests with no key \(check no_key\): .*; gw \(\/mcp\/\) let key codex call/,
    );
  });
});
