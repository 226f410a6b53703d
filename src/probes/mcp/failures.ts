import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { formatDuration } from '../../config/duration.js';
import { innermostMessage } from '../../util/errors.js';
import { ProbeFailure, type Outcome, type Phase, type ProbeContext } from '../types.js';
import { excerpt, statusText, stripMcpErrorPrefix } from '../verdicts/text.js';
import { isSchemaError, shortMessage, type SeenResponse, type SentAuth } from './responses.js';

/** What an HTTP-level rejection of an MCP request looked like. */
export interface HttpRejection {
  status: number;
  body: string;
  location?: string;
  wwwAuthenticate?: string;
  /** How the rejected request carried a key (unknown when the response was not seen). */
  auth?: SentAuth;
}

/** The status and body of an HTTP error the SDK raised, if it was one. */
export function httpRejection(err: unknown, responses: readonly SeenResponse[]): HttpRejection | undefined {
  if (!(err instanceof StreamableHTTPError || err instanceof SseError) || err.code === undefined || err.code < 100)
    return undefined;
  const body = err.message.replace(
    /^.*?(Error POSTing to endpoint|Failed to open SSE stream|Non-200 status code \(\d+\)|SSE error):?\s*/s,
    '',
  );
  const last = [...responses].reverse().find((r) => r.status === err.code);
  return {
    status: err.code,
    body,
    ...(last?.location && { location: last.location }),
    ...(last?.wwwAuthenticate && { wwwAuthenticate: last.wwwAuthenticate }),
    ...(last && { auth: last.auth }),
  };
}

/**
 * Whether an HTTP answer means "the gateway refused this request's credentials". LiteLLM answers
 * 401/403 in newer releases, 400 "No connected db." for an unknown key without a database, and
 * 500 {"error":"MCP request failed"} for any auth failure in 1.77–1.85.
 */
export function isAuthRejection(r: Pick<HttpRejection, 'status' | 'body'>): boolean {
  if (r.status === 401 || r.status === 403) return true;
  if (r.status === 400 && /no connected db|auth/i.test(r.body)) return true;
  if (r.status === 500 && /MCP request failed/i.test(r.body)) return true;
  return false;
}

/**
 * LiteLLM 1.108+ caps the MCP sessions per key: `initialize` then gets 429 "Too many active MCP
 * sessions for this caller." or an error naming "Caller subscription limit reached".
 */
export function isSessionLimit(r: Pick<HttpRejection, 'status' | 'body'>): boolean {
  return r.status === 429 || /subscription limit reached|too many active mcp sessions/i.test(r.body);
}

/**
 * What LiteLLM's own refusals say (1.77: "MCP request failed", 1.109: "Authenticate with the gateway …",
 * "Authentication Error …").
 */
const LITELLM_WORDS = /litellm|authenticat|mcp request failed|api key|no connected db|mcp servers?/i;

