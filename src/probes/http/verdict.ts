import type { ProbeOutput } from '../types.js';
import type { HttpDetails } from './details.js';
import type { HttpProbeConfig } from './schema.js';
import { checkText, excerpt, statusText } from '../text.js';

export interface HttpObservation {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bodyTruncated: boolean;
  /** Whether the key was sent (http probes with auth: true and a key on the target). */
  keySent: boolean;
  target: string;
}

/** Pure: an HTTP response against an http probe's `expect`. */
export function checkHttpExpect(expect: HttpProbeConfig['expect'], res: HttpObservation): ProbeOutput<HttpDetails> {
  const details: HttpDetails = {
    status: res.status,
    bodyBytes: Buffer.byteLength(res.body),
    bodyTruncated: res.bodyTruncated,
  };
  if (!expect.status.includes(res.status)) {
    const wanted = expect.status.join(', ');
    const body = res.body.trim() ? `: ${excerpt(res.body)}` : '';
    if (res.status === 401 || res.status === 403) {
      const hint = res.keySent
        ? 'the key was rejected: check apiKey, and that it is a key this gateway knows'
        : 'this endpoint needs a key: set auth: true and an apiKey on the target';
      return {
        outcome: 'auth_rejected',
        reason: `${statusText(res.status)} from ${res.target} (expected ${wanted}): ${hint}${body}`,
        details,
      };
    }
    if (res.status >= 300 && res.status < 400) {
      const location = firstHeader(res.headers.location);
      const slash = location !== undefined && location.endsWith('/') && !location.slice(0, -1).includes('?');
      const to = location ? ` to ${location}` : '';
      const hint = slash ? ': add the trailing slash to the path' : '';
      return {
        outcome: 'http_error',
        reason: `${statusText(res.status)} redirect${to} (expected ${wanted})${hint}`,
        details,
      };
    }
    return {
      outcome: 'http_error',
      reason: `${statusText(res.status)} from ${res.target} (expected ${wanted})${body}`,
      details,
    };
  }
  const failed = checkText(res.body, expect, 'response body');
  if (failed)
    return {
      outcome: 'expectation_failed',
      reason: failed + (res.bodyTruncated ? ' (body truncated at maxBodyBytes)' : ''),
      details,
    };
  return { outcome: 'ok', reason: `${statusText(res.status)}`, details };
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
