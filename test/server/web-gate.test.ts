import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { hashSync } from 'bcryptjs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSettings } from '../../src/config/web-config.js';
import { BasicAuth, parseBasicAuth } from '../../src/server/basic-auth.js';
import {
  answerPlainHttp,
  peerRefusal,
  PLAIN_HTTP_ANSWER,
  sanValues,
  serverAuth,
  TokenBucket,
  WebGate,
} from '../../src/server/web-gate.js';
import { makeSelfSigned } from '../support/test-certs.js';

// The web config's gate on its own (a bare Fastify app through inject); the real server, TLS and the built agent are
// in test/integration/web-config.test.ts.

const HASH = hashSync('pw', 4);
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function settings(over: Partial<WebSettings> = {}): WebSettings {
  return { file: 'web.yml', users: { alice: HASH }, headers: { 'X-Frame-Options': 'deny' }, ...over };
}

describe('WebGate on every request', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => app?.close());

  async function appWith(gate: WebGate, mcpToken?: string): Promise<FastifyInstance> {
    const a = Fastify();
    gate.install(a, { mcpToken: () => mcpToken });
    a.get('/metrics', async () => 'ok');
    a.post('/mcp', async (req) => ({ auth: req.headers.authorization ?? null }));
    await a.ready();
    return (app = a);
  }

  it('basic auth: 401 with WWW-Authenticate and the headers; the right user and password pass', async () => {
    const a = await appWith(new WebGate(settings(), pino({ level: 'silent' })));
    const none = await a.inject({ url: '/metrics' });
    expect([none.statusCode, none.headers['www-authenticate'], none.headers['x-frame-options']]).toEqual([
      401,
      'Basic',
      'deny',
    ]);
    expect((await a.inject({ url: '/metrics', headers: { authorization: basic('alice', 'no') } })).statusCode).toBe(
      401,
    );
    expect((await a.inject({ url: '/metrics', headers: { authorization: 'Bearer pw' } })).statusCode).toBe(401);
    const ok = await a.inject({ url: '/metrics', headers: { authorization: basic('alice', 'pw') } });
    expect([ok.statusCode, ok.body, ok.headers['x-frame-options']]).toEqual([200, 'ok', 'deny']);
    // A 404 is behind it too.
    expect((await a.inject({ url: '/nothing' })).statusCode).toBe(401);
  });

  it("/mcp with its own token: a Bearer token is left to /mcp's check; without a token, basic auth there too", async () => {
    const gate = new WebGate(settings(), pino({ level: 'silent' }));
    const withToken = await appWith(gate, 'tok');
    const bearer = await withToken.inject({ method: 'POST', url: '/mcp', headers: { authorization: 'Bearer x' } });
    expect(bearer.json()).toEqual({ auth: 'Bearer x' });
    expect((await withToken.inject({ method: 'POST', url: '/mcp' })).statusCode).toBe(401);
    // Not on other routes.
    expect((await withToken.inject({ url: '/metrics', headers: { authorization: 'Bearer tok' } })).statusCode).toBe(
      401,
    );
    await withToken.close();
    const noToken = await appWith(gate);
    expect(
      (await noToken.inject({ method: 'POST', url: '/mcp', headers: { authorization: 'Bearer x' } })).statusCode,
    ).toBe(401);
  });

  it('a reload applies users, headers and the rate limit; no web config lets everything through', async () => {
    const gate = new WebGate(null, pino({ level: 'silent' }));
    const a = await appWith(gate);
    const plain = await a.inject({ url: '/metrics' });
    expect([plain.statusCode, plain.headers['x-frame-options']]).toEqual([200, undefined]);
    gate.apply(
      settings({
        users: {},
        headers: { 'X-Content-Type-Options': 'nosniff' },
        rateLimit: { intervalMs: 60_000, burst: 2 },
      }),
    );
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await a.inject({ url: '/metrics' })).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    gate.apply(settings());
    expect((await a.inject({ url: '/metrics' })).statusCode).toBe(401);
  });
});

describe('BasicAuth', () => {
  it.each([
    ['Basic YWxpY2U6cHc6eA==', { user: 'alice', password: 'pw:x' }],
    ['basic YWxpY2U6', { user: 'alice', password: '' }],
    ['Basic bm9jb2xvbg==', undefined],
    ['Bearer abc', undefined],
    [undefined, undefined],
  ])('parseBasicAuth(%j)', (header, want) => expect(parseBasicAuth(header)).toEqual(want));

  it('checks against the hash, caches the verdict, and never lets an unknown user in', async () => {
    const auth = new BasicAuth({ alice: HASH, bob: hashSync('other', 4) });
    expect(await auth.check(basic('alice', 'pw'))).toBe(true);
    expect(await auth.check(basic('alice', 'pw'))).toBe(true);
    expect(await auth.check(basic('bob', 'pw'))).toBe(false);
    expect(await auth.check(basic('bob', 'other'))).toBe(true);
    // An unknown user with the first user's password: checked against a real hash, refused.
    expect(await auth.check(basic('carol', 'pw'))).toBe(false);
    expect(await new BasicAuth({}).check(basic('alice', 'pw'))).toBe(false);
  });
});

