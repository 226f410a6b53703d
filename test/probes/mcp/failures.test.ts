import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/parse.js';
import { describeHttpRejection, type HttpRejection, isAuthRejection } from '../../../src/probes/mcp/failures.js';

const target = (over: Partial<Target> = {}): Target =>
  ({
    name: 'litellm-lan',
    url: 'http://gw:4000',
    apiKey: 'sk-unit-0123456789abcdef',
    apiKeyHeader: 'authorization',
    mcpPath: '/mcp/',
    transport: 'streamable-http',
    headers: {},
    tls: { insecureSkipVerify: false },
    ...over,
  }) as Target;

/** Real answers of LiteLLM to POST /mcp/ (initialize), from test/fixtures/litellm/<version>/responses.json. */
function captured(version: string, name: string): HttpRejection {
  const all = JSON.parse(
    readFileSync(join(import.meta.dirname, '../../fixtures/litellm', version, 'responses.json'), 'utf8'),
  ) as Record<string, Array<{ status: number; body: string; headers: Record<string, string> }>>;
  const r = all[name]?.[0];
  if (!r) throw new Error(`fixture ${version}/${name} missing`);
  return { status: r.status, body: r.body, ...(r.headers.location && { location: r.headers.location }) };
}

describe('HTTP rejections behind an SSO gate (oauth2)', () => {
  const ctx = {
    target: target({
      name: 'internet',
      apiKeyHeader: 'x-litellm-api-key',
      oauth2: { clientId: 'mcpwatch', clientSecret: 's', scopes: [] },
    }),
  };
  it("a 401 or 403 that is not LiteLLM's own is the gate's, about the token", () => {
    expect(describeHttpRejection({ status: 401, body: 'Unauthorized' }, ctx)).toEqual({
      outcome: 'auth_rejected',
      reason:
        "401 Unauthorized from internet — refused by the SSO gate in front of the gateway: it did not accept the access token (expired or revoked, signed by a key it does not know, or without the audience or verified email it requires; see the gate's log): Unauthorized",
    });
    expect(describeHttpRejection({ status: 302, body: '', location: '/oauth2/sign_in?rd=%2Fmcp%2F' }, ctx).reason).toBe(
      '302 Found from internet — the SSO gate in front of the gateway sent the request to sign in (/oauth2/sign_in?rd=%2Fmcp%2F): it did not take the access token as a bearer token (is it set to accept bearer tokens from API clients, e.g. oauth2-proxy --skip-jwt-bearer-tokens?)',
    );
  });
  it.each([
    ['1.77.1', 'mcp_wrong_key'],
    ['1.109.1', 'mcp_no_key'],
    ['1.109.1', 'mcp_unknown_server'],
  ])("LiteLLM's own refusal behind the gate (%s %s) is still about the key", (version, name) => {
    expect(describeHttpRejection(captured(version, name), ctx).reason).not.toMatch(/SSO gate/);
  });
});

