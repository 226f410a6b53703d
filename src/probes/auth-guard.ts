import { randomBytes } from 'node:crypto';
import type { AuthCheck, AuthGuardProbeConfig } from '../config/schema.js';
import { classifyError, ProbeFailure } from './errors.js';
import { excerpt, statusText } from './expect.js';
import { hostOf } from './http-util.js';
import { isAuthRejection } from './mcp-errors.js';
import { openSession, type AuthMode } from './mcp-client.js';
import type { ProbeContext, ProbeFn } from './types.js';
import { GUARD_MARKER_PARAM } from '../correlate/guard.js';

/** The wrong key the guard sends starts with this, so its errors can be told apart in LiteLLM's log. */
export const GUARD_KEY_PREFIX = 'sk-mcpwatch-guard-';

export type GuardCheck = AuthCheck | 'valid_key';

export interface CheckResult {
  /** For the rejection checks: true when the gateway refused the request. Unset when it could not be told. */
  enforced?: boolean;
  /** For valid_key: true when the real key opened a session. */
  accepted?: boolean;
  status?: number;
  reason: string;
}

type Attempt =
  | { kind: 'session' }
  /** `reason`: short, for the check's details; `message`: the full reason with its hint. */
  | { kind: 'rejected'; status: number; reason: string; message: string }
  | { kind: 'error'; outcome: ProbeFailure['outcome']; reason: string; status?: number };

/** Tries to open an MCP session with the given credentials and reports how the gateway answered. */
async function attempt(ctx: ProbeContext, spec: AuthGuardProbeConfig, label: GuardCheck, auth: AuthMode, query?: string): Promise<Attempt> {
  try {
    const session = await openSession(ctx, {
      servers: spec.servers,
      headers: spec.headers,
      auth,
      label,
      ...(query && { query }),
      ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }),
    });
    await session.close();
    return { kind: 'session' };
  } catch (err) {
    if (ctx.signal.aborted) throw err; // the run's timeout: reported for the whole run
    if (err instanceof ProbeFailure) {
      const status = err.details?.status as number | undefined;
      const body = typeof err.details?.body === 'string' ? err.details.body : '';
      if (status !== undefined && isAuthRejection({ status, body })) {
        return { kind: 'rejected', status, reason: `rejected: ${statusText(status)}${body ? ` ${excerpt(body, 100)}` : ''}`, message: err.message };
      }
      return { kind: 'error', outcome: err.outcome, reason: err.message, ...(status !== undefined && { status }) };
    }
    const c = classifyError(err, { signal: ctx.signal, phase: ctx.phases.last, host: hostOf(ctx.target) });
    return { kind: 'error', outcome: c.outcome, reason: c.reason };
  }
}

function credentialsFor(check: AuthCheck, ctx: ProbeContext, wrongKey: string): AuthMode {
  switch (check) {
    case 'no_key':
      return { kind: 'none' };
    case 'no_bearer_prefix': {
      // The real key without its scheme, as misconfigured clients send it; a made-up key when none is configured.
      const key = ctx.target.apiKey?.replace(/^bearer\s+/i, '') ?? wrongKey;
      return { kind: 'raw', value: key };
    }
    case 'wrong_key':
      return { kind: 'raw', value: `Bearer ${wrongKey}` };
  }
}

const CHECK_TEXT: Record<AuthCheck, string> = {
  no_key: 'no key',
  no_bearer_prefix: 'the key without "Bearer "',
  wrong_key: 'a wrong key',
};

/**
 * Requests that must be rejected (no key, no `Bearer ` prefix, a wrong key), and optionally one
 * that must succeed with the real key. A session opened without a valid key is
 * `auth_not_enforced`, the worst finding mcpwatch has.
 */
export const authGuardProbe: ProbeFn<AuthGuardProbeConfig> = async (spec, ctx) => {
  const wrongKey = `${GUARD_KEY_PREFIX}${randomBytes(12).toString('hex')}`;

  const checks: Partial<Record<GuardCheck, CheckResult>> = {};
  const notEnforced: AuthCheck[] = [];
  const errors: Array<{ check: GuardCheck; outcome: ProbeFailure['outcome']; reason: string }> = [];

  for (const check of spec.checks) {
    // Announced to the log correlator, and marked in the URL, so the auth error this request
    // provokes in the gateway's log is counted as the probe's, not as a real client's.
    const announced = ctx.guard?.begin(check) ?? { query: `${GUARD_MARKER_PARAM}=${randomBytes(8).toString('hex')}`, end: () => undefined };
    const a = await attempt(ctx, spec, check, credentialsFor(check, ctx, wrongKey), announced.query).finally(() => announced.end());
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

  let validProblem: { outcome: ProbeFailure['outcome']; reason: string } | undefined;
  if (spec.validKey) {
    const a = await attempt(ctx, spec, 'valid_key', { kind: 'key' });
    if (a.kind === 'session') checks.valid_key = { accepted: true, reason: 'the real key opened a session' };
    else {
      checks.valid_key = { accepted: false, reason: a.reason, ...(a.status !== undefined && { status: a.status }) };
      validProblem = { outcome: a.kind === 'rejected' ? 'auth_rejected' : a.outcome, reason: `the real key was refused: ${a.kind === 'rejected' ? a.message : a.reason}` };
    }
  }

  const details = { authChecks: checks };
  const where = `${ctx.target.name} (${ctx.target.mcpPath})`;
  if (notEnforced.length) {
    return {
      outcome: 'auth_not_enforced',
      reason: `${where} accepted MCP requests with ${notEnforced.map((c) => CHECK_TEXT[c]).join(', ')} (check${notEnforced.length > 1 ? 's' : ''} ${notEnforced.join(', ')}): anyone who reaches the gateway can use its tools`,
      details,
    };
  }
  if (errors.length) {
    const first = errors[0]!;
    return { outcome: first.outcome, reason: `could not tell whether ${where} enforces auth (${first.check}): ${first.reason}`, details };
  }
  if (validProblem) return { ...validProblem, details };
  const statuses = spec.checks.map((c) => `${c} ${checks[c]?.status ?? '?'}`).join(', ');
  return { outcome: 'ok', reason: `all ${spec.checks.length} rejected (${statuses})${spec.validKey ? '; the real key is accepted' : ''}`, details };
};
