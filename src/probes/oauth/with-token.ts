import { ProbeFailure, type ProbeContext } from '../types.js';

/** A 401 and its challenge (WWW-Authenticate), which discovery and renewal start from. */
export interface Unauthorized {
  challenge: string | undefined;
}

/**
 * Runs `attempt` with the run's SSO token (targets with oauth2; none otherwise). When the answer is
 * a 401 — thrown as a ProbeFailure with status 401, or told by `unauthorizedOf` — it is tried once
 * more with a new token, when a new one can help: the endpoint was not known yet (discovered from
 * that 401), or the cached token was refused (expired or revoked before its time).
 */
export async function withSsoToken<T>(
  ctx: ProbeContext,
  attempt: (token: string | undefined) => Promise<T>,
  unauthorizedOf: (r: T) => Unauthorized | undefined = () => undefined,
): Promise<T> {
  const oauth = ctx.oauth;
  if (!oauth) return attempt(undefined);
  const token = await oauth.token();
  /** The attempt once more with a renewed token; undefined when renewing would not help. */
  const again = async (u: Unauthorized): Promise<{ result: T } | undefined> => {
    if (ctx.signal.aborted) return undefined;
    const next = await oauth.renew(token, u.challenge);
    if (next === undefined) return undefined;
    ctx.step('oauth2: trying again with the new token');
    return { result: await attempt(next) };
  };
  let first: T;
  try {
    first = await attempt(token);
  } catch (err) {
    const u = unauthorizedFailure(err);
    const retried = u && (await again(u));
    if (!retried) throw err;
    return retried.result;
  }
  const u = unauthorizedOf(first);
  const retried = u && (await again(u));
  return retried ? retried.result : first;
}

function unauthorizedFailure(err: unknown): Unauthorized | undefined {
  if (!(err instanceof ProbeFailure) || !err.details || !('status' in err.details) || err.details.status !== 401)
    return undefined;
  const challenge = 'wwwAuthenticate' in err.details ? err.details.wwwAuthenticate : undefined;
  return { challenge: typeof challenge === 'string' ? challenge : undefined };
}