/** An outcome and a reason for an HTTP error answer to an MCP request made with the target's key. */
export function describeHttpRejection(
  r: HttpRejection,
  ctx: Pick<ProbeContext, 'target'>,
): { outcome: Outcome; reason: string } {
  const from = `${statusText(r.status)} from ${ctx.target.name}`;
  const body = r.body.trim() ? `: ${excerpt(r.body)}` : '';
  if (isSessionLimit(r)) {
    return {
      outcome: 'http_error',
      reason: `${from} — the gateway's session limit for this key is reached: a client is not ending its sessions (LiteLLM keeps each until it is DELETEd, and evicts or refuses the rest on the same key)${body}`,
    };
  }
  // Behind an SSO gate (oauth2), a refusal that is not LiteLLM's own is the gate's: about the token.
  const gate = ctx.target.oauth2 !== undefined && !LITELLM_WORDS.test(r.body);
  if (gate && r.status >= 300 && r.status < 400) {
    return {
      outcome: 'auth_rejected',
      reason: `${from} — the SSO gate in front of the gateway sent the request to sign in${r.location ? ` (${r.location})` : ''}: it did not take the access token as a bearer token (is it set to accept bearer tokens from API clients, e.g. oauth2-proxy --skip-jwt-bearer-tokens?)`,
    };
  }
  if (gate && (r.status === 401 || r.status === 403)) {
    return {
      outcome: 'auth_rejected',
      reason: `${from} — refused by the SSO gate in front of the gateway: it did not accept the access token (expired or revoked, signed by a key it does not know, or without the audience or verified email it requires; see the gate's log)${body}`,
    };
  }
  if (r.status >= 300 && r.status < 400) {
    const to = r.location ? pathOf(r.location, ctx.target.url) : undefined;
    const hint = to && to !== ctx.target.mcpPath ? ` — use mcpPath ${to}` : '';
    return { outcome: 'http_error', reason: `${from}: redirect${r.location ? ` to ${r.location}` : ''}${hint}` };
  }
  if (r.status === 401 || r.status === 403) {
    const servers = /not allowed to access the requested MCP servers:?\s*([^"'}]*)/i.exec(r.body);
    if (servers) {
      const which = servers[1]?.trim();
      return {
        outcome: 'auth_rejected',
        reason: `${from} — the key may not use MCP server${which ? ` ${which}` : 's'}: is the name in servers right (LiteLLM 1.108+ refuses unknown names), and is the server allowed for this key?${body}`,
      };
    }
    const sent = r.auth ?? (ctx.target.apiKey === undefined ? 'none' : 'bearer');
    const hint =
      sent === 'none'
        ? ctx.target.apiKey === undefined
          ? 'no key sent: set apiKey (or apiKeyFile) on the target'
          : 'no key sent'
        : sent === 'no_scheme' || /bearer/i.test(r.body)
          ? 'key sent without "Bearer " prefix?'
          : 'the gateway refused the key: check apiKey (is it a key this gateway knows, allowed these MCP servers?)';
    return { outcome: 'auth_rejected', reason: `${from} — ${hint}${body}` };
  }
  if (r.status === 400 && /no connected db/i.test(r.body)) {
    return {
      outcome: 'auth_rejected',
      reason: `${from} — "No connected db.": LiteLLM could not check the key (it is not the master key, and the gateway has no database)`,
    };
  }
  if (r.status === 500 && /MCP request failed/i.test(r.body)) {
    // LiteLLM 1.77–1.85 turns its auth exceptions (whose text is empty) into this answer; any other
    // failure carries its message in `details`.
    if (/"details"\s*:\s*"\s*"/.test(r.body)) {
      const hint =
        r.auth === 'none'
          ? 'no key sent: set apiKey (or apiKeyFile) on the target'
          : r.auth === 'no_scheme'
            ? 'key sent without "Bearer " prefix?'
            : "check apiKey (is it a key this gateway knows?) and LiteLLM's log";
      return {
        outcome: 'auth_rejected',
        reason: `${from} — "MCP request failed" without details, which is how LiteLLM 1.77–1.85 refuses a key: ${hint}`,
      };
    }
    return { outcome: 'http_error', reason: `${from}: "MCP request failed"${body}` };
  }
  if (r.status === 404)
    return {
      outcome: 'http_error',
      reason: `${from}: no MCP endpoint at ${ctx.target.mcpPath} — check mcpPath, and that MCP is enabled on the gateway${body}`,
    };
  if (r.status === 405)
    return {
      outcome: 'http_error',
      reason: `${from}: method not allowed at ${ctx.target.mcpPath} — check transport (streamable-http or sse)${body}`,
    };
  if (r.status === 406)
    return {
      outcome: 'http_error',
      reason: `${from}: the gateway did not accept the request's Accept header — is a proxy in between rewriting it?${body}`,
    };
  return { outcome: 'http_error', reason: `${from}${body}` };
}

/**
 * Classifies what the MCP SDK threw. Returns undefined for errors that are not MCP-specific
 * (network, TLS, timeouts of the run), which the generic classifier handles.
 */
export function classifyMcpError(
  err: unknown,
  ctx: ProbeContext,
  responses: readonly SeenResponse[],
  phase: Phase | undefined,
): ProbeFailure | undefined {
  if (err instanceof ProbeFailure) return err;
  if (ctx.signal.aborted) return undefined; // the run's timeout: the generic classifier names the phase
  const http = httpRejection(err, responses);
  if (http) {
    const d = describeHttpRejection(http, ctx);
    return new ProbeFailure(d.outcome, d.reason, {
      status: http.status,
      ...(http.body.trim() && { body: excerpt(http.body, 300) }),
      ...(http.status === 401 && http.wwwAuthenticate && { wwwAuthenticate: http.wwwAuthenticate }),
    });
  }
  // undici's fetch refuses the ports of the WHATWG "bad port" list (e.g. 1, 6000, 6665–6669, 10080).
  if (/bad port/i.test(innermostMessage(err))) {
    return new ProbeFailure(
      'connect_error',
      `the port of ${ctx.target.url} is on fetch's list of blocked ("bad") ports, so no HTTP request is made to it: serve the gateway on another port`,
    );
  }
  if (err instanceof StreamableHTTPError && err.code === -1) {
    return new ProbeFailure(
      'protocol_error',
      `${ctx.target.name} did not answer as an MCP server${phase ? ` in ${phase}` : ''}: ${err.message.replace(/^Streamable HTTP error: /, '')}`,
    );
  }
  if (err instanceof McpError) {
    if (err.code === ErrorCode.RequestTimeout)
      return new ProbeFailure(
        'timeout',
        `timeout after ${formatDuration(ctx.timeoutMs)}${phase ? ` in ${phase}` : ''}`,
      );
    if (err.code === ErrorCode.ConnectionClosed)
      return new ProbeFailure(
        'protocol_error',
        `${ctx.target.name} closed the MCP connection${phase ? ` in ${phase}` : ''}`,
      );
    return new ProbeFailure(
      'protocol_error',
      `JSON-RPC error ${err.code} from ${ctx.target.name}${phase ? ` in ${phase}` : ''}: ${stripMcpErrorPrefix(err.message)}`,
    );
  }
  if (isSchemaError(err) || (err as Error | undefined)?.name === 'SyntaxError') {
    return new ProbeFailure(
      'protocol_error',
      `invalid MCP message from ${ctx.target.name}${phase ? ` in ${phase}` : ''}: ${shortMessage(err, 160)}`,
    );
  }
  return undefined;
}

/** The path of a redirect target, relative to the target's base URL when it is on the same origin. */
function pathOf(location: string, base: string): string | undefined {
  try {
    const u = new URL(location, base);
    const b = new URL(base);
    if (u.origin !== b.origin) return undefined;
    const prefix = b.pathname.replace(/\/+$/, '');
    return prefix && u.pathname.startsWith(prefix) ? u.pathname.slice(prefix.length) || '/' : u.pathname;
  } catch {
    return undefined;
  }
}
