import { ProtocolError, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS } from '../../config/fields.js';
import type { Target } from '../../config/target.js';
import { ProbeFailure } from '../types.js';
import { excerpt, statusText } from '../text.js';
import type { SeenResponse } from './responses.js';

/** JSON-RPC codes of the 2026-07-28 revision. */
export const HEADER_MISMATCH = -32020;
export const UNSUPPORTED_VERSION = -32022;
const METHOD_NOT_FOUND = -32601;

/** A JSON-RPC error as it came: on a ProtocolError, or in the body of an HTTP error answer. */
interface RpcError {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

/** The JSON-RPC error in an HTTP answer's body, if it is one. */
export function rpcErrorIn(body: string | undefined): RpcError | undefined {
  if (!body) return undefined;
  try {
    const msg = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; data?: unknown } };
    const e = msg?.error;
    if (!e || typeof e.code !== 'number') return undefined;
    const data = e.data && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : undefined;
    return { code: e.code, message: typeof e.message === 'string' ? e.message : '', ...(data && { data }) };
  } catch {
    return undefined;
  }
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const isModern = (v: string): boolean => v >= MODERN_PROTOCOL_VERSIONS[0];
/** The methods of the 2025 handshake, which a server of the modern era only does not know. */
const LEGACY_METHODS = /^(initialize|ping|notifications\/initialized)$/;
/** The revisions mcpwatch speaks (a target's `protocol` may name any of them). */
const SPOKEN: readonly string[] = [...LEGACY_PROTOCOL_VERSIONS, ...MODERN_PROTOCOL_VERSIONS];

/**
 * What to do about a -32022: pin the newest version both sides speak when there is one (and upgrade the server,
 * unless it is the newer side), else upgrade the side that is behind.
 */
function unsupportedVersionFix(supported: string[], requested: string | undefined): string {
  if (supported.length === 0) return 'check the server';
  const both = supported.filter((v) => SPOKEN.includes(v)).sort();
  if (both.length > 0) {
    const serverNewer = requested !== undefined && supported.every((v) => v > requested);
    const pin = `pin a version both speak (protocol: ${both[both.length - 1]})`;
    return serverNewer ? pin : `${pin}, or upgrade the server`;
  }
  const newest = SPOKEN[SPOKEN.length - 1]!;
  const behind = supported.every((v) => v > newest)
    ? 'mcpwatch'
    : supported.every((v) => v < newest)
      ? 'the server'
      : 'mcpwatch or the server';
  return `mcpwatch speaks none of them (${SPOKEN.join(', ')}): upgrade ${behind}`;
}

/** -32022: which versions the server supports, and what to do about it. */
function unsupportedVersion(target: Target, e: RpcError, status: number | undefined, rpc?: string): ProbeFailure {
  const supported = strings(e.data?.supported);
  const requested = typeof e.data?.requested === 'string' ? e.data.requested : undefined;
  const name = target.name;
  const details = { ...(status !== undefined && { status }), jsonRpcError: e.code, supported };
  // Refused a 2025 version (named, or the request was the 2025 handshake): a server of the modern era only.
  const askedLegacy = requested !== undefined ? !isModern(requested) : rpc === undefined || LEGACY_METHODS.test(rpc);
  if (supported.length > 0 && supported.every(isModern) && askedLegacy) {
    return new ProbeFailure(
      'protocol_error',
      `${name} speaks only ${supported.join(', ')}: it refused the 2025 initialize handshake ` +
        `(-32022 unsupported protocol version${requested ? ` ${requested}` : ''}) — set protocol: auto or modern`,
      details,
    );
  }
  const ours = requested ? `protocol ${requested}` : 'the protocol version mcpwatch asked for';
  return new ProbeFailure(
    'protocol_error',
    `${name} does not support ${ours} (-32022): it supports ${supported.join(', ') || 'no version it named'} — ` +
      unsupportedVersionFix(supported, requested),
    details,
  );
}

/** -32020: the request's MCP headers and its body disagree, as the server saw them. */
function headerMismatch(target: Target, e: RpcError, status: number | undefined): ProbeFailure {
  const m = e.data?.mismatch as { header?: unknown; body?: unknown } | undefined;
  const which =
    m && (m.header !== undefined || m.body !== undefined)
      ? ` (header: ${JSON.stringify(m.header)}, body: ${JSON.stringify(m.body)})`
      : e.message
        ? ` (${excerpt(e.message, 160)})`
        : '';
  return new ProbeFailure(
    'protocol_error',
    `${target.name} refused the request because its MCP headers and its body disagree${which} (-32020): mcpwatch ` +
      'sends them in agreement, so something in between (often a proxy) rewrote or dropped the Mcp-Method, ' +
      'Mcp-Name or MCP-Protocol-Version header',
    { ...(status !== undefined && { status }), jsonRpcError: e.code },
  );
}