describe('client certificates: what the server asks for, what it refuses after the handshake', () => {
  it.each([
    ['NoClientCert', false, false],
    ['RequestClientCert', true, false],
    ['RequireAnyClientCert', true, false],
    ['VerifyClientCertIfGiven', true, false],
    ['RequireAndVerifyClientCert', true, true],
  ] as const)('%s: requestCert %s, rejectUnauthorized %s', (type, requestCert, rejectUnauthorized) =>
    expect(serverAuth(type)).toEqual({ requestCert, rejectUnauthorized }),
  );

  const none = { present: false, authorized: false, sans: [] };
  const stranger = { present: true, authorized: false, sans: ['x.test'] };
  const known = { present: true, authorized: true, sans: ['scraper.test'] };
  it.each([
    ['RequestClientCert', undefined, none, undefined],
    ['RequestClientCert', undefined, stranger, undefined],
    ['RequireAnyClientCert', undefined, none, 'no client certificate'],
    ['RequireAnyClientCert', undefined, stranger, undefined],
    ['VerifyClientCertIfGiven', undefined, none, undefined],
    ['VerifyClientCertIfGiven', undefined, stranger, 'client certificate not signed by client_ca_file'],
    ['VerifyClientCertIfGiven', undefined, known, undefined],
    ['RequireAndVerifyClientCert', ['scraper.test'], known, undefined],
    ['RequireAndVerifyClientCert', ['other.test'], known, 'client certificate has none of client_allowed_sans'],
    ['RequireAnyClientCert', ['x.test'], stranger, undefined],
  ] as const)('%s, SANs %j: %j → %s', (clientAuth, allowedSans, peer, want) =>
    expect(peerRefusal({ clientAuth, ...(allowedSans && { allowedSans: [...allowedSans] }) }, peer)).toBe(want),
  );

  it('sanValues reads node:tls subjectaltname', () => {
    expect(sanValues('DNS:scraper.test, IP Address:127.0.0.1, email:a@b.test, URI:spiffe://x/y')).toEqual([
      'scraper.test',
      '127.0.0.1',
      'a@b.test',
      'spiffe://x/y',
    ]);
    expect(sanValues('DNS:"a, b", DNS:c')).toEqual(['a, b', 'c']);
    expect(sanValues(undefined)).toEqual([]);
  });
});

describe('TokenBucket (rate_limit)', () => {
  it('allows a burst, then one more per interval', () => {
    const b = new TokenBucket(1000, 2, 0);
    expect([b.allow(0), b.allow(0), b.allow(0)]).toEqual([true, true, false]);
    expect([b.allow(999), b.allow(1000), b.allow(1000)]).toEqual([false, true, false]);
    expect([b.allow(10_000), b.allow(10_000), b.allow(10_000)]).toEqual([true, true, false]);
  });
});

describe('plain HTTP to the TLS port (answerPlainHttp)', () => {
  // A real HTTPS server and real clients: what arrives first on a connection is the point.
  let server: HttpsServer | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function listening(firstByteTimeoutMs?: number): Promise<number> {
    const cert = makeSelfSigned('plain-http.test', 1);
    server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.end('over TLS'));
    answerPlainHttp(server, firstByteTimeoutMs);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  /** Raw bytes to the port, everything that comes back until the server closes. */
  function raw(port: number, bytes?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => (bytes === undefined ? undefined : s.write(bytes)));
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (got += d));
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
  }

  it("a plain-HTTP request gets Go's 400 and the connection closed; TLS on the same port is served", async () => {
    const port = await listening();
    expect(await raw(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(PLAIN_HTTP_ANSWER);
    expect(PLAIN_HTTP_ANSWER).toMatch(
      /^HTTP\/1\.0 400 Bad Request\r\n[\s\S]*\r\n\r\nClient sent an HTTP request to an HTTPS server\.\n$/,
    );
    // Through Node's HTTP client too: a status and a body, not a reset.
    const plain = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = httpRequest({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      r.on('error', reject);
      r.end();
    });
    expect(plain).toEqual({ status: 400, body: 'Client sent an HTTP request to an HTTPS server.\n' });
    // The handshake's first byte is put back: TLS works, several times over (each a new connection).
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        const r = httpsRequest(
          { host: '127.0.0.1', port, path: '/', agent: false, rejectUnauthorized: false },
          (res) => {
            let b = '';
            res.on('data', (d: Buffer) => (b += d.toString()));
            res.on('end', () => resolve(b));
          },
        );
        r.on('error', reject);
        r.end();
      });
      expect(body).toBe('over TLS');
    }
  });

  it('a connection that says nothing is closed after the first-byte timeout', async () => {
    const port = await listening(300);
    const t0 = Date.now();
    expect(await raw(port)).toBe('');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });
});
