import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import {
  describeTokenError,
  expiryOf,
  isUsable,
  jwtExp,
  renewAt,
  tokenIssuedStep,
  tokenRequestStep,
} from '../../../src/probes/oauth/tokens.js';

const jwt = (claims: object): string =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const URL = 'https://sso.example.com/realms/ops/protocol/openid-connect/token';

describe('token lifetimes', () => {
  it.each([
    ['300 s: renewed a minute before', { obtainedAt: 0, expiresAt: 300_000 }, 240_000],
    ['8 s: at three quarters of its life', { obtainedAt: 0, expiresAt: 8_000 }, 6_000],
    ['no expiry known: never by time', { obtainedAt: 0 }, undefined],
  ])('%s', (_n, t, at) => expect(renewAt(t)).toBe(at));
  it('is usable until its renewal time', () => {
    expect(isUsable({ value: 'x', obtainedAt: 0, expiresAt: 8_000 }, 5_999)).toBe(true);
    expect(isUsable({ value: 'x', obtainedAt: 0, expiresAt: 8_000 }, 6_000)).toBe(false);
    expect(isUsable({ value: 'x', obtainedAt: 0 }, 1e12)).toBe(true);
  });
  it('expires_in wins; else the JWT exp; else unknown', () => {
    expect(expiryOf({ access_token: jwt({ exp: 50 }), expires_in: 300 }, 1_000)).toBe(301_000);
    expect(expiryOf({ access_token: jwt({ exp: 50 }) }, 1_000)).toBe(50_000);
    expect(expiryOf({ access_token: 'opaque', expires_in: 0 }, 1_000)).toBeUndefined();
    expect(jwtExp('a.b')).toBeUndefined();
    expect(jwtExp('a.!!!.c')).toBeUndefined();
    expect(jwtExp(jwt({ exp: 'soon' }))).toBeUndefined();
  });
});

describe("describeTokenError: the endpoint, the client and the endpoint's words", () => {
  it.each([
    [
      'Keycloak: a wrong secret',
      new OAuthError(OAuthErrorCode.UnauthorizedClient, 'Invalid client or Invalid client credentials'),
      'auth_rejected',
      'rejected',
      `the token endpoint ${URL} refused client "mcpwatch": unauthorized_client (Invalid client or Invalid client credentials) — check oauth2.clientId and its secret or key; the client must be confidential with the client-credentials grant on (Keycloak: "Service accounts roles")`,
    ],
    [
      'an unknown client',
      new OAuthError(OAuthErrorCode.InvalidClient, 'Invalid client credentials'),
      'auth_rejected',
      'rejected',
      /refused client "mcpwatch": invalid_client \(Invalid client credentials\) — check oauth2\.clientId/,
    ],
    [
      // As the SDK parses an answer without error_description: the code stands in for the words.
      'a scope it may not ask for',
      OAuthError.fromResponse({ error: 'invalid_scope' }),
      'auth_rejected',
      'rejected',
      /refused client "mcpwatch": invalid_scope — check oauth2\.scopes/,
    ],
    [
      'a 502 from a proxy',
      new OAuthError(
        OAuthErrorCode.ServerError,
        'HTTP 502: Invalid OAuth error response: SyntaxError. Raw body: Bad Gateway',
      ),
      'http_error',
      'error',
      `the token endpoint ${URL} failed for client "mcpwatch": HTTP 502: Invalid OAuth error response: SyntaxError. Raw body: Bad Gateway`,
    ],
  ])('%s', (_n, err, outcome, request, reason) => {
    const d = describeTokenError(err, URL, 'mcpwatch');
    expect(d.outcome).toBe(outcome);
    expect(d.request).toBe(request);
    if (typeof reason === 'string') expect(d.reason).toBe(reason);
    else expect(d.reason).toMatch(reason);
  });
});

describe('the step lines of a token request: what was asked and what came, never a secret', () => {
  it.each([
    [
      'the first, with scopes',
      tokenRequestStep(URL, 'mcpwatch', 'client_secret_basic', ['mcp', 'email'], 'first'),
      `oauth2: POST ${URL}  (token request: grant client_credentials, client "mcpwatch", client_secret_basic, scopes mcp email)`,
    ],
    [
      'a renewal before expiry, no scopes',
      tokenRequestStep(URL, 'mcpwatch', 'private_key_jwt', [], 'expiring'),
      `oauth2: POST ${URL}  (token request: grant client_credentials, client "mcpwatch", private_key_jwt, no scopes; the cached token is about to expire)`,
    ],
    [
      'after a 401',
      tokenRequestStep(URL, 'mcpwatch', 'client_secret_post', [], 'unauthorized'),
      `oauth2: POST ${URL}  (token request: grant client_credentials, client "mcpwatch", client_secret_post, no scopes; the cached token drew a 401)`,
    ],
    [
      'a token with a lifetime and scopes',
      tokenIssuedStep({ token_type: 'Bearer', scope: 'mcp' }, 300_000, 0),
      'oauth2: ← a Bearer token for 5m (until 1970-01-01T00:05:00.000Z), scopes mcp',
    ],
    [
      'a token without expiry or type',
      tokenIssuedStep({}, undefined, 0),
      'oauth2: ← a bearer token (no expiry given: kept until it draws a 401)',
    ],
  ])('%s', (_what, line, text) => expect(line).toBe(text));
});
