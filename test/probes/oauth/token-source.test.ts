import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse.js';
import { type Target } from '../../../src/config/target.js';
import { TokenSource, TokenSources, type TokenRunContext } from '../../../src/probes/oauth/token-source.js';
import { withSsoToken } from '../../../src/probes/oauth/with-token.js';
import { ProbeFailure, type ProbeContext } from '../../../src/probes/types.js';
import { Redactor } from '../../../src/util/redact.js';

// The token cache, its sharing and its renewal rules against a small local OAuth server. A fake on
// purpose: these tests count every request, hold one in flight, hand out tokens with a lifetime of
// their choosing and refuse a token before it expires, which a real identity provider does not do
// on cue. The real flows are in test/integration/sso-route (Keycloak behind oauth2-proxy), oauth-eras (Keycloak,
// discovery from a real 401 of servers of both protocol eras) and the conformance suite's client-credentials
// scenarios.

interface Seen {
  path: string;
  authorization: string | undefined;
  body: URLSearchParams;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let expiresIn = 300;
let holdMs = 0;
let refuse: { status: number; body: object } | undefined;
let issued = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.push({ path, authorization: req.headers.authorization, body: new URLSearchParams(text) });
      const json = (status: number, body: object, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (path === '/.well-known/oauth-protected-resource/mcp/')
        return json(200, { resource: `${base}/mcp/`, authorization_servers: [`${base}/realm`] });
      if (path === '/.well-known/oauth-protected-resource/elsewhere')
        return json(200, { resource: `${base}/mcp/`, authorization_servers: [`${base}/elsewhere`] });
      // An authorization server whose metadata names another issuer than the URL it is found under.
      if (path.startsWith('/.well-known/') && path.endsWith('/elsewhere'))
        return json(200, {
          issuer: `${base}/realm`,
          token_endpoint: `${base}/realm/token`,
          authorization_endpoint: `${base}/realm/auth`,
          response_types_supported: ['code'],
        });
      if (path.startsWith('/.well-known/') && path.endsWith('/realm')) {
        return json(200, {
          issuer: `${base}/realm`,
          token_endpoint: `${base}/realm/token`,
          authorization_endpoint: `${base}/realm/auth`,
          response_types_supported: ['code'],
        });
      }
      if (path === '/realm/token') {
        if (refuse) return json(refuse.status, refuse.body);
        setTimeout(
          () => json(200, { access_token: `opaque-token-${++issued}`, token_type: 'Bearer', expires_in: expiresIn }),
          holdMs,
        );
        return;
      }
      json(404, { error: 'not_found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen.length = 0;
  expiresIn = 300;
  holdMs = 0;
  refuse = undefined;
});

function target(oauth2: string): Target {
  const r = parseConfig(
    `targets:\n  sso: { url: "${base}", apiKey: sk-test-0123456789, apiKeyHeader: x-litellm-api-key, oauth2: ${oauth2} }\n`,
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config.targets.sso!;
}

function run(signal: AbortSignal = new AbortController().signal): TokenRunContext & { steps: string[] } {
  const steps: string[] = [];
  return { signal, timeoutMs: 5_000, redactor: new Redactor(), steps, step: (m) => void steps.push(m) };
}

/** A port nothing listens on (one that was just free). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const tokenRequests = (): Seen[] => seen.filter((s) => s.path === '/realm/token');

describe('TokenSource', () => {
  it('asks once and shares the token between the runs of a target (client_secret_basic, the scopes)', async () => {
    const source = new TokenSource(
      target(
        `{ clientId: mcpwatch, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token", scopes: [openid, mcp] }`,
      ),
    );
    const a = source.forRun(run());
    const b = source.forRun(run());
    const [ta, tb] = await Promise.all([a.token(), b.token()]);
    expect(ta).toBe(tb);
    expect(tokenRequests()).toHaveLength(1);
    const req = tokenRequests()[0]!;
    expect(req.authorization).toBe(`Basic ${Buffer.from('mcpwatch:s3cret-value').toString('base64')}`);
    expect(Object.fromEntries(req.body)).toEqual({ grant_type: 'client_credentials', scope: 'openid mcp' });
    // Exactly one of the two made the request; the other waited for it.
    expect([a.facts.requests.length, b.facts.requests.length].sort()).toEqual([0, 1]);
    expect(a.facts).toMatchObject({
      tokenEndpoint: `${base}/realm/token`,
      clientId: 'mcpwatch',
      authMethod: 'client_secret_basic',
      scopes: ['openid', 'mcp'],
      token: 'requested',
    });
    const later = source.forRun(run());
    expect(await later.token()).toBe(ta);
    expect(later.facts.token).toBe('cached');
    expect(tokenRequests()).toHaveLength(1);
  });

  it('client_secret_post puts the credentials in the body', async () => {
    const source = new TokenSource(
      target(
        `{ clientId: mcpwatch, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token", tokenAuthMethod: client_secret_post }`,
      ),
    );
    await source.forRun(run()).token();
    const req = tokenRequests()[0]!;
    expect(req.authorization).toBeUndefined();
    expect(Object.fromEntries(req.body)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'mcpwatch',
      client_secret: 's3cret-value',
    });
  });

  it('renews a token shortly before it expires', async () => {
    let now = 1_000_000;
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`),
      () => now,
    );
    expiresIn = 8;
    const first = await source.forRun(run()).token();
    now += 5_999;
    expect(await source.forRun(run()).token()).toBe(first);
    now += 1;
    const r = source.forRun(run());
    const second = await r.token();
    expect(second).not.toBe(first);
    expect(r.facts.requests).toEqual([expect.objectContaining({ outcome: 'ok', why: 'expiring' })]);
    expect(r.facts.expiresAt).toBe(now + 8_000);
  });

  it('after a 401, a cached token is renewed once; a new token that draws a 401 is not renewed again', async () => {
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`),
    );
    const old = await source.forRun(run()).token();
    // A later run: the cached token is refused (revoked, or the gate's keys rotated).
    const r1 = source.forRun(run());
    expect(await r1.token()).toBe(old);
    const renewed = await r1.renew(old, undefined);
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(old);
    expect(r1.facts.requests).toEqual([expect.objectContaining({ outcome: 'ok', why: 'unauthorized' })]);
    // The new one is refused too: the 401 is about something else (the gateway's key behind the gate).
    expect(await r1.renew(renewed, undefined)).toBeUndefined();
    // Later runs send it and do not ask for another on a 401.
    const r2 = source.forRun(run());
    expect(await r2.token()).toBe(renewed);
    expect(await r2.renew(renewed, undefined)).toBeUndefined();
    expect(tokenRequests()).toHaveLength(2);
  });

  it('a run whose token was renewed by another run meanwhile takes that one', async () => {
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`),
    );
    const old = await source.forRun(run()).token();
    const a = source.forRun(run());
    const b = source.forRun(run());
    await a.token();
    await b.token();
    const fresh = await a.renew(old, undefined);
    expect(await b.renew(old, undefined)).toBe(fresh);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('a request in flight for a run that times out does not fail the run that waited for it', async () => {
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`),
    );
    holdMs = 300;
    const short = new AbortController();
    const first = source.forRun(run(short.signal)).token();
    const waiting = source.forRun(run()).token();
    setTimeout(() => short.abort(new Error('the first run timed out')), 50);
    await expect(first).rejects.toBeDefined();
    expect(await waiting).toMatch(/^opaque-token-/);
  });

  it('a refusal is auth_rejected with the endpoint, the client and its words, and is counted as rejected', async () => {
    const source = new TokenSource(
      target(`{ clientId: mcpwatch, clientSecret: wrong-secret, tokenUrl: "${base}/realm/token" }`),
    );
    refuse = {
      status: 401,
      body: { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' },
    };
    const r = source.forRun(run());
    const err = await r.token().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProbeFailure);
    expect((err as ProbeFailure).outcome).toBe('auth_rejected');
    expect((err as ProbeFailure).message).toMatch(
      new RegExp(
        `^the token endpoint ${base}/realm/token refused client "mcpwatch": unauthorized_client \\(Invalid client or Invalid client credentials\\)`,
      ),
    );
    expect(r.facts.requests).toEqual([
      expect.objectContaining({ outcome: 'rejected', status: 401, error: 'unauthorized_client', why: 'first' }),
    ]);
  });

  it('a token endpoint that is down is connect_error naming it', async () => {
    const port = await closedPort();
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "http://127.0.0.1:${port}/realm/token" }`),
    );
    const r = source.forRun(run());
    await expect(r.token()).rejects.toMatchObject({
      outcome: 'connect_error',
      message: `the token endpoint http://127.0.0.1:${port}/realm/token: connection refused by 127.0.0.1:${port}: is the identity provider running and listening there? (ECONNREFUSED)`,
    });
    expect(r.facts.requests).toEqual([expect.objectContaining({ outcome: 'error' })]);
  });

  it('without tokenUrl: no token until the 401, then discovery from its resource_metadata and the authorization server metadata', async () => {
    const source = new TokenSource(target('{ clientId: c, clientSecret: s3cret-value }'));
    const r = run();
    const oauth = source.forRun(r);
    expect(await oauth.token()).toBeUndefined();
    const token = await oauth.renew(
      undefined,
      `Bearer error="invalid_token", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp/", scope="mcp:read"`,
    );
    expect(token).toMatch(/^opaque-token-/);
    expect(oauth.facts).toMatchObject({
      tokenEndpoint: `${base}/realm/token`,
      scopes: ['mcp:read'],
      discovery: {
        resourceMetadata: `${base}/.well-known/oauth-protected-resource/mcp/`,
        authorizationServer: `${base}/realm`,
      },
    });
    // The resource (RFC 8707) from the resource metadata, the scope from the challenge.
    expect(Object.fromEntries(tokenRequests()[0]!.body)).toEqual({
      grant_type: 'client_credentials',
      scope: 'mcp:read',
      resource: `${base}/mcp/`,
    });
    expect(
      r.steps.some((s) =>
        s.startsWith(`oauth2: discovering the token endpoint of ${base}/mcp/ from the 401's resource_metadata`),
      ),
    ).toBe(true);
    // The next run knows the endpoint.
    const next = source.forRun(run());
    expect(await next.token()).toBe(token);
  });

  it('a plain-http token endpoint that is not a loopback host gets no credentials: tls_error, nothing sent', async () => {
    const url = 'http://sso.example.invalid/realms/ops/protocol/openid-connect/token';
    const source = new TokenSource(target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${url}" }`));
    const r = run();
    await expect(source.forRun(r).token()).rejects.toMatchObject({
      outcome: 'tls_error',
      message: expect.stringMatching(
        /^the token endpoint http:\/\/sso\.example\.invalid\/\S+ is plain http: the MCP SDK sends client credentials only over https/,
      ) as unknown,
    });
    expect(r.steps.join('\n')).not.toContain('s3cret-value');
  });

  it('discovery refuses metadata naming another issuer than the URL it was found under (RFC 8414 3.3)', async () => {
    const source = new TokenSource(target('{ clientId: c, clientSecret: s3cret-value }'));
    const oauth = source.forRun(run());
    expect(await oauth.token()).toBeUndefined();
    await expect(
      oauth.renew(undefined, `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/elsewhere"`),
    ).rejects.toMatchObject({
      outcome: 'http_error',
      message: `OAuth discovery from ${base}/mcp/: the authorization server's metadata names the issuer ${base}/realm, not ${base}/elsewhere, the URL it was found under, so it is not trusted (RFC 8414 3.3) — set oauth2.tokenUrl, or make them agree (Keycloak: its hostname setting)`,
    });
    expect(tokenRequests()).toHaveLength(0);
  });

  it('registers each token with the redactor, and never puts it in a step', async () => {
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`),
    );
    const r = run();
    const token = (await source.forRun(r).token())!;
    expect(r.redactor.mask(`got ${token}`)).toBe('got ***');
    expect(r.steps.join('\n').includes(token)).toBe(false);
    expect(r.steps.join('\n').includes('s3cret-value')).toBe(false);
  });
});

describe('TokenSources', () => {
  it("keeps a target's token across reloads that leave its URL, TLS and oauth2 alone", () => {
    const sources = new TokenSources();
    const t = target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`);
    const a = sources.for(t)!;
    expect(sources.for({ ...t, timeout: 1_000 })).toBe(a);
    expect(sources.for({ ...t, oauth2: { ...t.oauth2!, clientSecret: 'rotated' } })).not.toBe(a);
    expect(sources.for({ ...t, oauth2: undefined })).toBeUndefined();
  });
});

describe('withSsoToken', () => {
  function ctx(oauth: ReturnType<TokenSource['forRun']>): ProbeContext {
    return { oauth, signal: new AbortController().signal, step: () => undefined } as unknown as ProbeContext;
  }
  const unauthorized = (): ProbeFailure =>
    new ProbeFailure('auth_rejected', '401 from the gate', {
      status: 401,
      wwwAuthenticate: 'Bearer error="invalid_token"',
    });

  it('tries once more with a renewed token after a 401 to a cached one', async () => {
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`),
    );
    const stale = await source.forRun(run()).token();
    const sent: Array<string | undefined> = [];
    const result = await withSsoToken(ctx(source.forRun(run())), async (token) => {
      sent.push(token);
      if (token === stale) throw unauthorized();
      return 'session';
    });
    expect(result).toBe('session');
    expect(sent).toHaveLength(2);
    expect(sent[1]).not.toBe(stale);
  });

  it('does not try again when the token was new: the 401 stands', async () => {
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`),
    );
    let tries = 0;
    await expect(
      withSsoToken(ctx(source.forRun(run())), async () => {
        tries++;
        throw unauthorized();
      }),
    ).rejects.toMatchObject({ outcome: 'auth_rejected' });
    expect(tries).toBe(1);
  });

  it('a result that says 401 (a plain HTTP check) is tried again too', async () => {
    const source = new TokenSource(
      target(`{ clientId: c, clientSecret: s3cret-value, tokenUrl: "${base}/realm/token" }`),
    );
    const stale = await source.forRun(run()).token();
    const statuses = await withSsoToken(
      ctx(source.forRun(run())),
      async (token) => (token === stale ? 401 : 200),
      (status) => (status === 401 ? { challenge: undefined } : undefined),
    );
    expect(statuses).toBe(200);
  });
});
