import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError, SseError } from '@modelcontextprotocol/client';
import { formatDuration } from '../../config/duration.js';
import { innermostMessage } from '../../util/errors.js';
import type { Target } from '../../config/target.js';
import { ProbeFailure, type Outcome, type Phase, type ProbeContext } from '../types.js';
import { excerpt, statusText, stripMcpErrorPrefix } from '../text.js';
import { eraFailure, eraNegotiationFailure, eraProtocolError, rpcErrorIn } from './protocol-failures.js';
import { isSchemaError, shortMessage, type SeenResponse, type SentAuth } from './responses.js';
import { nameGatewayRefusal, nameInBandRefusal, type RetryNote } from './gateway-refusals.js';

/** What an HTTP-level rejection of an MCP request looked like. */
export interface HttpRejection {
  status: number;
  body: string;
  location?: string;
  wwwAuthenticate?: string;
  /** How the rejected request carried a key (unknown when the response was not seen). */
  auth?: SentAuth;
  /** The JSON-RPC method(s) of the refused request, when it was seen. */
  rpc?: string;
  /** A 429's Retry-After, as sent, and what the session did about it. */
  retryAfter?: string;
  retry?: RetryNote;
  /** The servers the refused request named (x-mcp-servers). */
  servers?: string;
}

/** The HTTP status of an error the SDK raised, if it carries one. */
function statusOf(err: unknown): number | undefined {
  if (err instanceof SseError) return err.code;
  if (err instanceof SdkHttpError) return err.status;
  // A refused version-negotiation probe (5xx) is an SdkError with the status in its data.
  const s = err instanceof SdkError ? (err.data as { status?: unknown } | undefined)?.status : undefined;
  return typeof s === 'number' ? s : undefined;
}