/** A 2025 method (initialize, ping) refused as unknown by a server of the modern era only. */
function legacyMethodRefused(target: Target, e: RpcError, status: number | undefined, rpc?: string): ProbeFailure {
  return new ProbeFailure(
    'protocol_error',
    `${target.name} does not know ${rpc ? `the 2025 method ${rpc}` : 'a 2025 method'} (${status ? `${status}, ` : ''}` +
      `-32601 ${excerpt(e.message, 80)}): the server speaks only 2026-07-28 — set protocol: auto or modern`,
    { ...(status !== undefined && { status }), jsonRpcError: e.code },
  );
}

/** The protocol-era failure a JSON-RPC error stands for (-32020, -32022, a 2025 method unknown), if it is one. */
export function eraFailure(target: Target, e: RpcError, status?: number, rpc?: string): ProbeFailure | undefined {
  if (e.code === UNSUPPORTED_VERSION) return unsupportedVersion(target, e, status, rpc);
  if (e.code === HEADER_MISMATCH) return headerMismatch(target, e, status);
  if (e.code === METHOD_NOT_FOUND && rpc && LEGACY_METHODS.test(rpc))
    return legacyMethodRefused(target, e, status, rpc);
  return undefined;
}

/** A ProtocolError of the modern revision (-32020, -32022) thrown by the SDK. */
export function eraProtocolError(err: unknown, target: Target): ProbeFailure | undefined {
  if (!(err instanceof ProtocolError)) return undefined;
  if (err.code !== UNSUPPORTED_VERSION && err.code !== HEADER_MISMATCH) return undefined;
  const data = err.data && typeof err.data === 'object' ? (err.data as Record<string, unknown>) : undefined;
  return eraFailure(target, { code: err.code, message: err.message, ...(data && { data }) });
}

/**
 * A pinned (modern) connect the SDK gave up on without an HTTP status (ERA_NEGOTIATION_FAILED): what the gateway
 * answered to server/discover, from the session's own record of it.
 */
export function eraNegotiationFailure(
  err: unknown,
  target: Target,
  responses: readonly SeenResponse[],
): ProbeFailure | undefined {
  if (!(err instanceof SdkError) || err.code !== SdkErrorCode.EraNegotiationFailed) return undefined;
  if ((err.data as { status?: unknown } | undefined)?.status !== undefined) return undefined; // an HTTP error
  const seen = [...responses].reverse().find((r) => r.rpc === 'server/discover');
  if (!seen) return undefined;
  const rpc = rpcErrorIn(seen.body);
  if (rpc && seen.status >= 400) {
    const era = eraFailure(target, rpc, seen.status, 'server/discover');
    if (era) return era;
  }
  const answered = rpc
    ? `${statusText(seen.status)}: ${rpc.code} "${excerpt(rpc.message, 160)}"`
    : `${statusText(seen.status)}${seen.body ? `: ${excerpt(seen.body, 160)}` : ''}`;
  const supported = rpc ? supportedIn(rpc) : [];
  const legacy = (seen.status >= 400 || rpc?.code === METHOD_NOT_FOUND) && !supported.some(isModern);
  const speaks = supported.length > 0 ? `the 2025 revisions ${supported.join(', ')}` : 'the 2025 protocol';
  const what = !legacy
    ? `the pinned protocol could not be agreed: ${err.message}`
    : `it speaks only ${speaks} (legacy): set protocol: auto or legacy, or upgrade the gateway to a release that ` +
      `speaks ${MODERN_PROTOCOL_VERSIONS.join(', ')}`;
  return new ProbeFailure(
    'protocol_error',
    `${target.name} did not answer server/discover as a 2026-07-28 server (it answered ${answered}) — ${what}`,
    {
      status: seen.status,
      ...(rpc && { jsonRpcError: rpc.code }),
      ...(supported.length > 0 && { supported }),
      ...(seen.body && { body: excerpt(seen.body, 300) }),
    },
  );
}

/**
 * The versions a refusal names: its `data.supported`, or the list in its message, as legacy servers word it
 * (LiteLLM 1.110: "Unsupported MCP-Protocol-Version 2026-07-28; supported: 2024-11-05, …"; the Python SDK 1.x:
 * "Unsupported protocol version: 2026-07-28. Supported versions: 2024-11-05, …").
 */
function supportedIn(e: RpcError): string[] {
  const listed = strings(e.data?.supported);
  if (listed.length > 0) return listed;
  const words = /\bsupported(?: versions)?:\s*(\d{4}-\d{2}-\d{2}(?:\s*,\s*\d{4}-\d{2}-\d{2})*)/i.exec(e.message)?.[1];
  return words ? words.split(/\s*,\s*/) : [];
}
