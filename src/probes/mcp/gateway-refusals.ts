// Pure: LiteLLM's newer refusals of an MCP request, named (issue 26, "LiteLLM's 2026 refusals"): its client
// allowlist (general_settings.mcp_allowed_clients), its rate limits (a server's rpm, a key's or team's mcp_rpm_limit,
// an admission limiter) with when to retry, and an upstream server it has no credential for. What each release
// says, and which has what: docs/litellm-observed.md.
import { formatDuration } from '../../config/duration.js';
import { clientIdHeaderOf, DEFAULT_CLIENT_ID_HEADER, type Target } from '../../config/target.js';
import type { Outcome } from '../types.js';
import { excerpt } from '../text.js';

/** What a refusal is read from (a part of failures.ts's HttpRejection). */
export interface Refused {
  status: number;
  body: string;
  wwwAuthenticate?: string;
  /** The answer's Retry-After, as sent. */
  retryAfter?: string;
  /** What mcpwatch did about a Retry-After (see retryPlan). */
  retry?: RetryNote;
  /** The servers the request named (x-mcp-servers). */
  servers?: string;
}

/** What was done about a 429's Retry-After: waited once and sent again (and refused again), or not waited for. */
export type RetryNote = 'waited' | 'beyond_timeout' | 'second_refusal' | 'no_retry_after';

export interface NamedRefusal {
  outcome: Outcome;
  reason: string;
  /** The body to keep in the result instead of the one sent, when that one holds what is not to be shown. */
  body?: string;
}

/**
 * The refusals named here, most specific first; undefined for any other answer. `from` is `403 Forbidden from gw`.
 */
export function nameGatewayRefusal(r: Refused, target: Target, from: string): NamedRefusal | undefined {
  const said = detailsOf(r.body);
  if ((r.status === 403 || r.status === 401) && /mcp_allowed_clients/.test(said)) {
    return { outcome: 'auth_rejected', reason: `${from} — ${ALLOWLIST}: ${allowlistHint(said, target)}` };
  }
  if (r.status === 429) {
    const limited = rateLimitReason(r, said);
    if (limited) return { outcome: 'http_error', ...limited, reason: `${from} — ${limited.reason}` };
  }
  const upstream = upstreamCredentialReason(r, said);
  return upstream && { outcome: upstream.outcome, reason: `${from} — ${upstream.reason}` };
}

// ---- The client allowlist (LiteLLM 1.109+: litellm/proxy/mcp_server/client_allowlist.py) ----

const ALLOWLIST = "refused by the gateway's client allowlist (general_settings.mcp_allowed_clients)";
const NO_HEADER = /The request has no '([^']+)' header naming the client application/;
const NO_SOURCE = /No client identity source is configured/;
const NO_CLAIM = /The JWT presented has no '([^']+)' claim/;
const NOT_LISTED = /MCP client '(.*)' \(from (header|JWT claim) '([^']*)'\) is not listed/;

/** What to do about an allowlist refusal, from its words and what the target sends. */
function allowlistHint(said: string, target: Target): string {
  const mine = clientIdHeaderOf(target);
  const id = target.clientId;
  const header = NO_HEADER.exec(said)?.[1];
  if (header !== undefined) {
    const reads = `it reads the client application from the ${header} header (its mcp_client_id_header)`;
    if (id === undefined) {
      const also = header === DEFAULT_CLIENT_ID_HEADER ? '' : ` and clientIdHeader: ${header}`;
      return `${reads}, and this target sends no clientId: set clientId${also} on the target, to a value listed there`;
    }
    if (header !== mine)
      return `${reads}, and this target sends its clientId in ${mine}: set clientIdHeader: ${header}`;
    return `${reads}, and the clientId "${id}" sent there did not reach it: is a proxy in between dropping the header?`;
  }
  if (NO_SOURCE.test(said)) {
    return (
      'it has no mcp_client_id_header set, so it admits no client that does not sign in with a JWT: set ' +
      `general_settings.mcp_client_id_header on the gateway (e.g. ${mine}), and clientId on the target`
    );
  }
  const claim = NO_CLAIM.exec(said)?.[1];
  if (claim !== undefined) {
    return (
      `it identifies a caller that sends a JWT by the token's ${claim} claim ` +
      '(litellm_jwtauth.mcp_client_id_jwt_field), and the token sent has none (clientId does not count then)'
    );
  }
  const listed = NOT_LISTED.exec(said);
  if (listed) {
    const [, value, kind, name] = listed;
    const where = kind === 'header' ? `sent in the ${name} header` : `the JWT's ${name} claim`;
    return (
      `client "${value}" (${where}) is not listed there: add { alias: mcpwatch, value: "${value}" } to ` +
      'mcp_allowed_clients, or set clientId to a listed value'
    );
  }
  const sent = id === undefined ? 'no clientId sent' : `clientId "${id}" sent in ${mine}`;
  return `${sent}: ${excerpt(said)}`;
}