/** The status and body of an HTTP error the SDK raised, if it was one. */
export function httpRejection(err: unknown, responses: readonly SeenResponse[]): HttpRejection | undefined {
  const status = statusOf(err);
  if (status === undefined || status < 100) return undefined;
  const last = [...responses].reverse().find((r) => r.status === status);
  const text = err instanceof SdkError ? (err.data as { text?: unknown } | undefined)?.text : undefined;
  const body =
    last?.body ??
    (typeof text === 'string'
      ? text
      : (err as Error).message.replace(
          /^.*?(Error POSTing to endpoint|Failed to open SSE stream|Non-200 status code \(\d+\)|SSE error):?\s*/s,
          '',
        ));
  return {
    status,
    body,
    ...(last?.location && { location: last.location }),
    ...(last?.wwwAuthenticate && { wwwAuthenticate: last.wwwAuthenticate }),
    ...(last && { auth: last.auth }),
    ...(last?.rpc && { rpc: last.rpc }),
    ...(last?.retryAfter && { retryAfter: last.retryAfter }),
    ...(last?.retry && { retry: last.retry }),
    ...(last?.servers && { servers: last.servers }),
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
/** LiteLLM 1.108+ refusing a server name the key may not use (or that it does not know). */
const UNKNOWN_SERVERS = /not allowed to access the requested MCP servers:?\s*([^"'}]*)/i;
const MCP_REQUEST_FAILED = /MCP request failed/i;
/**
 * LiteLLM 1.77–1.85 turns its auth exceptions (whose text is empty) into "MCP request failed"; any other failure
 * carries its message in `details`.
 */
const EMPTY_DETAILS = /"details"\s*:\s*"\s*"/;

/** What a reason is built from. */
interface Rejected {
  r: HttpRejection;
  target: Target;
  /** `401 Unauthorized from <target>`. */
  from: string;
  /** `: <excerpt of the body>`, or nothing for an empty body. */
  body: string;
}

/** One kind of HTTP rejection: which answers it is (the first rule that matches wins), and what it means. */
interface RejectionRule {
  match: (r: HttpRejection, target: Target) => boolean;
  outcome: Outcome;
  reason: (x: Rejected) => string;
}

type Match = RejectionRule['match'];
const status =
  (...codes: number[]): Match =>
  (r) =>
    codes.includes(r.status);
const redirect: Match = (r) => r.status >= 300 && r.status < 400;
const refusal = status(401, 403);
const bodyMatches =
  (re: RegExp): Match =>
  (r) =>
    re.test(r.body);
const all =
  (...matches: Match[]): Match =>
  (r, target) =>
    matches.every((m) => m(r, target));
/** Behind an SSO gate (oauth2), a refusal that is not LiteLLM's own is the gate's: about the token. */
const byGate: Match = (r, target) => target.oauth2 !== undefined && !LITELLM_WORDS.test(r.body);

const NO_KEY = 'no key sent';
const NO_BEARER = 'key sent without "Bearer " prefix?';

/**
 * The hint of a refused key, from how the request carried it (or, when that response was not seen, from whether the
 * target has a key); `refused` when it carried one as it should.
 */
function keyHint(x: Rejected, refused: string): string {
  const sent = x.r.auth ?? (x.target.apiKey === undefined ? 'none' : 'bearer');
  if (sent === 'none')
    return x.target.apiKey === undefined ? `${NO_KEY}: set apiKey (or apiKeyFile) on the target` : NO_KEY;
  if (sent === 'no_scheme' || /bearer/i.test(x.r.body)) return NO_BEARER;
  return refused;
}

const SESSION_LIMIT =
  "the gateway's session limit for this key is reached: a client is not ending its sessions " +
  '(LiteLLM keeps each until it is DELETEd, and evicts or refuses the rest on the same key)';
const GATE_SIGN_IN =
  'it did not take the access token as a bearer token ' +
  '(is it set to accept bearer tokens from API clients, e.g. oauth2-proxy --skip-jwt-bearer-tokens?)';
const GATE_REFUSED =
  'refused by the SSO gate in front of the gateway: it did not accept the access token (expired or revoked, ' +
  "signed by a key it does not know, or without the audience or verified email it requires; see the gate's log)";
const KEY_REFUSED =
  'the gateway refused the key: check apiKey (is it a key this gateway knows, allowed these MCP servers?)';
const NO_DB =
  '"No connected db.": LiteLLM could not check the key (it is not the master key, and the gateway has no database)';
const DETAILLESS_500 = '"MCP request failed" without details, which is how LiteLLM 1.77–1.85 refuses a key';
const KEY_UNKNOWN = "check apiKey (is it a key this gateway knows?) and LiteLLM's log";
const NO_ENDPOINT = 'check mcpPath, and that MCP is enabled on the gateway';
const NOT_ACCEPTED = "the gateway did not accept the request's Accept header — is a proxy in between rewriting it?";

/** The HTTP rejections of an MCP request, most specific first; the last one takes any answer. */
const REJECTIONS: readonly RejectionRule[] = [
  { match: isSessionLimit, outcome: 'http_error', reason: (x) => `${x.from} — ${SESSION_LIMIT}${x.body}` },
  {
    match: all(byGate, redirect),
    outcome: 'auth_rejected',
    reason: (x) =>
      `${x.from} — the SSO gate in front of the gateway sent the request to sign in` +
      `${x.r.location ? ` (${x.r.location})` : ''}: ${GATE_SIGN_IN}`,
  },
  { match: all(byGate, refusal), outcome: 'auth_rejected', reason: (x) => `${x.from} — ${GATE_REFUSED}${x.body}` },
  { match: redirect, outcome: 'http_error', reason: redirectReason },
  { match: all(refusal, bodyMatches(UNKNOWN_SERVERS)), outcome: 'auth_rejected', reason: unknownServersReason },
  { match: refusal, outcome: 'auth_rejected', reason: (x) => `${x.from} — ${keyHint(x, KEY_REFUSED)}${x.body}` },
  {
    match: all(status(400), bodyMatches(/no connected db/i)),
    outcome: 'auth_rejected',
    reason: (x) => `${x.from} — ${NO_DB}`,
  },
  {
    match: all(status(500), bodyMatches(MCP_REQUEST_FAILED), bodyMatches(EMPTY_DETAILS)),
    outcome: 'auth_rejected',
    reason: (x) => `${x.from} — ${DETAILLESS_500}: ${keyHint(x, KEY_UNKNOWN)}`,
  },
  {
    match: all(status(500), bodyMatches(MCP_REQUEST_FAILED)),
    outcome: 'http_error',
    reason: (x) => `${x.from}: "MCP request failed"${x.body}`,
  },
  {
    match: status(404),
    outcome: 'http_error',
    reason: (x) => `${x.from}: no MCP endpoint at ${x.target.mcpPath} — ${NO_ENDPOINT}${x.body}`,
  },
  {
    match: status(405),
    outcome: 'http_error',
    reason: (x) =>
      `${x.from}: method not allowed at ${x.target.mcpPath} — check transport (streamable-http or sse)${x.body}`,
  },
  {
    match: status(406),
    outcome: 'http_error',
    reason: (x) => `${x.from}: ${NOT_ACCEPTED}${x.body}`,
  },
  { match: () => true, outcome: 'http_error', reason: (x) => `${x.from}${x.body}` },
];

/** An outcome and a reason for an HTTP error answer to an MCP request made with the target's key. */
export function describeHttpRejection(
  r: HttpRejection,
  ctx: Pick<ProbeContext, 'target'>,
): { outcome: Outcome; reason: string; body?: string } {
  const target = ctx.target;
  const from = `${statusText(r.status)} from ${target.name}`;
  // LiteLLM's client allowlist, rate limits and missing upstream credentials, named (gateway-refusals.ts).
  const named = nameGatewayRefusal(r, target, from);
  if (named) return named;
  const rule = REJECTIONS.find((candidate) => candidate.match(r, target))!;
  const x: Rejected = { r, target, from, body: r.body.trim() ? `: ${excerpt(r.body)}` : '' };
  return { outcome: rule.outcome, reason: rule.reason(x) };
}

/** A redirect, with the mcpPath to use when it stays on the gateway. */
function redirectReason(x: Rejected): string {
  const to = x.r.location ? pathOf(x.r.location, x.target.url) : undefined;
  const hint = to && to !== x.target.mcpPath ? ` — use mcpPath ${to}` : '';
  return `${x.from}: redirect${x.r.location ? ` to ${x.r.location}` : ''}${hint}`;
}

function unknownServersReason(x: Rejected): string {
  const which = UNKNOWN_SERVERS.exec(x.r.body)?.[1]?.trim();
  return (
    `${x.from} — the key may not use MCP server${which ? ` ${which}` : 's'}: is the name in servers right ` +
    `(LiteLLM 1.108+ refuses unknown names), and is the server allowed for this key?${x.body}`
  );
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
  err = unwrapSdkError(err);
  if (err instanceof ProbeFailure) return err;
  if (ctx.signal.aborted) return undefined; // the run's timeout: the generic classifier names the phase
  const era = eraProtocolError(err, ctx.target) ?? eraNegotiationFailure(err, ctx.target, responses);
  if (era) return era;
  const http = httpRejection(err, responses);
  // A modern-only server refusing the 2025 handshake (400 -32022), a modern method refused (-32020)…
  const inBody = http && http.status >= 400 ? rpcErrorIn(http.body) : undefined;
  const eraHttp = inBody && eraFailure(ctx.target, inBody, http!.status, http!.rpc);
  if (eraHttp) return eraHttp;
  if (http) {
    const d = describeHttpRejection(http, ctx);
    const body = d.body ?? http.body;
    return new ProbeFailure(d.outcome, d.reason, {
      status: http.status,
      ...(body.trim() && { body: excerpt(body, 300) }),
      ...(http.status === 401 && http.wwwAuthenticate && { wwwAuthenticate: http.wwwAuthenticate }),
    });
  }
  // undici's fetch refuses the ports of the WHATWG "bad port" list (e.g. 1, 6000, 6665–6669, 10080).
  if (/bad port/i.test(innermostMessage(err))) {
    return new ProbeFailure(
      'connect_error',
      `the port of ${ctx.target.url} is on fetch's list of blocked ("bad") ports, ` +
        'so no HTTP request is made to it: serve the gateway on another port',
    );
  }
  const name = ctx.target.name;
  const where = phase ? ` in ${phase}` : '';
  const counter = counterOffer(err, ctx);
  if (counter) return counter;
  const sdk = sdkFailure(err, ctx, where);
  if (sdk) return sdk;
  if (err instanceof ProtocolError) {
    const said = stripMcpErrorPrefix(err.message);
    // LiteLLM's rate limit or a missing upstream credential, said as a JSON-RPC error (gateway-refusals.ts).
    const named = nameInBandRefusal(said, responses.at(-1)?.servers);
    if (named)
      return new ProbeFailure(named.outcome, `JSON-RPC error ${err.code} from ${name}${where} — ${named.reason}`);
    return new ProbeFailure('protocol_error', `JSON-RPC error ${err.code} from ${name}${where}: ${said}`);
  }
  if (isSchemaError(err) || (err as Error | undefined)?.name === 'SyntaxError') {
    return new ProbeFailure('protocol_error', `invalid MCP message from ${name}${where}: ${shortMessage(err, 160)}`);
  }
  return undefined;
}

/**
 * What failed under a version negotiation the SDK gave up on (`ERA_NEGOTIATION_FAILED` with the network error, or
 * ours, in `data.cause`): that error, which the classifiers know; anything else as it is.
 */
export function unwrapSdkError(err: unknown): unknown {
  if (!(err instanceof SdkError) || err.code !== SdkErrorCode.EraNegotiationFailed) return err;
  const data = err.data as { cause?: unknown; status?: unknown } | undefined;
  return data?.status === undefined && data?.cause instanceof Error ? data.cause : err;
}

/** What the SDK's own errors (not the server's) mean: a timeout, a closed connection, an answer that is not MCP. */
function sdkFailure(err: unknown, ctx: ProbeContext, where: string): ProbeFailure | undefined {
  if (!(err instanceof SdkError)) return undefined;
  const name = ctx.target.name;
  const cause = (err as Error).cause;
  const unusable =
    err.code === SdkErrorCode.ClientHttpUnexpectedContent ||
    (cause instanceof SdkError && cause.code === SdkErrorCode.ClientHttpUnexpectedContent);
  if (unusable) {
    const said = cause instanceof SdkError ? cause.message : err.message;
    return new ProbeFailure('protocol_error', `${name} did not answer as an MCP server${where}: ${said}`);
  }
  switch (err.code) {
    case SdkErrorCode.RequestTimeout:
      return new ProbeFailure('timeout', `timeout after ${formatDuration(ctx.timeoutMs)}${where}`);
    case SdkErrorCode.ConnectionClosed:
      return new ProbeFailure('protocol_error', `${name} closed the MCP connection${where}`);
    case SdkErrorCode.InvalidResult:
      return new ProbeFailure('protocol_error', `invalid MCP message from ${name}${where}: ${invalidResult(err)}`);
    default:
      return undefined;
  }
}

/** An exact legacy version (protocol: 2025-06-18) the server did not agree to: the SDK refuses its counter-offer. */
function counterOffer(err: unknown, ctx: ProbeContext): ProbeFailure | undefined {
  const offered =
    err instanceof Error ? /^Server's protocol version is not supported: (.+)$/.exec(err.message)?.[1] : '';
  if (!offered) return undefined;
  return new ProbeFailure(
    'protocol_error',
    `${ctx.target.name} answered initialize with protocol ${offered}, not ${ctx.target.protocol} ` +
      `(protocol: ${ctx.target.protocol}): set protocol to a version it speaks (${offered}), or auto`,
  );
}

/** A result the SDK's schema refused: its first issue, as `shortMessage` words a schema error. */
function invalidResult(err: SdkError): string {
  const issues = /^Invalid result for [^:]+: (\[[\s\S]*\])$/.exec(err.message)?.[1];
  try {
    const parsed = issues ? (JSON.parse(issues) as Array<{ path?: PropertyKey[]; message?: string }>) : undefined;
    const first = parsed?.[0];
    if (first) {
      const where = first.path?.length ? first.path.map(String).join('.') : 'message';
      return `not a valid MCP message (${where}: ${first.message ?? 'invalid'})`;
    }
  } catch {
    // not the schema's words: as it is
  }
  return shortMessage(err, 200);
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