describe('HTTP rejections of MCP requests (real LiteLLM answers)', () => {
  const ctx = { target: target() };

  it.each([
    ['1.77.1', 'mcp_no_key'],
    ['1.77.1', 'mcp_no_bearer'],
    ['1.77.1', 'mcp_wrong_key'],
    ['1.77.1', 'mcp_empty_bearer'],
    ['1.109.1', 'mcp_no_key'],
    ['1.109.1', 'mcp_no_bearer'],
    ['1.109.1', 'mcp_wrong_key'],
    ['1.109.1', 'mcp_empty_bearer'],
  ])('%s %s counts as rejected, and as auth_rejected for a probe', (version, name) => {
    const r = captured(version, name);
    expect(isAuthRejection(r)).toBe(true);
    expect(describeHttpRejection(r, ctx).outcome).toBe('auth_rejected');
  });

  it('1.77.1: the detail-less 500 is auth_rejected, with a hint that follows what was sent', () => {
    const r = captured('1.77.1', 'mcp_wrong_key');
    expect(describeHttpRejection({ ...r, auth: 'bearer' }, ctx).reason).toBe(
      '500 Internal Server Error from litellm-lan — "MCP request failed" without details, which is how LiteLLM 1.77–1.85 refuses a key: check apiKey (is it a key this gateway knows?) and LiteLLM\'s log',
    );
    expect(describeHttpRejection({ ...r, auth: 'no_scheme' }, ctx).reason).toMatch(
      /: key sent without "Bearer " prefix\?$/,
    );
    expect(describeHttpRejection({ ...r, auth: 'none' }, { target: target({ apiKey: undefined }) }).reason).toMatch(
      /: no key sent: set apiKey \(or apiKeyFile\) on the target$/,
    );
    // With a message in details it is a real failure, not auth.
    expect(
      describeHttpRejection({ status: 500, body: '{"error":"MCP request failed","details":"boom"}' }, ctx).outcome,
    ).toBe('http_error');
  });

  it('1.109.1: 401 names what was sent; "No connected db." says why; an unknown server says which', () => {
    expect(describeHttpRejection({ ...captured('1.109.1', 'mcp_no_bearer'), auth: 'no_scheme' }, ctx).reason).toBe(
      '401 Unauthorized from litellm-lan — key sent without "Bearer " prefix?: {"detail":{"error":"authentication_required","message":"Authenticate with the gateway to use the MCP endpoint."}}',
    );
    expect(describeHttpRejection({ ...captured('1.109.1', 'mcp_no_key'), auth: 'bearer' }, ctx).reason).toMatch(
      /^401 Unauthorized from litellm-lan — the gateway refused the key: check apiKey/,
    );
    expect(describeHttpRejection(captured('1.109.1', 'mcp_wrong_key'), ctx).reason).toBe(
      '400 Bad Request from litellm-lan — "No connected db.": LiteLLM could not check the key (it is not the master key, and the gateway has no database)',
    );
    expect(describeHttpRejection(captured('1.109.1', 'mcp_unknown_server'), ctx)).toMatchObject({
      outcome: 'auth_rejected',
      reason: expect.stringMatching(
        /^403 Forbidden from litellm-lan — the key may not use MCP server mcp_nope: is the name in servers right/,
      ),
    });
  });

  it('1.77.1: /mcp without the slash is a 307 whose reason names the mcpPath to use', () => {
    const r = captured('1.77.1', 'mcp_no_slash');
    expect(isAuthRejection(r)).toBe(false);
    const d = describeHttpRejection(r, {
      target: target({ mcpPath: '/mcp', url: r.location!.replace(/\/mcp\/$/, '') }),
    });
    expect(d).toEqual({
      outcome: 'http_error',
      reason: `307 Temporary Redirect from litellm-lan: redirect to ${r.location} — use mcpPath /mcp/`,
    });
  });

  it.each([
    [
      '429, as 1.108+ answers when every session of the key is busy',
      { status: 429, body: '{"error":"Too Many Requests","details":"Too many active MCP sessions for this caller."}' },
    ],
    [
      'an error naming the subscription limit',
      { status: 500, body: '{"error":"MCP request failed","details":"Caller subscription limit reached"}' },
    ],
  ])('the session limit: %s, is its own reason', (_what, r) => {
    expect(describeHttpRejection(r, ctx)).toEqual({
      outcome: 'http_error',
      reason: expect.stringMatching(
        / from litellm-lan — the gateway's session limit for this key is reached: a client is not ending its sessions \(LiteLLM keeps each until it is DELETEd/,
      ),
    });
  });

  it('other answers are http_error; 400 without an auth text is no rejection', () => {
    expect(
      isAuthRejection({
        status: 400,
        body: '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}',
      }),
    ).toBe(false);
    expect(isAuthRejection({ status: 404, body: '' })).toBe(false);
    expect(describeHttpRejection(captured('1.109.1', 'mcp_accept_json_only'), ctx).outcome).toBe('http_error');
    expect(describeHttpRejection({ status: 502, body: 'Bad Gateway' }, ctx)).toEqual({
      outcome: 'http_error',
      reason: '502 Bad Gateway from litellm-lan: Bad Gateway',
    });
  });
});