// ---- Rate limits (429) ----

/** LiteLLM's limiter (1.110: litellm/proxy/hooks/parallel_request_limiter_v3.py, _handle_rate_limit_error). */
const RATE_LIMIT = new RegExp(
  String.raw`Rate limit exceeded for ([\w.-]+): (.*?)\. Limit type: (\w+)\. Current limit: (\d+), Remaining: \d+\.` +
    String.raw`(?: Limit resets at: ([^"\\}]+?))?\s*(?:["\\}]|$)`,
);
/** The admission limiter of MCP configuration requests (named in issue 26; in none of the releases checked). */
const ADMISSION = /MCP configuration request limit exceeded/i;

function rateLimitReason(r: Refused, said: string): { reason: string; body?: string } | undefined {
  if (ADMISSION.test(said)) {
    return {
      reason:
        `the gateway's admission limiter of MCP configuration requests refused it ("${excerpt(said, 80)}"): ` +
        retryText(r),
    };
  }
  const m = RATE_LIMIT.exec(said);
  if (!m) return undefined;
  const { which, resets, hidden } = rateLimitOf(m, single(r.servers));
  const at = resets ? ` (the window resets at ${resets})` : '';
  return {
    reason: `rate limited by ${which}: ${retryText(r)}${at}`,
    ...(hidden && { body: r.body.split(hidden).join('<key hash>') }),
  };
}

/**
 * Which limit a match of RATE_LIMIT names, when its window resets, and the key hash its descriptor holds (to hide).
 * `server` names an MCP server's own limit, whose descriptor holds the server's id, not its name.
 */
function rateLimitOf(m: RegExpExecArray, server?: string): { which: string; resets?: string; hidden: string } {
  const [, key = '', value = '', type, limit, resets] = m;
  const named = value.slice(value.lastIndexOf(':') + 1);
  const per = `${limit} ${limit === '1' ? (type ?? '').replace(/s$/, '') : type} per window`;
  const which =
    key === 'mcp_server'
      ? `MCP server ${server ?? `id ${named}`}'s own limit (rpm in its mcp_servers entry: ${per})`
      : key === 'mcp_per_key'
        ? `this key's limit for MCP server ${named} (the key's mcp_rpm_limit: ${per})`
        : key === 'mcp_per_team'
          ? `the team's limit for MCP server ${named} (the team's mcp_rpm_limit: ${per})`
          : `the gateway's ${key} limit (${per})`;
  // A key's descriptor is `<the key's hash>:<server>`: the hash stays out of the result.
  const hidden = key === 'mcp_per_key' && value.includes(':') ? value.slice(0, value.lastIndexOf(':')) : '';
  return { which, ...(resets && { resets }), hidden };
}

/**
 * The same refusals said inside an answer (HTTP 200): LiteLLM 1.109+ refuses a tools/call with a result
 * (`isError: true`, text `Error: <its words>`: operations.py, `except HTTPException` in the tool call) and a tools/list
 * of servers all over their limit with JSON-RPC error -32600. No Retry-After comes with them: the reason gives the time
 * the window resets, and nothing is retried. `servers`: the ones the request named (x-mcp-servers, or the called
 * tool's),
 * for a limit whose words hold only an id.
 */
