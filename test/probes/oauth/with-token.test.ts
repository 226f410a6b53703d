import { describe, expect, it } from 'vitest';
import { withSsoToken } from '../../../src/probes/oauth/with-token.js';
import { ProbeFailure, type OAuthRun, type ProbeContext } from '../../../src/probes/types.js';

// withSsoToken's rules, with an OAuthRun that hands out numbered tokens (the token source itself is tested against a
// real OAuth server in token-source.test.ts).

interface Oauth {
  run: OAuthRun;
  renewals: Array<[string | undefined, string | undefined]>;
}

function oauth(first: string | undefined, renewed: string | undefined): Oauth {
  const renewals: Oauth['renewals'] = [];
  const run = {
    facts: {} as OAuthRun['facts'],
    token: () => Promise.resolve(first),
    renew: (sent: string | undefined, challenge: string | undefined) => {
      renewals.push([sent, challenge]);
      return Promise.resolve(renewed);
    },
  };
  return { run, renewals };
}

function ctx(o: Oauth | undefined, aborted = false): { ctx: ProbeContext; steps: string[] } {
  const steps: string[] = [];
  const ac = new AbortController();
  if (aborted) ac.abort();
  return {
    ctx: {
      signal: ac.signal,
      step: (m: string) => steps.push(m),
      ...(o && { oauth: o.run }),
    } as unknown as ProbeContext,
    steps,
  };
}

const unauthorized = new ProbeFailure('auth_rejected', '401', { status: 401, wwwAuthenticate: 'Bearer error="x"' });

describe('withSsoToken', () => {
  it('no oauth2: one attempt, without a token', async () => {
    const seen: Array<string | undefined> = [];
    expect(await withSsoToken(ctx(undefined).ctx, (t) => (seen.push(t), Promise.resolve('ok')))).toBe('ok');
    expect(seen).toEqual([undefined]);
  });

  it('a 401 (thrown) is tried once more with a renewed token, from its challenge', async () => {
    const o = oauth('t1', 't2');
    const c = ctx(o);
    const seen: Array<string | undefined> = [];
    const result = await withSsoToken(c.ctx, (t) => {
      seen.push(t);
      return t === 't1' ? Promise.reject(unauthorized) : Promise.resolve(`ok with ${t}`);
    });
    expect(result).toBe('ok with t2');
    expect(seen).toEqual(['t1', 't2']);
    expect(o.renewals).toEqual([['t1', 'Bearer error="x"']]);
    expect(c.steps).toEqual(['oauth2: trying again with the new token']);
  });

  it('a 401 told by the result is tried once more; the first result stands when renewing would not help', async () => {
    const attempt = (t: string | undefined): Promise<{ status: number; t: string | undefined }> =>
      Promise.resolve({ status: t === 't1' ? 401 : 200, t });
    const of = (r: { status: number }) => (r.status === 401 ? { challenge: undefined } : undefined);
    expect(await withSsoToken(ctx(oauth('t1', 't2')).ctx, attempt, of)).toEqual({ status: 200, t: 't2' });
    expect(await withSsoToken(ctx(oauth('t1', undefined)).ctx, attempt, of)).toEqual({ status: 401, t: 't1' });
  });

  it('the error stands: not a 401, no new token, or the run already over', async () => {
    const fail = (err: unknown) => () => Promise.reject(err);
    const notAuth = new ProbeFailure('http_error', '502', { status: 502 });
    const o = oauth('t1', 't2');
    await expect(withSsoToken(ctx(o).ctx, fail(notAuth))).rejects.toBe(notAuth);
    await expect(withSsoToken(ctx(o).ctx, fail(new Error('reset')))).rejects.toThrow('reset');
    expect(o.renewals).toEqual([]);
    await expect(withSsoToken(ctx(oauth('t1', undefined)).ctx, fail(unauthorized))).rejects.toBe(unauthorized);
    const late = oauth('t1', 't2');
    await expect(withSsoToken(ctx(late, true).ctx, fail(unauthorized))).rejects.toBe(unauthorized);
    expect(late.renewals).toEqual([]);
  });
});
