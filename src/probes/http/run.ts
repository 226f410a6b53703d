import { maskHeaders } from '../../util/redact.js';
import { joinUrl } from '../../util/url.js';
import { keyHeaders, readLimited, ssoHeaders, USER_AGENT } from '../net/requests.js';
import { withSsoToken } from '../oauth/with-token.js';
import type { ProbeFn } from '../types.js';
import type { HttpDetails } from './details.js';
import type { HttpProbeConfig } from './schema.js';
import { checkHttpExpect } from './verdict.js';

/** A plain HTTP check against a target: status, optional body expectations. */
export const run: ProbeFn<HttpProbeConfig, HttpDetails> = async (spec, ctx) => {
  const url = joinUrl(ctx.target.url, spec.path);
  const keySent = spec.auth && ctx.target.apiKey !== undefined;
  const send = async (ssoToken: string | undefined): Promise<HttpResult> => {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...ctx.target.headers, ...spec.headers };
    if (spec.auth) Object.assign(headers, keyHeaders(ctx.target), ssoHeaders(ssoToken));
    ctx.step(`${spec.method} ${url}`, { headers: maskHeaders(headers, ctx.redactor) });

    ctx.phases.start('http');
    const res = await ctx.request(url, {
      method: spec.method,
      headers,
      ...(spec.body !== undefined && { body: spec.body }),
      signal: ctx.signal,
    });
    ctx.step(`response ${res.statusCode}`, { headers: maskHeaders(stringHeaders(res.headers), ctx.redactor) });
    const body =
      spec.method === 'HEAD'
        ? { text: '', truncated: false, bytes: 0 }
        : await readLimited(res.body, spec.maxBodyBytes);
    if (spec.method === 'HEAD') res.body.destroy();
    ctx.phases.end();
    ctx.step(`body ${body.bytes} bytes${body.truncated ? ' (truncated)' : ''}`);
    return { status: res.statusCode, headers: res.headers, body };
  };
  // With auth, through an SSO gate (oauth2): its token, renewed once when the answer is a 401.
  const res = spec.auth
    ? await withSsoToken(ctx, send, (r) =>
        r.status === 401 ? { challenge: stringHeaders(r.headers)['www-authenticate'] } : undefined,
      )
    : await send(undefined);

  return checkHttpExpect(spec.expect, {
    status: res.status,
    headers: res.headers,
    body: res.body.text,
    bodyTruncated: res.body.truncated,
    keySent,
    target: ctx.target.name,
  });
};

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { text: string; truncated: boolean; bytes: number };
}

function stringHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