export function nameInBandRefusal(text: string, servers?: string): { outcome: Outcome; reason: string } | undefined {
  const m = RATE_LIMIT.exec(text);
  if (m) {
    const { which, resets } = rateLimitOf(m, single(servers));
    const when = resets ? `retry after the window resets at ${resets}` : 'no time to retry given';
    return { outcome: 'http_error', reason: `rate limited by ${which}: ${when} (said in the answer: no Retry-After)` };
  }
  const upstream = upstreamCredentialReason({ status: 0, body: text, ...(servers && { servers }) }, text);
  if (upstream) return upstream;
  const auth = UPSTREAM_AUTH.exec(text);
  if (!auth) return undefined;
  const server = requested(servers);
  const it = server ? `upstream MCP server ${server}` : 'the upstream MCP server';
  return {
    outcome: 'auth_rejected',
    reason: `the gateway has no credential for ${it} that it accepts: the server answered it HTTP ${auth[1]}`,
  };
}

/** operations.py: a tool call whose upstream answered 401/403 (MCPUpstreamAuthError), said in the result. */
const UPSTREAM_AUTH = /upstream authentication required \(HTTP (\d+)\)/;

/** When to retry, and what mcpwatch did about it. */
function retryText(r: Refused): string {
  const ms = r.retryAfter === undefined ? undefined : retryAfterMs(r.retryAfter);
  const after = ms === undefined ? 'no Retry-After given' : `retry after ${formatDuration(ms)} (Retry-After)`;
  switch (r.retry) {
    case 'waited':
    case 'second_refusal':
      return `${after}; refused again after waiting that once`;
    case 'beyond_timeout':
      return `${after}, later than this probe's timeout allows: not waited for`;
    default:
      return after;
  }
}

