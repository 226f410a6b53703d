import { ProtocolError } from '@modelcontextprotocol/client';
import { targetAs } from '../../config/target.js';
import { guardQuery, newGuardKey, newGuardMarker } from '../guard-marks.js';
import { classifyMcpError, isAuthRejection } from '../mcp/failures.js';
import { speaking } from '../mcp/protocol.js';
import { listToolsPage, openSession, type AuthMode } from '../mcp/session.js';
import { classifyError } from '../net/failures.js';
import { hostPortOf } from '../net/requests.js';
import { withSsoToken } from '../oauth/with-token.js';
import { ProbeFailure, type ProbeContext, type ProbeFn, type RejectionDetails } from '../types.js';
import type { GuardCheck, GuardProbeDetails } from './details.js';
import type { AuthCheck, AuthGuardProbeConfig } from './schema.js';
import { judgeGuard, judgeScopedCall, type Attempt, type CallAnswer } from './verdict.js';
import { excerpt, statusText, stripMcpErrorPrefix } from '../text.js';

/**
 * Opens an MCP session with the given credentials and closes it; throws what openSession throws. A check's session in
 * the 2026-07-28 era also lists the tools: its handshake, `server/discover`, may be open to anyone (it only describes
 * the server), so a discover answered without a key proves nothing; a tools/list answered does. (A 2025 session's
 * `initialize` is what servers guard, and the valid key's session needs no more: one request fewer to the gateway.)
 */
async function open(
  ctx: ProbeContext,
  spec: AuthGuardProbeConfig,
  label: GuardCheck,
  auth: AuthMode,
  ssoToken: string | undefined,
  query?: string,
): Promise<void> {
  const session = await openSession(ctx, {
    servers: spec.servers,
    headers: spec.headers,
    auth,
    label,
    ...(query && { query }),
    ...(ssoToken !== undefined && { ssoToken }),
    ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }),
  });
  try {
    if (label !== 'valid_key' && session.protocol.era === 'modern')
      await session.call((opts) => listToolsPage(session.client, undefined, opts));
  } catch (err) {
    throw classifyMcpError(err, ctx, session.responses, 'list_tools') ?? err;
  } finally {
    await session.close();
  }
}

/**
 * out_of_scope: a session as the named key of `outOfScope` (never the target's own: the config refuses a named key
 * equal to it) and a tools/call to the tool outside its grant. A JSON-RPC error to the call is the gateway's refusal;
 * a result is judged by judgeScopedCall; an HTTP refusal is told by `attempt`.
 */
async function scopedCall(
  ctx: ProbeContext,
  spec: AuthGuardProbeConfig,
  ssoToken: string | undefined,
  query: string,
): Promise<Attempt> {
  const o = spec.outOfScope!;
  const target = targetAs(ctx.target, o.key);
  if (target.apiKey === undefined)
    return {
      kind: 'error',
      outcome: 'internal_error',
      reason: `key ${o.key} of target ${ctx.target.name} has no value`,
    };
  const scoped: ProbeContext = { ...ctx, target };
  const session = await openSession(scoped, {
    servers: spec.servers,
    headers: spec.headers,
    auth: { kind: 'key' },
    label: 'out_of_scope',
    query,
    ...(ssoToken !== undefined && { ssoToken }),
    ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }),
  });
  try {
    ctx.step(`[out_of_scope] tools/call ${o.tool} as key ${o.key}`, { arguments: o.arguments });
    const r = (await session.call((opts) =>
      session.client.callTool({ name: o.tool, arguments: o.arguments }, opts),
    )) as CallAnswer;
    return judgeScopedCall(o, r);
  } catch (err) {
    if (err instanceof ProtocolError && !ctx.signal.aborted) {
      const said = `JSON-RPC error ${err.code} ${excerpt(stripMcpErrorPrefix(err.message), 100)}`;
      return { kind: 'rejected', reason: `refused: ${said}`, message: `key ${o.key} calling ${o.tool}: ${said}` };
    }
    throw classifyMcpError(err, scoped, session.responses, 'call_tool') ?? err;
  } finally {
    await session.close();
  }
}

/**
 * Tries to open an MCP session with the given credentials and reports how the gateway (or the SSO gate in front of it)
 * answered; `run` may tell the answer itself (out_of_scope).
 */
