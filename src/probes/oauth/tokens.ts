import { OAuthError } from '@modelcontextprotocol/client';
import { formatDuration } from '../../config/duration.js';
import { excerpt } from '../text.js';
import type { OAuthFacts, Outcome, TokenRequestFact, TokenRequestOutcome } from '../types.js';

/** A token as a target keeps it between runs. */
export interface CachedToken {
  value: string;
  /** Epoch ms. */
  obtainedAt: number;
  /** Epoch ms; unknown when the endpoint said nothing (no expires_in) and the token is no JWT. */
  expiresAt?: number;
  /**
   * A request with it drew a 401 right after it was issued: a 401 is then not the token's fault, and renewing would not
   * help.
   */
  refusedFresh?: boolean;
}

/** Longest time before expiry a token is renewed; a short-lived token is renewed at three quarters of its life. */
const MAX_RENEW_MARGIN_MS = 60_000;

/** When a token is renewed: shortly before it expires, so no request of a run carries an expired one. */
export function renewAt(token: Pick<CachedToken, 'obtainedAt' | 'expiresAt'>): number | undefined {
  if (token.expiresAt === undefined) return undefined;
  const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
  return token.expiresAt - Math.min(MAX_RENEW_MARGIN_MS, lifetime / 4);
}

/** Whether a cached token may still be sent at `now`. */
export function isUsable(token: CachedToken, now: number): boolean {
  const at = renewAt(token);
  return at === undefined || now < at;
}

/** The expiry of a token response: `expires_in`, else the token's own `exp` claim when it is a JWT. */
export function expiryOf(
  response: { access_token: string; expires_in?: number | undefined },
  now: number,
): number | undefined {
  if (typeof response.expires_in === 'number' && Number.isFinite(response.expires_in) && response.expires_in > 0)
    return now + response.expires_in * 1000;
  const exp = jwtExp(response.access_token);
  return exp === undefined ? undefined : exp * 1000;
}

/** The `exp` claim of a JWT (seconds), without verifying it: only to know when to renew. */
export function jwtExp(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

/** OAuth error codes by which a token endpoint refuses this client (RFC 6749 5.2, RFC 8707). */
const REFUSALS: Record<string, string> = {
  invalid_client:
    'check oauth2.clientId and its secret or key ' +
    '(is the client known to this realm, and does it hold the public key for private_key_jwt?)',
  unauthorized_client:
    'check oauth2.clientId and its secret or key; ' +
    'the client must be confidential with the client-credentials grant on (Keycloak: "Service accounts roles")',
  unsupported_grant_type:
    'the client may not use the client-credentials grant: turn it on (Keycloak: "Service accounts roles")',
  invalid_scope: 'check oauth2.scopes (every scope must be one the client may ask for)',
  invalid_grant: 'the grant was refused',
  access_denied: 'the identity provider denied the request',
  invalid_request:
    'the identity provider found the request malformed: ' +
    'check oauth2.tokenAuthMethod (the methods the endpoint accepts)',
  invalid_target: 'the identity provider refused the resource (RFC 8707) the gateway named',
  invalid_client_metadata: 'the identity provider refused the client',
};

export interface TokenFailure {
  outcome: Outcome;
  request: TokenRequestOutcome;
  reason: string;
  /** The endpoint's OAuth error code. */
  error?: string;
}

/**
 * Pure: a token endpoint's error answer (as the SDK parsed it) as an outcome and a reason that
 * names the endpoint and its words. A refusal of the client is `auth_rejected`; the endpoint
 * failing otherwise (5xx, a body that is not an OAuth error) is `http_error`.
 */
export function describeTokenError(err: OAuthError, endpoint: string, clientId: string): TokenFailure {
  const code = err.code;
  const said = tokenErrorWords(err);
  const hint = REFUSALS[code];
  if (hint) {
    const quoted = said ? ` (${excerpt(said, 200)})` : '';
    return {
      outcome: 'auth_rejected',
      request: 'rejected',
      error: code,
      reason: `the token endpoint ${endpoint} refused client "${clientId}": ${code}${quoted} — ${hint}`,
    };
  }
  // ServerError also stands for a body that is no OAuth error ("HTTP 502: Invalid OAuth error response …").
  const what = `${code === 'server_error' ? '' : `${code} `}${excerpt(said, 200) || '(no description)'}`;
  return {
    outcome: 'http_error',
    request: 'error',
    ...(code !== 'server_error' && { error: code }),
    reason: `the token endpoint ${endpoint} failed for client "${clientId}": ${what}`,
  };
}

export function isOAuthError(err: unknown): err is OAuthError {
  return OAuthError.isInstance(err);
}

/**
 * The endpoint's own words (error_description): the SDK puts the error code in the message when the answer had no
 * description, which is then no words of its own.
 */
export function tokenErrorWords(err: OAuthError): string {
  const said = err.message.trim();
  return said === err.code ? '' : said;
}

const WHY_ASKED: Record<TokenRequestFact['why'], string> = {
  first: '',
  expiring: '; the cached token is about to expire',
  unauthorized: '; the cached token drew a 401',
};

/** The step line of a token request: where it goes and what it asks for (never the secret). */
export function tokenRequestStep(
  tokenUrl: string,
  clientId: string,
  authMethod: OAuthFacts['authMethod'],
  scopes: readonly string[],
  why: TokenRequestFact['why'],
): string {
  const asked = scopes.length ? `scopes ${scopes.join(' ')}` : 'no scopes';
  return (
    `oauth2: POST ${tokenUrl}  (token request: grant client_credentials, client "${clientId}", ${authMethod}, ` +
    `${asked}${WHY_ASKED[why]})`
  );
}

/** The step line of an issued token: its type, lifetime and scopes (never the token). */
export function tokenIssuedStep(
  tokens: { token_type?: string | undefined; scope?: string | undefined },
  expiresAt: number | undefined,
  now: number,
): string {
  const lifetime =
    expiresAt !== undefined
      ? ` for ${formatDuration(Math.max(0, expiresAt - now))} (until ${new Date(expiresAt).toISOString()})`
      : ' (no expiry given: kept until it draws a 401)';
  const scopes = tokens.scope ? `, scopes ${tokens.scope}` : '';
  return `oauth2: ← a ${tokens.token_type || 'bearer'} token${lifetime}${scopes}`;
}