/** A Retry-After value (delay-seconds or an HTTP date) in ms from `now`; undefined when it is neither. */
export function retryAfterMs(value: string, now = Date.now()): number | undefined {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = /[a-z]/i.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The least time a request sent again after the wait is given before the probe's timeout. */
export const RETRY_MARGIN_MS = 1_000;

/**
 * Whether a 429 is sent again once after its Retry-After: only when the wait and a margin for the answer fit in what
 * is left of the run (the probe waits no longer than its timeout), and only the first 429 of a session.
 */
export function retryPlan(
  retryAfter: string | undefined,
  remainingMs: number,
  alreadyRetried: boolean,
): { wait: number } | { note: RetryNote } {
  if (alreadyRetried) return { note: 'second_refusal' };
  const ms = retryAfter === undefined ? undefined : retryAfterMs(retryAfter);
  if (ms === undefined) return { note: 'no_retry_after' };
  return ms + RETRY_MARGIN_MS <= remainingMs ? { wait: ms } : { note: 'beyond_timeout' };
}

// ---- An upstream server the gateway has no credential for (LiteLLM 1.110: proxy/mcp_server/outbound_credentials) ----

/** outbound_credentials/adapter.py raise_token_exchange_challenge (exceptions.py TOKEN_EXCHANGE_SUBJECT_ERROR). */
const NO_SUBJECT_TOKEN = /Missing or invalid subject token/;
/** mcp_server_manager.py: a BYOK server with no stored credential. */
const BYOK = /byok_auth_required/;
/** adapter.py: a static auth_type (api_key, bearer_token, …) without a usable value. */
const NO_STATIC_VALUE = /(\w+) requires a usable upstream credential/;
/** adapter.py raise_public: a required per-user value missing (412), the token endpoint down (503). */
const PRECONDITION = /precondition required: ([^"]*)/;
const TOKEN_ENDPOINT = /upstream unavailable: ([^"]*)|token exchange configuration error[^"]*/;
/** LiteLLM's refusals of the caller itself (a 401 that may also point at a server's metadata). */
const GATEWAY_OWN = /authenticate with the gateway|authentication_required|authentication error|api key/i;

function upstreamCredentialReason(r: Refused, said: string): { outcome: Outcome; reason: string } | undefined {
  const server = upstreamServerIn(r.wwwAuthenticate) ?? byokServer(said) ?? requested(r.servers);
  const it = server ? `upstream MCP server ${server}` : 'the upstream MCP server';
  const none = `the gateway has no credential for ${it}`;
  // status 0: said in an answer (nameInBandRefusal), where the HTTP status is 200.
  if ((r.status === 401 || r.status === 0) && NO_SUBJECT_TOKEN.test(said)) {
    return {
      outcome: 'auth_rejected',
      reason:
        `${none}: it gets one by exchanging the caller's identity-provider token (oauth2_token_exchange), and this ` +
        'request carried none it can exchange (a LiteLLM key cannot be): probe that server with such a token, or ' +
        'leave it out of servers',
    };
  }
  if (BYOK.test(said)) {
    return {
      outcome: 'auth_rejected',
      reason: `${none}: it is a bring-your-own-key server and no credential is stored for this key`,
    };
  }
  const staticMode = NO_STATIC_VALUE.exec(said)?.[1];
  if (staticMode) {
    return {
      outcome: 'auth_rejected',
      reason: `${none}: its auth_type ${staticMode} has no usable value (auth_value unset?), so it fails closed`,
    };
  }
  const pre = PRECONDITION.exec(said)?.[1];
  if ((r.status === 412 || r.status === 0) && pre)
    return { outcome: 'auth_rejected', reason: `${none} yet: ${excerpt(pre, 160)}` };
  const endpoint = TOKEN_ENDPOINT.exec(said);
  if (endpoint) {
    return {
      outcome: r.status === 503 ? 'http_error' : 'auth_rejected',
      reason: `the gateway could not get a credential for ${it}: ${excerpt(endpoint[1] ?? endpoint[0], 160)}`,
    };
  }
  if (r.status === 401 && server && upstreamServerIn(r.wwwAuthenticate) && !GATEWAY_OWN.test(said)) {
    return {
      outcome: 'auth_rejected',
      reason:
        `${none} that it accepts (no OAuth token stored for this caller, or the server refused the one sent; ` +
        "the gateway took mcpwatch's key)",
    };
  }
  return undefined;
}

/** The server a 401's `resource_metadata` names: `…/oauth-protected-resource[/prefix]/mcp/<name>`, `…/<name>/mcp`. */
export function upstreamServerIn(wwwAuthenticate: string | undefined): string | undefined {
  const url = wwwAuthenticate && /resource_metadata="([^"]+)"/.exec(wwwAuthenticate)?.[1];
  if (!url) return undefined;
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '').replace(/[?#].*$/, '');
  const m =
    /oauth-protected-resource(?:\/.*)?\/mcp\/([^/]+)$/.exec(path) ?? /oauth-protected-resource\/(.+)\/mcp$/.exec(path);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

function byokServer(said: string): string | undefined {
  return BYOK.test(said) ? /"server_name"\s*:\s*"([^"]+)"/.exec(said)?.[1] : undefined;
}

/** The one server a request named, if it named one. */
function single(servers: string | undefined): string | undefined {
  const names = servers?.split(',').map((s) => s.trim()) ?? [];
  return names.length === 1 && names[0] ? names[0] : undefined;
}

function requested(servers: string | undefined): string | undefined {
  const names =
    servers
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  if (names.length === 0) return undefined;
  return names.length === 1 ? names[0] : `(one of ${names.join(', ')})`;
}

/**
 * The words of a LiteLLM error body: FastAPI's `{"detail": …}` (a string, or LiteLLM's `{"error", "details"}`), the
 * MCP route's own `{"error", "details"}`, or the body as it is. Objects are kept as JSON, so keys can be matched.
 */
export function detailsOf(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const pick = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.details === 'string' && o.details) return o.details;
      if (o.detail !== undefined) return pick(o.detail);
      return JSON.stringify(o);
    }
    return undefined;
  };
  return pick(parsed) ?? body;
}
