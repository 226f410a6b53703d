import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { expandVars } from '../../src/config/interpolate.js';
import { toOpenMetrics } from '../../src/metrics/openmetrics.js';
import { classifyError, ProbeFailure, ProbeTimeoutError } from '../../src/probes/errors.js';
import { checkHttpExpect } from '../../src/probes/expect.js';
import { bearer, joinUrl, readLimited } from '../../src/probes/http-util.js';
import { createPhaseClock } from '../../src/probes/phases.js';
import { Limiter } from '../../src/scheduler/limiter.js';
import { wantsOpenMetrics } from '../../src/server/routes/metrics.js';
import { maskCredential, maskHeaders, Redactor } from '../../src/util/redact.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
  ])('%s → %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '10', 's', '10 s', '-1s', '1d', '0ms'])('rejects %j', (text) => expect(typeof parseDuration(text)).toBe('object'));
  it.each([
    [250, '250ms'],
    [15_000, '15s'],
    [1_500, '1.5s'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
  ])('formats %i', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('expandVars', () => {
  const env = { A: 'x', EMPTY: '' };
  it.each([
    ['${A}', 'x'],
    ['pre-${A}-post', 'pre-x-post'],
    ['${EMPTY}', ''],
    ['${MISSING:-dflt}', 'dflt'],
    ['${A:-dflt}', 'x'],
    ['$$', '$'],
    ['$${A}', '${A}'],
    ['cost $5', 'cost $5'],
    ['$', '$'],
  ])('%j → %j', (text, out) => expect(expandVars(text, env)).toBe(out));
  it.each([
    ['${MISSING}', 'environment variable MISSING is not set'],
    ['${1X}', 'invalid variable name "${1X}"'],
    ['${A', 'unterminated "${" in "${A" (write $$ for a literal $)'],
  ])('%j is an error', (text, error) => expect(expandVars(text, env)).toEqual({ error }));
});

describe('Redactor', () => {
  const r = new Redactor();
  r.addSecrets(['configured-secret-value', 'ab']);
  it.each([
    ['Passed in: sk-1234567890abcdefghijwxyz', 'Passed in: sk-…wxyz'],
    ['Received API Key = sk-short', 'Received API Key = sk-***'],
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer ***'],
    ['token configured-secret-value here', 'token *** here'],
    ['ab is too short to be a secret', 'ab is too short to be a secret'],
    ['no secrets', 'no secrets'],
  ])('%j → %j', (text, out) => expect(r.mask(text)).toBe(out));
  it('masks deep structures and credential fields, and is idempotent', () => {
    const once = r.maskDeep({ headers: { authorization: 'Bearer sk-1234567890abcdefghijwxyz', 'x-mcp-servers': 'a' }, apiKey: 'x', list: ['sk-1234567890abcdefghijwxyz'] });
    expect(once).toEqual({ headers: { authorization: 'Bearer sk-…wxyz', 'x-mcp-servers': 'a' }, apiKey: '***', list: ['sk-…wxyz'] });
    expect(r.maskDeep(once)).toEqual(once);
  });
  it('masks credentials in header maps but keeps their shape', () => {
    expect(maskHeaders({ Authorization: 'sk-1234567890abcdefghijwxyz', 'x-mcp-github-authorization': 'Bearer ghp_x', accept: 'a' })).toEqual({
      Authorization: 'sk-…wxyz',
      'x-mcp-github-authorization': '***',
      accept: 'a',
    });
    expect(maskCredential('Bearer ')).toBe('Bearer (empty)');
    expect(maskCredential('')).toBe('(empty)');
    expect(maskCredential('Basic dXNlcjpwYXNz')).toBe('Basic ***');
  });
});

describe('toOpenMetrics', () => {
  it('renames counter families, maps untyped, drops blank lines and ends with # EOF', () => {
    const prom = [
      '# HELP a_total Things.',
      '# TYPE a_total counter',
      'a_total{x="1"} 3',
      '',
      '# HELP b Plain counter.',
      '# TYPE b counter',
      'b 1',
      'b_created 2',
      '',
      '# HELP c Gauge.',
      '# TYPE c gauge',
      'c 1',
      '# HELP d Untyped.',
      '# TYPE d untyped',
      'd 0',
      '',
    ].join('\n');
    expect(toOpenMetrics(prom)).toBe(
      [
        '# HELP a Things.',
        '# TYPE a counter',
        'a_total{x="1"} 3',
        '# HELP b Plain counter.',
        '# TYPE b counter',
        'b_total 1',
        'b_created 2',
        '# HELP c Gauge.',
        '# TYPE c gauge',
        'c 1',
        '# HELP d Untyped.',
        '# TYPE d unknown',
        'd 0',
        '# EOF',
        '',
      ].join('\n'),
    );
  });
  it.each([
    ['application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', true],
    ['text/plain', false],
    [undefined, false],
    ['*/*', false],
    ['text/plain;q=1, application/openmetrics-text;q=0.5', false],
  ])('Accept %j wants OpenMetrics: %s', (accept, want) => expect(wantsOpenMetrics(accept)).toBe(want));
});

describe('checkHttpExpect', () => {
  const base = { headers: {}, body: 'ok', bodyTruncated: false, keySent: true, target: 'gw' };
  const expect200 = { status: [200] };
  it.each([
    ['expected status', { status: 200 }, expect200, 'ok', '200 OK'],
    ['other status', { status: 503, body: '{"status":"unhealthy"}' }, expect200, 'http_error', '503 Service Unavailable from gw (expected 200): {"status":"unhealthy"}'],
    ['401 with a key', { status: 401, body: '' }, expect200, 'auth_rejected', '401 Unauthorized from gw (expected 200): the key was rejected: check apiKey, and that it is a key this gateway knows'],
    ['401 without a key', { status: 401, body: '', keySent: false }, expect200, 'auth_rejected', '401 Unauthorized from gw (expected 200): this endpoint needs a key: set auth: true and an apiKey on the target'],
    ['redirect to a trailing slash', { status: 307, headers: { location: '/mcp/' } }, expect200, 'http_error', '307 Temporary Redirect redirect to /mcp/ (expected 200): add the trailing slash to the path'],
    ['contains fails', { status: 200, body: 'I am alive' }, { ...expect200, contains: 'healthy' }, 'expectation_failed', 'response body does not contain "healthy": got "I am alive"'],
    ['matches fails on empty body', { status: 200, body: '' }, { ...expect200, matches: '^ok$' }, 'expectation_failed', 'response body does not match /^ok$/ (empty)'],
    ['matches passes', { status: 200, body: 'ok' }, { ...expect200, matches: '^ok$' }, 'ok', '200 OK'],
    ['truncated body is said', { status: 200, body: 'abc', bodyTruncated: true }, { ...expect200, contains: 'z' }, 'expectation_failed', 'response body does not contain "z": got "abc" (body truncated at maxBodyBytes)'],
  ])('%s', (_n, res, exp, outcome, reason) => {
    const out = checkHttpExpect(exp, { ...base, ...res });
    expect([out.outcome, out.reason]).toEqual([outcome, reason]);
  });
});

describe('classifyError', () => {
  const live = new AbortController().signal;
  const ctx = { signal: live, phase: 'http' as const, host: 'gw:4000' };
  const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
  it.each([
    [withCode('ECONNREFUSED'), 'connect_error', 'connection refused by gw:4000: is the gateway running and listening there? (ECONNREFUSED)'],
    [new TypeError('fetch failed', { cause: withCode('ENOTFOUND') }), 'connect_error', 'DNS lookup failed for gw (ENOTFOUND)'],
    [withCode('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls_error', 'TLS error with gw:4000: self-signed server certificate: set tls.caFile to trust it (DEPTH_ZERO_SELF_SIGNED_CERT)'],
    [withCode('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls_error', 'TLS error with gw:4000: the certificate does not name this host (set tls.serverName if the target is reached by another name) (ERR_TLS_CERT_ALTNAME_INVALID)'],
    [withCode('UND_ERR_HEADERS_TIMEOUT'), 'timeout', 'timeout waiting for the response headers in http'],
    [withCode('HPE_INVALID_CONSTANT', 'Expected HTTP/'), 'protocol_error', 'malformed HTTP response from gw:4000: Expected HTTP/ (HPE_INVALID_CONSTANT)'],
    [new ProbeFailure('tool_error', 'the tool said no'), 'tool_error', 'the tool said no'],
    [new RangeError('oops'), 'internal_error', 'probe failed unexpectedly: oops'],
  ])('%s', (err, outcome, reason) => {
    const out = classifyError(err, ctx);
    expect([out.outcome, out.reason]).toEqual([outcome, reason]);
  });
  it('a timeout names the phase it interrupted', () => {
    const c = new AbortController();
    c.abort(new ProbeTimeoutError(15_000));
    expect(classifyError(new DOMException('aborted', 'AbortError'), { signal: c.signal, phase: 'initialize', host: 'gw:1' })).toEqual({ outcome: 'timeout', reason: 'timeout after 15s in initialize' });
  });
});

describe('http helpers', () => {
  it.each([
    ['http://gw:4000', '/health', 'http://gw:4000/health'],
    ['http://gw:4000/', '/mcp/', 'http://gw:4000/mcp/'],
    ['https://host/litellm/', '/health?x=1', 'https://host/litellm/health?x=1'],
  ])('joinUrl(%s, %s)', (base, path, url) => expect(joinUrl(base, path)).toBe(url));
  it('adds the Bearer prefix only when missing', () => {
    expect(bearer('sk-1')).toBe('Bearer sk-1');
    expect(bearer('Bearer sk-1')).toBe('Bearer sk-1');
    expect(bearer('bearer sk-1')).toBe('bearer sk-1');
  });
  it('reads a body up to the limit and destroys the rest', async () => {
    let destroyed = false;
    async function* gen() {
      for (let i = 0; i < 1000; i++) yield Buffer.alloc(1024, 'a');
    }
    const it = Object.assign(gen(), { destroy: () => (destroyed = true) });
    const r = await readLimited(it, 4096 + 10);
    expect(r).toMatchObject({ truncated: true, bytes: 4106 });
    expect(r.text).toHaveLength(4106);
    expect(destroyed).toBe(true);
  });
});

describe('phase clock', () => {
  it('sums phases and reports the one in progress', () => {
    let t = 0;
    const c = createPhaseClock(() => t);
    c.start('connect');
    t = 5;
    c.start('initialize');
    t = 12;
    expect(c.current).toBe('initialize');
    c.end();
    c.add('connect', 1);
    expect(c.snapshot()).toEqual({ connect: 6, initialize: 7 });
  });
});

describe('Limiter', () => {
  it('grants at most limit slots, in order, and drops aborted waiters', async () => {
    const l = new Limiter(1);
    const r1 = await l.acquire();
    const order: number[] = [];
    const p2 = l.acquire().then((r) => (order.push(2), r));
    const ac = new AbortController();
    const p3 = l.acquire(ac.signal);
    const p4 = l.acquire().then((r) => (order.push(4), r));
    expect(l.queued).toBe(3);
    ac.abort(new Error('gone'));
    await expect(p3).rejects.toThrow('gone');
    r1();
    (await p2)();
    (await p4)();
    expect(order).toEqual([2, 4]);
    expect(l.inFlight).toBe(0);
  });
});
