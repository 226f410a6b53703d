import { describe, expect, it } from 'vitest';
import { describeHttpRejection, type HttpRejection } from '../../../src/probes/mcp/failures.js';
import { checkCallResult } from '../../../src/probes/mcp-call/verdict.js';
import {
  detailsOf,
  nameInBandRefusal,
  retryAfterMs,
  retryPlan,
  upstreamServerIn,
} from '../../../src/probes/mcp/gateway-refusals.js';
import { lanTarget } from './test-run.js';

// LiteLLM's 2026 refusals, named (issue 26). Every body below is LiteLLM 1.110.2's own words, built as its source
// builds them (file:line of site-packages/litellm in ~/.cache/mcpwatch/venv-1.110.2; 1.109.1 has the same words),
// and wrapped as FastAPI's handler sends an HTTPException: {"detail": <detail>} (proxy/proxy_server.py:2379, the
// app's StarletteHTTPException handler, falls through to FastAPI's http_exception_handler). The integration test
// test/integration/litellm-refusals.test.ts checks the same answers on the real gateway.

const fastapi = (detail: unknown): string => JSON.stringify({ detail });
/** proxy/mcp_server/client_allowlist.py:67 (MCPClientRejection.response_body), raised as a 403 at server.py:1339. */
const allowlist = (details: string): HttpRejection => ({
  status: 403,
  body: fastapi({ error: 'Forbidden', details }),
});
/** client_allowlist.py:71-74: every "unidentified" rejection ends so. */
const ONLY = ' This gateway only admits client applications listed in mcp_allowed_clients.';

describe('the client allowlist (general_settings.mcp_allowed_clients): 403 named', () => {
  const plain = { target: lanTarget() };
  const withId = { target: lanTarget({ clientId: 'mcpwatch' }) };
  const PREFIX =
    "403 Forbidden from litellm-lan — refused by the gateway's client allowlist (general_settings.mcp_allowed_clients): ";

  it('no header (client_allowlist.py:152): no clientId set says to set it; one set in another header names it', () => {
    const r = allowlist(`The request has no 'x-mcp-client' header naming the client application.${ONLY}`);
    expect(describeHttpRejection(r, plain)).toEqual({
      outcome: 'auth_rejected',
      reason:
        PREFIX +
        'it reads the client application from the x-mcp-client header (its mcp_client_id_header), and this target ' +
        'sends no clientId: set clientId on the target, to a value listed there',
    });
    const other = allowlist(`The request has no 'x-client-app' header naming the client application.${ONLY}`);
    expect(describeHttpRejection(other, plain).reason).toBe(
      PREFIX +
        'it reads the client application from the x-client-app header (its mcp_client_id_header), and this target ' +
        'sends no clientId: set clientId and clientIdHeader: x-client-app on the target, to a value listed there',
    );
    expect(describeHttpRejection(other, withId).reason).toBe(
      PREFIX +
        'it reads the client application from the x-client-app header (its mcp_client_id_header), and this target ' +
        'sends its clientId in x-mcp-client: set clientIdHeader: x-client-app',
    );
    expect(describeHttpRejection(r, withId).reason).toBe(
      PREFIX +
        'it reads the client application from the x-mcp-client header (its mcp_client_id_header), and the clientId ' +
        '"mcpwatch" sent there did not reach it: is a proxy in between dropping the header?',
    );
  });

  it('not listed (client_allowlist.py:58, :168): the value and where it came from', () => {
    const r = allowlist(
      "MCP client 'mcpwatch' (from header 'x-mcp-client') is not listed in this gateway's mcp_allowed_clients.",
    );
    expect(describeHttpRejection(r, withId)).toEqual({
      outcome: 'auth_rejected',
      reason:
        PREFIX +
        'client "mcpwatch" (sent in the x-mcp-client header) is not listed there: add { alias: mcpwatch, value: ' +
        '"mcpwatch" } to mcp_allowed_clients, or set clientId to a listed value',
    });
  });

  it('no identity source (client_allowlist.py:143-148): the gateway lacks mcp_client_id_header', () => {
    const r = allowlist(
      'No client identity source is configured for this request; set litellm_jwtauth.mcp_client_id_jwt_field for ' +
        `JWT callers or mcp_client_id_header in general_settings.${ONLY}`,
    );
    expect(describeHttpRejection(r, withId).reason).toBe(
      PREFIX +
        'it has no mcp_client_id_header set, so it admits no client that does not sign in with a JWT: set ' +
        'general_settings.mcp_client_id_header on the gateway (e.g. x-mcp-client), and clientId on the target',
    );
  });

  it('a JWT without the claim (client_allowlist.py:139-141)', () => {
    const r = allowlist(`The JWT presented has no 'azp' claim naming the client application.${ONLY}`);
    expect(describeHttpRejection(r, withId).reason).toBe(
      PREFIX +
        "it identifies a caller that sends a JWT by the token's azp claim (litellm_jwtauth.mcp_client_id_jwt_field), " +
        'and the token sent has none (clientId does not count then)',
    );
  });

  it('ahead of the SSO gate rule: behind a gate, the allowlist is still named', () => {
    const gated = {
      target: lanTarget({
        oauth2: { clientId: 'c', clientSecret: 's', scopes: [] },
        apiKeyHeader: 'x-litellm-api-key',
      }),
    };
    const r = allowlist(`The request has no 'x-mcp-client' header naming the client application.${ONLY}`);
    expect(describeHttpRejection(r, gated).reason).toMatch(
      /^403 Forbidden from litellm-lan — refused by the gateway's client allowlist/,
    );
  });
});