async function attempt(ctx: ProbeContext, label: GuardCheck, run: () => Promise<Attempt | void>): Promise<Attempt> {
  try {
    return (await run()) ?? { kind: 'session' };
  } catch (err) {
    if (ctx.signal.aborted) throw err; // the run's timeout: reported for the whole run
    if (err instanceof ProbeFailure) {
      const rejection = err.details && 'status' in err.details ? (err.details as RejectionDetails) : undefined;
      const status = rejection?.status;
      const body = rejection?.body ?? '';
      // The SSO gate refuses a request without a token with 401/403, or by sending it to sign in.
      const redirected = label === 'no_sso_token' && status !== undefined && status >= 300 && status < 400;
      if (status !== undefined && (isAuthRejection({ status, body }) || redirected)) {
        const how = redirected ? ' (to sign in)' : body ? ` ${excerpt(body, 100)}` : '';
        return {
          kind: 'rejected',
          status,
          reason: `rejected: ${statusText(status)}${how}`,
          message: err.message,
        };
      }
      return { kind: 'error', outcome: err.outcome, reason: err.message, ...(status !== undefined && { status }) };
    }
    const c = classifyError(err, { signal: ctx.signal, phase: ctx.phases.last, host: hostPortOf(ctx.target) });
    return { kind: 'error', outcome: c.outcome, reason: c.reason };
  }
}

function credentialsFor(check: AuthCheck, ctx: ProbeContext, wrongKey: string): AuthMode {
  switch (check) {
    case 'no_sso_token':
      return { kind: 'key' };
    case 'no_key':
      return { kind: 'none' };
    case 'no_bearer_prefix': {
      // The real key without its scheme, as misconfigured clients send it; a made-up key when none is configured.
      const key = ctx.target.apiKey?.replace(/^bearer\s+/i, '') ?? wrongKey;
      return { kind: 'raw', value: key };
    }
    case 'wrong_key':
      return { kind: 'raw', value: `Bearer ${wrongKey}` };
    case 'out_of_scope':
      return { kind: 'key' }; // sent as the named key by scopedCall
  }
}

/**
 * Requests that must be rejected (no key, no `Bearer ` prefix, a wrong key, the real key without
 * the SSO token), and optionally one that must succeed with the real key. Behind an SSO gate
 * (oauth2) every request but no_sso_token carries the gate's token, so that the key checks reach
 * the gateway; the real key then goes first, so that a stale token is renewed (and proven) before
 * the key checks use it.
 */
export const run: ProbeFn<AuthGuardProbeConfig, GuardProbeDetails> = (spec, ctx) =>
  speaking(ctx, () => guardRun(spec, ctx));

const guardRun: ProbeFn<AuthGuardProbeConfig, GuardProbeDetails> = async (spec, ctx) => {
  const wrongKey = newGuardKey();
  let ssoToken: string | undefined;
  const validKey = (): Promise<Attempt> =>
    attempt(ctx, 'valid_key', () =>
      withSsoToken(ctx, (token) => {
        ssoToken = token;
        return open(ctx, spec, 'valid_key', { kind: 'key' }, token);
      }),
    );
  // Without a token from the identity provider nothing can be told: the run fails with its answer.
  if (ctx.oauth) ssoToken = await ctx.oauth.token();
  let valid = spec.validKey && ctx.oauth ? await validKey() : undefined;
  const attempts: Array<[AuthCheck, Attempt]> = [];
  for (const check of spec.checks) {
    // Announced to the log correlator, and marked in the URL, so the auth error this request
    // provokes in the gateway's log is counted as the probe's, not as a real client's.
    const announced = ctx.guard?.begin(check) ?? { query: guardQuery(newGuardMarker()), end: () => undefined };
    const token = check === 'no_sso_token' ? undefined : ssoToken;
    const a = await attempt(ctx, check, () =>
      check === 'out_of_scope'
        ? scopedCall(ctx, spec, token, announced.query)
        : open(ctx, spec, check, credentialsFor(check, ctx, wrongKey), token, announced.query),
    ).finally(() => announced.end());
    attempts.push([check, a]);
  }
  if (spec.validKey && !ctx.oauth) valid = await validKey();
  const scope = spec.outOfScope && { key: spec.outOfScope.key, tool: spec.outOfScope.tool };
  return judgeGuard(`${ctx.target.name} (${ctx.target.mcpPath})`, attempts, valid, scope);
};
