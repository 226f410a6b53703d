import type { Outcome, ProbeOutput } from '../types.js';
import type { CheckResult, GuardCheck, GuardDetails } from './details.js';
import type { AuthCheck } from './schema.js';

/** How the gateway answered one guard request. */
export type Attempt =
  | { kind: 'session' }
  /** `reason`: short, for the check's details; `message`: the full reason with its hint. */
  | { kind: 'rejected'; status: number; reason: string; message: string }
  | { kind: 'error'; outcome: Outcome; reason: string; status?: number };

const CHECK_TEXT: Record<AuthCheck, string> = {
  no_key: 'no key',
  no_bearer_prefix: 'the key without "Bearer "',
  wrong_key: 'a wrong key',
  no_sso_token: 'the real key but no SSO token',
};

/**
 * Pure: the guard's verdict from its attempts. A session opened without a valid key is
 * `auth_not_enforced`, the worst finding mcpwatch has; a check that could not be told is the
 * failure it met; the real key refused (with `valid`) fails the run too.
 */
export function judgeGuard(
  where: string,
  attempts: ReadonlyArray<[AuthCheck, Attempt]>,
  valid?: Attempt,
): ProbeOutput<GuardDetails> {
  const checks: Partial<Record<GuardCheck, CheckResult>> = {};
  const notEnforced: AuthCheck[] = [];
  const errors: Array<{ check: GuardCheck; outcome: Outcome; reason: string }> = [];
  for (const [check, a] of attempts) {
    if (a.kind === 'session') {
      checks[check] = { enforced: false, reason: `an MCP session opened with ${CHECK_TEXT[check]}` };
      notEnforced.push(check);
    } else if (a.kind === 'rejected') {
      checks[check] = { enforced: true, status: a.status, reason: a.reason };
    } else {
      checks[check] = { reason: a.reason, ...(a.status !== undefined && { status: a.status }) };
      errors.push({ check, outcome: a.outcome, reason: a.reason });
    }
  }

  let validProblem: { outcome: Outcome; reason: string } | undefined;
  if (valid) {
    if (valid.kind === 'session') checks.valid_key = { accepted: true, reason: 'the real key opened a session' };
    else {
      checks.valid_key = {
        accepted: false,
        reason: valid.reason,
        ...(valid.status !== undefined && { status: valid.status }),
      };
      validProblem = {
        outcome: valid.kind === 'rejected' ? 'auth_rejected' : valid.outcome,
        reason: `the real key was refused: ${valid.kind === 'rejected' ? valid.message : valid.reason}`,
      };
    }
  }

  const details = { authChecks: checks };
  if (notEnforced.length) {
    const who = notEnforced.includes('no_sso_token')
      ? 'the SSO gate lets requests without a token through to the gateway: ' +
        'anyone on the internet with a key can use its tools'
      : 'anyone who reaches the gateway can use its tools';
    const what = notEnforced.map((c) => CHECK_TEXT[c]).join(', ');
    const which = `check${notEnforced.length > 1 ? 's' : ''} ${notEnforced.join(', ')}`;
    return {
      outcome: 'auth_not_enforced',
      reason: `${where} accepted MCP requests with ${what} (${which}): ${who}`,
      details,
    };
  }
  if (errors.length) {
    const first = errors[0]!;
    return {
      outcome: first.outcome,
      reason: `could not tell whether ${where} enforces auth (${first.check}): ${first.reason}`,
      details,
    };
  }
  if (validProblem) return { ...validProblem, details };
  const statuses = attempts.map(([c]) => `${c} ${checks[c]?.status ?? '?'}`).join(', ');
  return {
    outcome: 'ok',
    reason: `all ${attempts.length} rejected (${statuses})${valid ? '; the real key is accepted' : ''}`,
    details,
  };
}
