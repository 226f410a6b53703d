import { formatDuration } from '../../config/duration.js';
import { innermostMessage } from '../../util/errors.js';
import { ProbeCancelledError, ProbeFailure, ProbeTimeoutError, type Phase, type ProbeOutput } from '../types.js';

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'EPROTO',
  'HOSTNAME_MISMATCH',
]);

const TLS_HINTS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet (check the clocks)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed server certificate: set tls.caFile to trust it',
  SELF_SIGNED_CERT_IN_CHAIN: 'a self-signed certificate in the chain: set tls.caFile to trust the private CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cannot verify the server certificate: set tls.caFile to the issuing CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown certificate issuer: set tls.caFile to the issuing CA',
  ERR_TLS_CERT_ALTNAME_INVALID:
    'the certificate does not name this host (set tls.serverName if the target is reached by another name)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS here: use http:// or the TLS port',
};

const CONNECT_HINTS: Record<string, (host: string, service: string) => string> = {
  ECONNREFUSED: (h, s) => `connection refused by ${h}: is ${s} running and listening there?`,
  ENOTFOUND: (h) => `DNS lookup failed for ${h.replace(/:\d+$/, '')}`,
  EAI_AGAIN: (h) => `DNS lookup for ${h.replace(/:\d+$/, '')} failed temporarily`,
  EHOSTUNREACH: (h) => `host ${h} unreachable`,
  ENETUNREACH: (h) => `network unreachable for ${h}`,
  ECONNRESET: (h) => `connection reset by ${h}`,
  EPIPE: (h) => `connection to ${h} closed while sending`,
  UND_ERR_SOCKET: (h) => `connection to ${h} closed unexpectedly`,
  UND_ERR_CLOSED: (h) => `connection to ${h} closed`,
  UND_ERR_CONNECT_TIMEOUT: (h) => `connecting to ${h} timed out`,
  ETIMEDOUT: (h) => `connecting to ${h} timed out`,
};

/** The `code` of an error or of its causes (fetch wraps network errors in a TypeError). */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED' && code !== 'ABORT_ERR') return code;
  }
  return undefined;
}

export interface ClassifyContext {
  signal: AbortSignal;
  phase: Phase | undefined;
  /** host:port of the target, for reasons. */
  host: string;
  /** What listens at `host`, for hints: "the gateway" unless said (e.g. "the identity provider"). */
  service?: string;
}

/** Turns anything a probe threw into an outcome with a reason that says what to do. */
export function classifyError(err: unknown, ctx: ClassifyContext): ProbeOutput {
  if (err instanceof ProbeFailure)
    return { outcome: err.outcome, reason: err.message, ...(err.details && { details: err.details }) };

  const abort = ctx.signal.aborted ? (ctx.signal.reason as unknown) : undefined;
  if (abort instanceof ProbeTimeoutError || err instanceof ProbeTimeoutError) {
    const ms = (abort instanceof ProbeTimeoutError ? abort : (err as ProbeTimeoutError)).timeoutMs;
    return { outcome: 'timeout', reason: `timeout after ${formatDuration(ms)}${ctx.phase ? ` in ${ctx.phase}` : ''}` };
  }
  if (abort instanceof ProbeCancelledError) return { outcome: 'timeout', reason: `cancelled: ${abort.message}` };

  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    const what = code.includes('HEADERS') ? 'response headers' : 'response body';
    return { outcome: 'timeout', reason: `timeout waiting for the ${what}${ctx.phase ? ` in ${ctx.phase}` : ''}` };
  }
  if (code && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return {
      outcome: 'tls_error',
      reason: `TLS error with ${ctx.host}: ${TLS_HINTS[code] ?? innermostMessage(err)} (${code})`,
    };
  }
  if (code && CONNECT_HINTS[code]) {
    return {
      outcome: 'connect_error',
      reason: `${CONNECT_HINTS[code](ctx.host, ctx.service ?? 'the gateway')} (${code})`,
    };
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return { outcome: 'protocol_error', reason: `response larger than the size limit from ${ctx.host}` };
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL') {
    return { outcome: 'internal_error', reason: `invalid request: ${innermostMessage(err)}` };
  }
  if (code && (code.startsWith('HPE_') || code === 'UND_ERR_INFO')) {
    return {
      outcome: 'protocol_error',
      reason: `malformed HTTP response from ${ctx.host}: ${innermostMessage(err)} (${code})`,
    };
  }
  if (code && /^E[A-Z]+$/.test(code)) {
    return { outcome: 'connect_error', reason: `network error with ${ctx.host}: ${innermostMessage(err)} (${code})` };
  }
  const msg = innermostMessage(err);
  return { outcome: 'internal_error', reason: `probe failed unexpectedly: ${msg}` };
}
