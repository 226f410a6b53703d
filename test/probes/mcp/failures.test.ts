import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import {
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SseError,
} from '@modelcontextprotocol/client';
import {
  classifyMcpError,
  describeHttpRejection,
  httpRejection,
  type HttpRejection,
  isAuthRejection,
  isSessionLimit,
} from '../../../src/probes/mcp/failures.js';
import { ProbeFailure, type ProbeContext } from '../../../src/probes/types.js';
import { lanTarget } from './test-run.js';

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
    target: lanTarget({
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
  const ctx = { target: lanTarget() };

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
    expect(describeHttpRejection({ ...r, auth: 'none' }, { target: lanTarget({ apiKey: undefined }) }).reason).toMatch(
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
      target: lanTarget({ mcpPath: '/mcp', url: r.location!.replace(/\/mcp\/$/, '') }),
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

describe('the table of HTTP rejections: each kind, and the one key hint', () => {
  const keyed = { target: lanTarget() };
  const keyless = { target: lanTarget({ apiKey: undefined }) };
  const detailless = '{"error":"MCP request failed","details":""}';
  it.each<[string, HttpRejection, { target: Target }, string, string]>([
    [
      '401, nothing sent, the target has a key (a check that sends none on purpose)',
      { status: 401, body: '', auth: 'none' },
      keyed,
      'auth_rejected',
      '401 Unauthorized from litellm-lan — no key sent',
    ],
    [
      '401, the response not seen, the target has no key',
      { status: 401, body: '' },
      keyless,
      'auth_rejected',
      '401 Unauthorized from litellm-lan — no key sent: set apiKey (or apiKeyFile) on the target',
    ],
    [
      '403 whose body asks for Bearer',
      { status: 403, body: 'expected a Bearer token', auth: 'bearer' },
      keyed,
      'auth_rejected',
      '403 Forbidden from litellm-lan — key sent without "Bearer " prefix?: expected a Bearer token',
    ],
    [
      'the detail-less 500, nothing sent, the target has a key',
      { status: 500, body: detailless, auth: 'none' },
      keyed,
      'auth_rejected',
      '500 Internal Server Error from litellm-lan — "MCP request failed" without details, which is how LiteLLM 1.77–1.85 refuses a key: no key sent',
    ],
    [
      '404',
      { status: 404, body: '{"detail":"Not Found"}' },
      keyed,
      'http_error',
      '404 Not Found from litellm-lan: no MCP endpoint at /mcp/ — check mcpPath, and that MCP is enabled on the gateway: {"detail":"Not Found"}',
    ],
    [
      '405',
      { status: 405, body: '' },
      keyed,
      'http_error',
      '405 Method Not Allowed from litellm-lan: method not allowed at /mcp/ — check transport (streamable-http or sse)',
    ],
    [
      '406',
      { status: 406, body: '' },
      keyed,
      'http_error',
      "406 Not Acceptable from litellm-lan: the gateway did not accept the request's Accept header — is a proxy in between rewriting it?",
    ],
    [
      'a redirect to another origin: no mcpPath to suggest',
      { status: 301, body: '', location: 'https://elsewhere.example.com/mcp/' },
      keyed,
      'http_error',
      '301 Moved Permanently from litellm-lan: redirect to https://elsewhere.example.com/mcp/',
    ],
    [
      'a redirect without a location',
      { status: 302, body: '' },
      keyed,
      'http_error',
      '302 Found from litellm-lan: redirect',
    ],
    [
      'a 403 naming no server',
      { status: 403, body: '{"detail":"not allowed to access the requested MCP servers"}' },
      keyed,
      'auth_rejected',
      '403 Forbidden from litellm-lan — the key may not use MCP servers: is the name in servers right (LiteLLM 1.108+ refuses unknown names), and is the server allowed for this key?: {"detail":"not allowed to access the requested MCP servers"}',
    ],
  ])('%s', (_what, r, ctx, outcome, reason) => {
    expect(describeHttpRejection(r, ctx)).toEqual({ outcome, reason });
  });

  it('isSessionLimit: 429, or the words of a limit in any answer', () => {
    expect(isSessionLimit({ status: 429, body: '' })).toBe(true);
    expect(isSessionLimit({ status: 500, body: 'Caller subscription limit reached' })).toBe(true);
    expect(isSessionLimit({ status: 500, body: 'MCP request failed' })).toBe(false);
  });
});

/** The SDK's error for an HTTP error answer to a POST (its data carries the body). */
const postError = (status: number, text: string): SdkHttpError =>
  new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, `Error POSTing to endpoint: ${text}`, {
    status,
    statusText: '',
    text,
  });

describe('httpRejection', () => {
  const seen = [
    { method: 'POST', url: 'u', status: 401, auth: 'no_scheme' as const, wwwAuthenticate: 'Bearer' },
    { method: 'POST', url: 'u', status: 307, auth: 'bearer' as const, location: '/mcp/' },
  ];
  it("the SDK's HTTP errors: the body without the SDK's words, and what the response with that status showed", () => {
    expect(httpRejection(postError(401, '{"detail":"x"}'), seen)).toEqual({
      status: 401,
      body: '{"detail":"x"}',
      wwwAuthenticate: 'Bearer',
      auth: 'no_scheme',
    });
    expect(httpRejection(new SseError(307, 'Moved', {} as ConstructorParameters<typeof SseError>[2]), seen)).toEqual({
      status: 307,
      body: 'Moved',
      location: '/mcp/',
      auth: 'bearer',
    });
    expect(httpRejection(postError(502, 'Bad Gateway'), [])).toEqual({
      status: 502,
      body: 'Bad Gateway',
    });
  });
  it('anything else is not one', () => {
    expect(
      httpRejection(new SdkError(SdkErrorCode.ClientHttpUnexpectedContent, 'Unexpected content type'), seen),
    ).toBeUndefined();
    expect(httpRejection(new Error('Error POSTing to endpoint (HTTP 401)'), seen)).toBeUndefined();
  });
});

describe('classifyMcpError', () => {
  const ctx = (aborted = false): ProbeContext => {
    const ac = new AbortController();
    if (aborted) ac.abort();
    return { target: lanTarget(), signal: ac.signal, timeoutMs: 1_500 } as unknown as ProbeContext;
  };
  it.each<[string, unknown, string, string]>([
    ['an HTTP error', postError(502, 'Bad Gateway'), 'http_error', '502 Bad Gateway from litellm-lan: Bad Gateway'],
    [
      'not an MCP answer',
      new SdkError(SdkErrorCode.ClientHttpUnexpectedContent, 'Unexpected content type: text/html'),
      'protocol_error',
      'litellm-lan did not answer as an MCP server in list_tools: Unexpected content type: text/html',
    ],
    [
      "the SDK's request timeout",
      new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out'),
      'timeout',
      'timeout after 1.5s in list_tools',
    ],
    [
      'a closed connection',
      new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'),
      'protocol_error',
      'litellm-lan closed the MCP connection in list_tools',
    ],
    [
      'a JSON-RPC error',
      new ProtocolError(ProtocolErrorCode.InvalidParams, 'MCP error -32602: bad cursor'),
      'protocol_error',
      'JSON-RPC error -32602 from litellm-lan in list_tools: bad cursor',
    ],
    [
      'a message that is not JSON',
      new SyntaxError('Unexpected token < in JSON'),
      'protocol_error',
      'invalid MCP message from litellm-lan in list_tools: Unexpected token < in JSON',
    ],
    [
      'a port fetch refuses',
      new TypeError('fetch failed', { cause: new Error('bad port') }),
      'connect_error',
      'the port of http://gw:4000 is on fetch\'s list of blocked ("bad") ports, so no HTTP request is made to it: serve the gateway on another port',
    ],
  ])('%s', (_what, err, outcome, reason) => {
    const f = classifyMcpError(err, ctx(), [], 'list_tools');
    expect(f).toBeInstanceOf(ProbeFailure);
    expect({ outcome: f?.outcome, reason: f?.message }).toEqual({ outcome, reason });
  });

  it('an HTTP error keeps its status, body and (for a 401) the challenge as details', () => {
    const f = classifyMcpError(
      postError(401, '{"detail":"x"}'),
      ctx(),
      [{ method: 'POST', url: 'u', status: 401, auth: 'bearer', wwwAuthenticate: 'Bearer resource_metadata="m"' }],
      'initialize',
    );
    expect(f?.details).toEqual({
      status: 401,
      body: '{"detail":"x"}',
      wwwAuthenticate: 'Bearer resource_metadata="m"',
    });
  });

  it("a ProbeFailure as it is; the run's abort and other errors are left to the generic classifier", () => {
    const failure = new ProbeFailure('protocol_error', 'x');
    expect(classifyMcpError(failure, ctx(true), [], undefined)).toBe(failure);
    expect(
      classifyMcpError(new SdkError(SdkErrorCode.RequestTimeout, 't'), ctx(true), [], 'initialize'),
    ).toBeUndefined();
    expect(
      classifyMcpError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), ctx(), [], undefined),
    ).toBeUndefined();
  });
});
