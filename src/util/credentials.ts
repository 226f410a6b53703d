/**
 * Which header and field names carry credentials: one place, for the redactor (what to mask), the
 * auth guard (what a "no key" request must not send) and the config (what to register as a secret).
 */

/** Headers whose value is `Scheme credential` (`Bearer sk-…`): masked keeping the scheme and the key's shape. */
const SCHEMED_KEY_HEADER = /^(authorization|proxy-authorization|x-litellm-api-key)$/i;

/** Headers through which a gateway (LiteLLM) takes a client's key. */
const GATEWAY_KEY_HEADER =
  /^(authorization|proxy-authorization|x-litellm-api-key|api-key|x-api-key|x-goog-api-key|cookie)$/i;

/** Names that are a credential's, whole. */
const CREDENTIAL_NAMES =
  'authorization|proxy-authorization|x-litellm-api-key|api[-_]?key|apikey|token|password|secret|cookie|set-cookie';
/** Names whose values are credentials, exactly (`apiKey`, `x-mcp-github-authorization`, `access_token`). */
const SENSITIVE_NAME = new RegExp(
  `^(${CREDENTIAL_NAMES})$|(^x-mcp-.*-(authorization|token|key)$)|(_key$|-key$|token$)`,
  'i',
);

/** Header names that may carry a secret (looser: any name mentioning one), for collecting configured secrets. */
const SECRET_LIKE_NAME = /auth|token|key|secret|cookie|passw/i;

export function isSchemedKeyHeader(name: string): boolean {
  return SCHEMED_KEY_HEADER.test(name);
}

export function isGatewayKeyHeader(name: string): boolean {
  return GATEWAY_KEY_HEADER.test(name);
}

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name);
}

export function mayCarrySecret(name: string): boolean {
  return SECRET_LIKE_NAME.test(name) || isSensitiveName(name);
}