/**
 * The limiter's 429 (hooks/parallel_request_limiter_v3.py:3313-3317 the detail, :3323-3327 the headers: retry-after is
 * its window, 60 s unless LITELLM_RATE_LIMIT_WINDOW_SIZE, :738), raised as ProxyRateLimitError (an HTTPException).
 */
const limited = (key: string, value: string, over: Partial<HttpRejection> = {}): HttpRejection => ({
  status: 429,
  body: fastapi(
    `Rate limit exceeded for ${key}: ${value}. Limit type: requests. Current limit: 1, Remaining: 0. ` +
      'Limit resets at: 2026-12-05 07:31:02 UTC',
  ),
  retryAfter: '60',
  ...over,
});

describe('rate limits: 429 named, which limit and when to retry', () => {
  const ctx = { target: lanTarget() };

  it("a server's own rpm (mcp_servers.<name>.rpm: descriptor mcp_server, :2696-2706)", () => {
    // The descriptor holds the server's id (mcp_server_manager.py:2619-2620); the request's one server names it.
    const r = limited('mcp_server', '5f0c1e2a', { retry: 'beyond_timeout', servers: 'mcp_ev' });
    expect(describeHttpRejection({ ...r, servers: 'a,b' }, ctx).reason).toMatch(
      /by MCP server id 5f0c1e2a's own limit/,
    );
    expect(describeHttpRejection(r, ctx)).toEqual({
      outcome: 'http_error',
      reason:
        "429 Too Many Requests from litellm-lan — rate limited by MCP server mcp_ev's own limit (rpm in its " +
        "mcp_servers entry: 1 request per window): retry after 1m (Retry-After), later than this probe's timeout " +
        'allows: not waited for (the window resets at 2026-12-05 07:31:02 UTC)',
    });
  });

  it("a key's mcp_rpm_limit (descriptor mcp_per_key, :2617-2627): the key's hash kept out of the result", () => {
    const hash = '88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b';
    const d = describeHttpRejection(limited('mcp_per_key', `${hash}:mcp_fs`, { retry: 'second_refusal' }), ctx);
    expect(d.reason).toBe(
      "429 Too Many Requests from litellm-lan — rate limited by this key's limit for MCP server mcp_fs (the key's " +
        'mcp_rpm_limit: 1 request per window): retry after 1m (Retry-After); refused again after waiting that once ' +
        '(the window resets at 2026-12-05 07:31:02 UTC)',
    );
    expect(d.body).not.toContain(hash);
    expect(d.body).toContain('<key hash>:mcp_fs');
  });

  it("a team's mcp_rpm_limit (descriptor mcp_per_team, :2666-2676)", () => {
    expect(describeHttpRejection(limited('mcp_per_team', 'team-a:mcp_fs'), ctx).reason).toBe(
      "429 Too Many Requests from litellm-lan — rate limited by the team's limit for MCP server mcp_fs (the team's " +
        'mcp_rpm_limit: 1 request per window): retry after 1m (Retry-After) (the window resets at 2026-12-05 ' +
        '07:31:02 UTC)',
    );
  });

  it('the admission limiter (the words issue 26 quotes: in no release checked, 1.77.1, 1.109.1, 1.110.2)', () => {
    const r: HttpRejection = {
      status: 429,
      body: fastapi('MCP configuration request limit exceeded; retry later'),
      retryAfter: '5',
    };
    expect(describeHttpRejection(r, ctx)).toEqual({
      outcome: 'http_error',
      reason:
        "429 Too Many Requests from litellm-lan — the gateway's admission limiter of MCP configuration requests " +
        'refused it ("MCP configuration request limit exceeded; retry later"): retry after 5s (Retry-After)',
    });
  });

  it('the session limit (server.py:2671-2678) is still the session limit', () => {
    const r: HttpRejection = {
      status: 429,
      body: '{"error":"Too Many Requests","details":"Too many active MCP sessions for this caller."}',
    };
    expect(describeHttpRejection(r, ctx).reason).toMatch(/the gateway's session limit for this key is reached/);
  });
});

describe('the same refusals said in an answer (HTTP 200): a tool result, a JSON-RPC error', () => {
  // operations.py:3512-3516: `Error: <detail>` in a result with isError: true; server.py:967-968: JSON-RPC -32600.
  const words =
    'Rate limit exceeded for mcp_server: 5f0c1e2a. Limit type: requests. Current limit: 1, Remaining: 0. ' +
    'Limit resets at: 2026-12-05 07:31:02 UTC';

  it('a rate limit: which one, and when its window resets (no Retry-After in an answer)', () => {
    expect(nameInBandRefusal(words, 'mcp_ev')).toEqual({
      outcome: 'http_error',
      reason:
        "rate limited by MCP server mcp_ev's own limit (rpm in its mcp_servers entry: 1 request per window): retry " +
        'after the window resets at 2026-12-05 07:31:02 UTC (said in the answer: no Retry-After)',
    });
  });

  it("a tool call's result names it (mcp-call's verdict)", () => {
    const r = checkCallResult(
      'mcp_ev-echo',
      { isError: false },
      { isError: true, content: [{ type: 'text', text: `Error: ${words}` }] },
      { name: 'mcp_ev' },
    );
    expect([r.outcome, r.reason]).toEqual([
      'http_error',
      "mcp_ev-echo failed: rate limited by MCP server mcp_ev's own limit (rpm in its mcp_servers entry: 1 request " +
        'per window): retry after the window resets at 2026-12-05 07:31:02 UTC (said in the answer: no Retry-After)',
    ]);
  });

  it('a missing subject token, an upstream refusing the call (operations.py:3517-3530)', () => {
    expect(
      nameInBandRefusal(
        'Missing or invalid subject token. Authenticate with your identity provider and send its token in the ' +
          'Authorization Bearer header. LiteLLM API keys and Admin UI sessions cannot be used for token exchange.',
        'mcp_obo',
      )?.reason,
    ).toMatch(/^the gateway has no credential for upstream MCP server mcp_obo: it gets one by exchanging/);
    expect(nameInBandRefusal('Error: upstream authentication required (HTTP 401)', 'mcp_gh')).toEqual({
      outcome: 'auth_rejected',
      reason:
        'the gateway has no credential for upstream MCP server mcp_gh that it accepts: the server answered it HTTP 401',
    });
    expect(nameInBandRefusal('Tool echo not found', 'mcp_ev')).toBeUndefined();
  });
});

describe('Retry-After, and whether to wait it once', () => {
  it.each<[string, number | undefined]>([
    ['60', 60_000],
    [' 5 ', 5_000],
    ['Sat, 05 Dec 2026 07:31:02 GMT', 2_000],
    ['Sat, 05 Dec 2026 07:30:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
  ])('%j → %j ms', (v, ms) => {
    expect(retryAfterMs(v, Date.parse('2026-12-05T07:31:00Z'))).toBe(ms);
  });

  it('waits once, only when the wait and a second fit in what is left of the timeout', () => {
    expect(retryPlan('5', 6_000, false)).toEqual({ wait: 5_000 });
    expect(retryPlan('5', 5_999, false)).toEqual({ note: 'beyond_timeout' });
    expect(retryPlan('60', 10_000, false)).toEqual({ note: 'beyond_timeout' });
    expect(retryPlan('1', 10_000, true)).toEqual({ note: 'second_refusal' });
    expect(retryPlan(undefined, 10_000, false)).toEqual({ note: 'no_retry_after' });
  });
});

describe('an upstream server the gateway has no credential for', () => {
  const ctx = { target: lanTarget() };

  it('token exchange without a subject token (exceptions.py:9-12, outbound_credentials/adapter.py:379-423)', () => {
    const r: HttpRejection = {
      status: 401,
      body: fastapi(
        'Missing or invalid subject token. Authenticate with your identity provider and send its token in the ' +
          'Authorization Bearer header. LiteLLM API keys and Admin UI sessions cannot be used for token exchange.',
      ),
      // adapter.py:359 (the path) and :409-416 (the challenge).
      wwwAuthenticate:
        'Bearer resource_metadata="/.well-known/oauth-protected-resource/mcp/mcp_obo", error="invalid_token", ' +
        'error_description="Missing or invalid subject token; authenticate with the IdP and retry"',
    };
    expect(describeHttpRejection(r, ctx)).toEqual({
      outcome: 'auth_rejected',
      reason:
        '401 Unauthorized from litellm-lan — the gateway has no credential for upstream MCP server mcp_obo: it gets ' +
        "one by exchanging the caller's identity-provider token (oauth2_token_exchange), and this request carried " +
        'none it can exchange (a LiteLLM key cannot be): probe that server with such a token, or leave it out of ' +
        'servers',
    });
  });

  it('no per-user OAuth token (adapter.py:362-376) or the upstream refusing (exceptions.py:59-121): the 401 names it', () => {
    const r: HttpRejection = {
      status: 401,
      body: fastapi('Unauthorized'),
      wwwAuthenticate: 'Bearer resource_metadata="http://gw:4000/.well-known/oauth-protected-resource/mcp/mcp_gh"',
    };
    expect(describeHttpRejection(r, ctx).reason).toBe(
      '401 Unauthorized from litellm-lan — the gateway has no credential for upstream MCP server mcp_gh that it ' +
        'accepts (no OAuth token stored for this caller, or the server refused the one sent; the gateway took ' +
        "mcpwatch's key)",
    );
  });

  it("the gateway's own 401 pointing at a server's metadata is still about the key", () => {
    const r: HttpRejection = {
      status: 401,
      // auth/user_api_key_auth_mcp.py:553-560
      body: fastapi({
        error: 'authentication_required',
        message: 'Authenticate with the gateway to use the MCP endpoint.',
      }),
      wwwAuthenticate: 'Bearer resource_metadata="http://gw:4000/.well-known/oauth-protected-resource/mcp/mcp_gh"',
    };
    expect(describeHttpRejection(r, ctx).reason).toMatch(/the gateway refused the key|no key sent/);
  });

  it('BYOK without a stored credential (mcp_server_manager.py:1486-1498)', () => {
    const r: HttpRejection = {
      status: 401,
      body: fastapi({
        error: 'byok_auth_required',
        server_id: 'a1b2',
        server_name: 'mcp_byok',
        message:
          'No stored credential found for this BYOK server. Complete the OAuth authorization flow to provide your API key.',
      }),
    };
    expect(describeHttpRejection(r, ctx).reason).toBe(
      '401 Unauthorized from litellm-lan — the gateway has no credential for upstream MCP server mcp_byok: it is a ' +
        'bring-your-own-key server and no credential is stored for this key',
    );
  });

  it('a static auth_type without a value fails closed (adapter.py:484, raised as 500 at :319-320)', () => {
    const r: HttpRejection = {
      status: 500,
      // As 1.110.2 words it (the enum's str): seen in its log for a server with no auth_value.
      body: fastapi('misconfigured: MCPAuth.bearer_token requires a usable upstream credential'),
      servers: 'mcp_api',
    };
    expect(describeHttpRejection(r, ctx)).toEqual({
      outcome: 'auth_rejected',
      reason:
        '500 Internal Server Error from litellm-lan — the gateway has no credential for upstream MCP server mcp_api: ' +
        'its auth_type bearer_token has no usable value (auth_value unset?), so it fails closed',
    });
  });

  it('a per-user value missing (412, adapter.py:327-328; resolver.py:271-276) and the token endpoint down (503)', () => {
    const pre: HttpRejection = {
      status: 412,
      body: fastapi(
        'precondition required: ID-JAG requires an IdP identity assertion for this user and none is stored. Sign in ' +
          'through LiteLLM SSO so the gateway captures one.',
      ),
      servers: 'mcp_jag',
    };
    expect(describeHttpRejection(pre, ctx)).toEqual({
      outcome: 'auth_rejected',
      reason:
        '412 Precondition Failed from litellm-lan — the gateway has no credential for upstream MCP server mcp_jag ' +
        'yet: ID-JAG requires an IdP identity assertion for this user and none is stored. Sign in through LiteLLM ' +
        'SSO so the gateway captures one.',
    });
    // outbound_credentials/client_credentials.py:254, adapter.py:323-324
    const down: HttpRejection = {
      status: 503,
      body: fastapi('upstream unavailable: OAuth2 token endpoint unreachable: ConnectError'),
      servers: 'mcp_a,mcp_b',
    };
    expect(describeHttpRejection(down, ctx)).toEqual({
      outcome: 'http_error',
      reason:
        '503 Service Unavailable from litellm-lan — the gateway could not get a credential for upstream MCP server ' +
        '(one of mcp_a, mcp_b): OAuth2 token endpoint unreachable: ConnectError',
    });
  });

  it.each<[string, string | undefined]>([
    ['Bearer resource_metadata="/.well-known/oauth-protected-resource/mcp/mcp_gh"', 'mcp_gh'],
    ['Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource/litellm/mcp/mcp_gh"', 'mcp_gh'],
    ['Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource/mcp_gh/mcp"', 'mcp_gh'],
    ['Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource/mcp"', undefined],
    ['Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource"', undefined],
    ['Bearer realm="x"', undefined],
  ])('the server in %s: %j', (www, server) => {
    expect(upstreamServerIn(www)).toBe(server);
  });
});

describe('detailsOf', () => {
  it.each([
    ['{"detail":"x"}', 'x'],
    ['{"detail":{"error":"Forbidden","details":"y"}}', 'y'],
    ['{"error":"Too Many Requests","details":"z"}', 'z'],
    ['{"detail":{"error":"e"}}', '{"error":"e"}'],
    ['plain', 'plain'],
  ])('%s → %s', (body, said) => {
    expect(detailsOf(body)).toBe(said);
  });
});
