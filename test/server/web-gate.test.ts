import Fastify, { type FastifyInstance } from 'fastify';
import { hashSync } from 'bcryptjs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSettings } from '../../src/config/web-config.js';
import { BasicAuth, parseBasicAuth } from '../../src/server/basic-auth.js';
import { peerRefusal, sanValues, serverAuth, TokenBucket, WebGate } from '../../src/server/web-gate.js';

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
