import type { AuthCheck, AuthGuardProbeConfig } from '../config/schema.js';
import { guardQuery, newGuardKey, newGuardMarker } from './guard-marks.js';
import { isAuthRejection } from './mcp/failures.js';
import { openSession, type AuthMode } from './mcp/session.js';
import { classifyError } from './net/failures.js';
import { hostPortOf } from './net/requests.js';
import { ProbeFailure, type GuardCheck, type ProbeContext, type ProbeFn } from './types.js';
import { judgeGuard, type Attempt } from './verdicts/guard.js';
import { excerpt, statusText } from './verdicts/text.js';

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
      const rejection = err.details && 'status' in err.details ? err.details : undefined;
      const status = rejection?.status;
      const body = rejection?.body ?? '';
      if (status !== undefined && isAuthRejection({ status, body })) {
        return { kind: 'rejected', status, reason: `rejected: ${statusText(status)}${body ? ` ${excerpt(body, 100)}` : ''}`, message: err.message };
      }
      return { kind: 'error', outcome: err.outcome, reason: err.message, ...(status !== undefined && { status }) };
    }
    const c = classifyError(err, { signal: ctx.signal, phase: ctx.phases.last, host: hostPortOf(ctx.target) });
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

/**
 * Requests that must be rejected (no key, no `Bearer ` prefix, a wrong key), and optionally one
 * that must succeed with the real key.
 */
export const authGuardProbe: ProbeFn<AuthGuardProbeConfig> = async (spec, ctx) => {
  const wrongKey = newGuardKey();
  const attempts: Array<[AuthCheck, Attempt]> = [];
  for (const check of spec.checks) {
    // Announced to the log correlator, and marked in the URL, so the auth error this request
    // provokes in the gateway's log is counted as the probe's, not as a real client's.
    const announced = ctx.guard?.begin(check) ?? { query: guardQuery(newGuardMarker()), end: () => undefined };
    attempts.push([check, await attempt(ctx, spec, check, credentialsFor(check, ctx, wrongKey), announced.query).finally(() => announced.end())]);
  }
  const valid = spec.validKey ? await attempt(ctx, spec, 'valid_key', { kind: 'key' }) : undefined;
  return judgeGuard(`${ctx.target.name} (${ctx.target.mcpPath})`, attempts, valid);
};
