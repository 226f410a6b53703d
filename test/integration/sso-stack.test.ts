import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch, type Response } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCredentialsBasic,
  clientCredentialsJwt,
  jwtClaims,
  signClientAssertion,
  signJwt,
  startKeycloak,
  type Keycloak,
} from '../support/keycloak.js';
import { startSsoProxy, type SsoProxy } from '../support/sso-proxy.js';

/**
 * Smoke test of the SSO route that sits in front of LiteLLM in the deployment (TLS front with
 * forward-auth to oauth2-proxy, Keycloak as the IdP), built from real components by
 * test/support/keycloak.ts and sso-proxy.ts, with an echo server as the upstream. It checks the
 * stack itself, so that later tests of mcpwatch's OAuth 2.0 client credentials stand on it.
 * Tokens and secrets are compared as booleans so that they never show up in a failure message.
 */

/** A fake LiteLLM key (test-only); the deployment sends the LiteLLM key in this header. */
const LITELLM_KEY = 'sk-test-litellm-behind-sso-0123456789';

interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Upstream that answers every request with what it received. */
async function startEcho(): Promise<{ url: string; requests: Echo[]; close(): Promise<void> }> {
  const requests: Echo[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const echo = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(echo);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('SSO route: Caddy (TLS, forward_auth) → oauth2-proxy → Keycloak, upstream behind it', () => {
  let upstream: Awaited<ReturnType<typeof startEcho>>;
  let kc: Keycloak;
  let sso: SsoProxy;

  beforeAll(async () => {
    upstream = await startEcho();
    kc = await startKeycloak();
    sso = await startSsoProxy({ upstream: upstream.url, keycloak: kc });
    console.info(
      `sso-stack: Keycloak up in ${(kc.startupMs / 1000).toFixed(1)} s, oauth2-proxy + caddy in ${(sso.startupMs / 1000).toFixed(1)} s`,
    );
  }, 900_000);

  afterAll(async () => {
    await sso?.stop();
    await kc?.cleanup();
    await upstream?.close();
  });

  /** A request through the TLS front, trusting only the test CA. */
  function viaProxy(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
  ): Promise<Response> {
    const base = init.host ? sso.url.replace('127.0.0.1', init.host) : sso.url;
    return fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(init.body !== undefined && { body: init.body }),
      redirect: 'manual',
      dispatcher: sso.dispatcher,
      signal: AbortSignal.timeout(15_000),
    });
  }

  async function secretToken(): Promise<string> {
    const tok = await clientCredentialsBasic(kc.tokenUrl, kc.clients.secret.clientId, kc.clients.secret.clientSecret);
    expect(tok.status, `token endpoint: ${tok.body.error ?? ''} ${tok.body.error_description ?? ''}`).toBe(200);
    expect(typeof tok.body.access_token).toBe('string');
    return tok.body.access_token!;
  }

  /** Asserts the request passed and returns what the upstream received (Authorization and key checked). */
  async function expectPassed(res: Response, token: string): Promise<Echo> {
    const text = await res.text();
    expect(res.status, `through the proxy: ${text.slice(0, 300)}\n${res.status === 200 ? '' : sso.logs(1_500)}`).toBe(
      200,
    );
    const echo = JSON.parse(text) as Echo;
    expect(
      echo.headers.authorization === `Bearer ${token}`,
      'the upstream got the bearer token unchanged in Authorization',
    ).toBe(true);
    expect(echo.headers['x-litellm-api-key'] === LITELLM_KEY, 'the upstream got x-litellm-api-key unchanged').toBe(
      true,
    );
    return echo;
  }

  it('(a) a client-credentials token (client_secret_basic) goes through over TLS and reaches the upstream with its headers', async () => {
    const token = await secretToken();
    const claims = jwtClaims(token);
    expect(claims.iss).toBe(kc.issuer);
    expect(claims.azp).toBe(kc.clients.secret.clientId);
    expect(([] as unknown[]).concat(claims.aud)).toContain(kc.audience);

    const before = upstream.requests.length;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const res = await viaProxy('/mcp/?probe=1', {
      method: 'POST',
      // A caller's own claim of who it is must not reach the upstream.
      headers: {
        authorization: `Bearer ${token}`,
        'x-litellm-api-key': LITELLM_KEY,
        'content-type': 'application/json',
        'x-auth-request-email': 'admin@spoofed.test',
      },
      body,
    });
    const echo = await expectPassed(res, token);
    expect(upstream.requests.length).toBe(before + 1);
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe('/mcp/?probe=1');
    expect(echo.body).toBe(body);
    // Caddy told the upstream it was https, and who oauth2-proxy says the caller is.
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect(echo.headers['x-auth-request-email']).toBe(`${kc.clients.secret.clientId}@service-account.test`);

    // The leaf is for localhost too.
    await expectPassed(
      await viaProxy('/', {
        host: 'localhost',
        headers: { authorization: `Bearer ${token}`, 'x-litellm-api-key': LITELLM_KEY },
      }),
      token,
    );
  });

  it('the TLS front is only trusted through the test CA', async () => {
    const err = await fetch(`${sso.url}/`, { signal: AbortSignal.timeout(10_000) }).then(
      () => undefined,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(err, 'a client without the test CA must not connect').toBeDefined();
    expect(err!.cause?.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
  });

  it('(b) without a valid token the request is refused and the upstream is not reached', async () => {
    const before = upstream.requests.length;
    // API client: 401.
    const none = await viaProxy('/mcp/', {
      method: 'POST',
      headers: { 'x-litellm-api-key': LITELLM_KEY, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(none.status).toBe(401);
    await none.arrayBuffer();
    // Not a JWT, and a well-formed JWT that Keycloak did not sign: 401 too.
    const garbage = await viaProxy('/mcp/', {
      headers: { authorization: 'Bearer not-a-jwt', 'x-litellm-api-key': LITELLM_KEY },
    });
    expect(garbage.status).toBe(401);
    await garbage.arrayBuffer();
    const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    // Same claims as a real token (issuer, audience, email), but signed by a key of our own.
    const real = jwtClaims(await secretToken());
    const forged = signJwt({ ...real, jti: randomUUID() }, rogue);
    const forgedRes = await viaProxy('/mcp/', {
      headers: { authorization: `Bearer ${forged}`, 'x-litellm-api-key': LITELLM_KEY },
    });
    expect(forgedRes.status).toBe(401);
    await forgedRes.arrayBuffer();
    // A browser is sent to the sign-in, which leads to Keycloak.
    const browser = await viaProxy('/ui/', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(browser.status).toBe(302);
    const signIn = browser.headers.get('location') ?? '';
    expect(signIn).toMatch(/^\/oauth2\/sign_in\?rd=/);
    await browser.arrayBuffer();
    const start = await viaProxy(signIn, { headers: { accept: 'text/html' } });
    expect(start.status).toBe(302);
    expect(start.headers.get('location') ?? '').toMatch(
      new RegExp(`^${kc.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/protocol/openid-connect/auth\\?`),
    );
    await start.arrayBuffer();

    expect(upstream.requests.length, 'no refused request may reach the upstream').toBe(before);
  });

  it('(c) a wrong client secret gets 401 from Keycloak', async () => {
    const res = await clientCredentialsBasic(
      kc.tokenUrl,
      kc.clients.secret.clientId,
      `${kc.clients.secret.clientSecret}-wrong`,
    );
    expect(res.status).toBe(401);
    expect(res.body.access_token).toBeUndefined();
    // RFC 6749 5.2 says invalid_client; Keycloak 26 answers unauthorized_client for a known client
    // with bad credentials (and invalid_client for an unknown one). Clients must handle both.
    expect(res.body.error).toBe('unauthorized_client');
    expect(res.body.error_description).toMatch(/invalid client credentials/i);
    const unknown = await clientCredentialsBasic(kc.tokenUrl, 'no-such-client', 'whatever');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
  });

  it('(d) the private_key_jwt client gets a token with an assertion signed by its key, which the proxy accepts', async () => {
    const { clientId, privateKeyPem } = kc.clients.jwt;
    const tok = await clientCredentialsJwt(
      kc.tokenUrl,
      clientId,
      signClientAssertion({ clientId, privateKeyPem, audience: kc.tokenUrl }),
    );
    expect(tok.status, `token endpoint: ${tok.body.error ?? ''} ${tok.body.error_description ?? ''}`).toBe(200);
    const token = tok.body.access_token!;
    expect(jwtClaims(token).azp).toBe(clientId);
    const echo = await expectPassed(
      await viaProxy('/mcp/', { headers: { authorization: `Bearer ${token}`, 'x-litellm-api-key': LITELLM_KEY } }),
      token,
    );
    expect(echo.headers['x-auth-request-email']).toBe(`${clientId}@service-account.test`);

    // Signed by another key: refused (400 invalid_client: RFC 6749 5.2 leaves 401 to Authorization-header auth).
    const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const bad = await clientCredentialsJwt(
      kc.tokenUrl,
      clientId,
      signClientAssertion({ clientId, privateKeyPem: rogue, audience: kc.tokenUrl }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.access_token).toBeUndefined();
    expect(bad.body.error).toBe('invalid_client');
    expect(bad.body.error_description).toMatch(/signature/i);
  });

  it('(e) an expired token is refused by the proxy', async () => {
    await kc.updateRealm({ accessTokenLifespan: 5 });
    try {
      const tok = await clientCredentialsBasic(kc.tokenUrl, kc.clients.secret.clientId, kc.clients.secret.clientSecret);
      expect(tok.status).toBe(200);
      // Keycloak counts expires_in from its clock's whole seconds: 5, or 4 when the second turned (a CI run saw 4).
      expect([4, 5]).toContain(tok.body.expires_in);
      const token = tok.body.access_token!;
      const exp = jwtClaims(token).exp as number;
      // Valid now (so the refusal below is the expiry's doing)...
      await expectPassed(
        await viaProxy('/mcp/', { headers: { authorization: `Bearer ${token}`, 'x-litellm-api-key': LITELLM_KEY } }),
        token,
      );
      // ...and refused once exp has passed (go-oidc allows no leeway on exp).
      await new Promise((r) => setTimeout(r, Math.max(0, (exp + 1) * 1000 - Date.now())));
      const before = upstream.requests.length;
      const res = await viaProxy('/mcp/', {
        headers: { authorization: `Bearer ${token}`, 'x-litellm-api-key': LITELLM_KEY },
      });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
      expect(upstream.requests.length).toBe(before);
    } finally {
      await kc.updateRealm({ accessTokenLifespan: kc.accessTokenLifespan });
    }
  });
});
