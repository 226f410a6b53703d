import { excerpt } from '../text.js';
import type { Outcome, ProbeOutput } from '../types.js';
import type { CheckResult, GuardCheck, GuardDetails } from './details.js';
import type { AuthCheck } from './schema.js';

/** How the gateway answered one guard request. */
export type Attempt =
  /** `said`: out_of_scope, what the tool answered (an excerpt). */
  | { kind: 'session'; said?: string }
  /**
   * `reason`: short, for the check's details; `message`: the full reason with its hint. No `status` for a refusal in
   * the MCP answer (out_of_scope: a JSON-RPC error, or LiteLLM's "not allowed" result).
   */
  | { kind: 'rejected'; status?: number; reason: string; message: string }
  | { kind: 'error'; outcome: Outcome; reason: string; status?: number };

const CHECK_TEXT: Record<AuthCheck, string> = {
  no_key: 'no key',
  no_bearer_prefix: 'the key without "Bearer "',
  wrong_key: 'a wrong key',
  no_sso_token: 'the real key but no SSO token',
  out_of_scope: 'a named key calling a tool outside its grant',
};

/** A check the gateway let through: what the check's details say of it. */
function letThrough(check: AuthCheck, a: Attempt & { kind: 'session' }, scope: Scope | undefined): CheckResult {
  if (check === 'out_of_scope' && scope)
    return {
      enforced: false,
      reason: `key ${scope.key} called ${scope.tool}, outside its grant: ${a.said ?? 'a session opened'}`,
    };
  return { enforced: false, reason: `an MCP session opened with ${CHECK_TEXT[check]}` };
}

/** Why the run is auth_not_enforced: the key checks let through, then an out_of_scope call that got through. */
function notEnforcedReason(
  where: string,
  notEnforced: readonly AuthCheck[],
  checks: Partial<Record<GuardCheck, CheckResult>>,
  scope: Scope | undefined,
): string {
  const keyChecks = notEnforced.filter((c) => c !== 'out_of_scope');
  const parts: string[] = [];
  if (keyChecks.length) {
    const who = keyChecks.includes('no_sso_token')
      ? 'the SSO gate lets requests without a token through to the gateway: ' +
        'anyone on the internet with a key can use its tools'
      : 'anyone who reaches the gateway can use its tools';
    const what = keyChecks.map((c) => CHECK_TEXT[c]).join(', ');
    const which = `check${keyChecks.length > 1 ? 's' : ''} ${keyChecks.join(', ')}`;
    parts.push(`${where} accepted MCP requests with ${what} (${which}): ${who}`);
  }
  if (notEnforced.includes('out_of_scope')) {
    const s = scope ?? { key: '(named key)', tool: '(tool)' };
    const said = checks.out_of_scope?.reason.replace(/^.*?outside its grant: /, '') ?? 'it answered';
    parts.push(
      `${where} let key ${s.key} call ${s.tool}, a tool outside its grant (check out_of_scope; ${said}): ` +
        "the gateway's per-key scoping does not hold: whoever holds that key can use every tool",
    );
  }
  return parts.join('; ');
}

/** The out_of_scope check's key and tool, for its reasons. */
export interface Scope {
  key: string;
  tool: string;
}

/**
 * LiteLLM's refusal of a tool outside the key's grant, in a tool result (1.110: "User not allowed to call this tool"),
 * and a tool the key's catalog does not have ("Tool … not found"): the call did not reach the tool.
 */
const SCOPE_REFUSAL = /not allowed|forbidden|permission|unauthori[sz]ed|access denied|\bTool \S+ not found\b/i;

/** A tools/call result's text (its text content, else its structured content). */
function callText(r: CallAnswer): string {
  const texts = (r.content ?? []).flatMap((c) => (c.type === 'text' && typeof c.text === 'string' ? [c.text] : []));
  if (texts.length) return texts.join('\n');
  return r.structuredContent !== undefined ? JSON.stringify(r.structuredContent) : '';
}

/** What tools/call answered, as out_of_scope reads it. */
export interface CallAnswer {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: unknown;
}

/**
 * Pure: the out_of_scope call's answer. The gateway's refusal (an error result in its words) is `rejected`; any other
 * answer, an error of the tool itself included, means the call reached the tool: the scope is not enforced.
 */
export function judgeScopedCall(scope: Scope, r: CallAnswer): Attempt {
  const text = callText(r).trim();
  // LiteLLM 1.77 wraps some refusals in a result with isError: false, "MCP error -32…: …".
  const flagged = Boolean(r.isError) || /^MCP error -?\d+:/.test(text);
  if (flagged && SCOPE_REFUSAL.test(text)) {
    const said = excerpt(text, 100);
    return {
      kind: 'rejected',
      reason: `refused: ${said}`,
      message: `key ${scope.key} calling ${scope.tool} was refused: ${said}`,
    };
  }
  const said = text ? excerpt(text, 100) : '(no text)';
  return { kind: 'session', said: `${r.isError ? 'the tool failed' : 'the tool answered'}: ${said}` };
}

/**
 * Pure: the guard's verdict from its attempts. A session opened without a valid key is
 * `auth_not_enforced`, the worst finding mcpwatch has; a check that could not be told is the
 * failure it met; the real key refused (with `valid`) fails the run too.
 */
export function judgeGuard(
  where: string,
  attempts: ReadonlyArray<[AuthCheck, Attempt]>,
  valid?: Attempt,
  scope?: Scope,
): ProbeOutput<GuardDetails> {
  const checks: Partial<Record<GuardCheck, CheckResult>> = {};
  const notEnforced: AuthCheck[] = [];
  const errors: Array<{ check: GuardCheck; outcome: Outcome; reason: string }> = [];
  for (const [check, a] of attempts) {
    if (a.kind === 'session') {
      checks[check] = letThrough(check, a, scope);
      notEnforced.push(check);
    } else if (a.kind === 'rejected') {
      checks[check] = { enforced: true, ...(a.status !== undefined && { status: a.status }), reason: a.reason };
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
  if (notEnforced.length)
    return { outcome: 'auth_not_enforced', reason: notEnforcedReason(where, notEnforced, checks, scope), details };
  if (errors.length) {
    const first = errors[0]!;
    return {
      outcome: first.outcome,
      reason: `could not tell whether ${where} enforces auth (${first.check}): ${first.reason}`,
      details,
    };
  }
  if (validProblem) return { ...validProblem, details };
  const statuses = attempts.map(([c]) => `${c} ${checks[c]?.status ?? 'refused'}`).join(', ');
  return {
    outcome: 'ok',
    reason: `all ${attempts.length} rejected (${statuses})${valid ? '; the real key is accepted' : ''}`,
    details,
  };
}
