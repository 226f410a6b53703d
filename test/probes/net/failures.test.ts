import { describe, expect, it } from 'vitest';
import { classifyError } from '../../../src/probes/net/failures.js';
import { ProbeFailure, ProbeTimeoutError } from '../../../src/probes/types.js';

describe('classifyError', () => {
  const live = new AbortController().signal;
  const ctx = { signal: live, phase: 'http' as const, host: 'gw:4000' };
  const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
  it.each([
    [
      withCode('ECONNREFUSED'),
      'connect_error',
      'connection refused by gw:4000: is the gateway running and listening there? (ECONNREFUSED)',
    ],
    [
      new TypeError('fetch failed', { cause: withCode('ENOTFOUND') }),
      'connect_error',
      'DNS lookup failed for gw (ENOTFOUND)',
    ],
    [
      withCode('DEPTH_ZERO_SELF_SIGNED_CERT'),
      'tls_error',
      'TLS error with gw:4000: self-signed server certificate: set tls.caFile to trust it (DEPTH_ZERO_SELF_SIGNED_CERT)',
    ],
    [
      withCode('ERR_TLS_CERT_ALTNAME_INVALID'),
      'tls_error',
      'TLS error with gw:4000: the certificate does not name this host (set tls.serverName if the target is reached by another name) (ERR_TLS_CERT_ALTNAME_INVALID)',
    ],
    [withCode('UND_ERR_HEADERS_TIMEOUT'), 'timeout', 'timeout waiting for the response headers in http'],
    [
      withCode('HPE_INVALID_CONSTANT', 'Expected HTTP/'),
      'protocol_error',
      'malformed HTTP response from gw:4000: Expected HTTP/ (HPE_INVALID_CONSTANT)',
    ],
    [new ProbeFailure('tool_error', 'the tool said no'), 'tool_error', 'the tool said no'],
    [new RangeError('oops'), 'internal_error', 'probe failed unexpectedly: oops'],
  ])('%s', (err, outcome, reason) => {
    const out = classifyError(err, ctx);
    expect([out.outcome, out.reason]).toEqual([outcome, reason]);
  });
  it('a timeout names the phase it interrupted', () => {
    const c = new AbortController();
    c.abort(new ProbeTimeoutError(15_000));
    expect(
      classifyError(new DOMException('aborted', 'AbortError'), { signal: c.signal, phase: 'initialize', host: 'gw:1' }),
    ).toEqual({ outcome: 'timeout', reason: 'timeout after 15s in initialize' });
  });
});
