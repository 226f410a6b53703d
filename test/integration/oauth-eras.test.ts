import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OAuthMetadata } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientChecks } from '../../src/cli/check-clients.js';
import { tempDir, writeConfig } from '../support/agent-proc.js';
import { introspectionVerifier, startEraServer, type EraServer } from '../support/era-servers.js';
import { startKeycloak, type Keycloak } from '../support/keycloak.js';
import { ProbeRunner, type LooseResult } from '../support/probe-runner.js';

/**
 * OAuth works in both protocol eras: targets with `oauth2` (client credentials from a real Keycloak) probe a
 * modern-only MCP server (SDK v2, 2026-07-28 only) and a legacy one (SDK 1.32.2, the 2025 protocol), each behind a
 * bearer check (the SDK v2 server's verifyBearerToken) that asks Keycloak whether the token is active (RFC 7662
 * introspection) and answers 401 with `resource_metadata` (RFC 9728) otherwise. Without tokenUrl the token endpoint
 * is discovered from that 401 (then Keycloak's OpenID Connect metadata); with it, client_secret_post and
 * private_key_jwt. Tokens and secrets are compared as booleans, so that they never show up in a failure message.
 */

const KEY = 'sk-oauth-eras-0123456789abcdef';
const MODERN = { era: 'modern', version: '2026-07-28' };
const LEGACY = { era: 'legacy', version: '2025-11-25', via: 'initialize' };

describe('OAuth client credentials in both protocol eras (Keycloak, SDK v2 and 1.32.2 servers behind a bearer check)', () => {
  let kc: Keycloak;
  let modern: EraServer;
  let legacy: EraServer;
  let runner: ProbeRunner;

  function yaml(dir: string): string {
    const s = kc.clients.secret;
    const secret = `clientId: ${s.clientId}, clientSecret: "${s.clientSecret}"`;
    const jwt = `clientId: ${kc.clients.jwt.clientId}, privateKeyFile: "${join(dir, 'jwt-key.pem')}"`;
    const target = (server: EraServer, protocol: string, oauth2: string): string =>
      `{ url: "${server.url}", mcpPath: /mcp, protocol: ${protocol}, apiKey: ${KEY}, ` +
      `apiKeyHeader: x-litellm-api-key, timeout: 30s, oauth2: { ${oauth2} } }`;
    const probes = (t: string): string =>
      `  - { name: ${t}-call, type: mcp_call, target: ${t}, tool: echo, arguments: { text: hi }, expect: { contains: hi } }\n` +
      `  - { name: ${t}-catalog, type: mcp_catalog, target: ${t}, expect: { tools: [echo] } }\n`;
    return (
      'targets:\n' +
      // Discovery from the 401, protocol auto: the token endpoint and the era are both found out.
      `  modern: ${target(modern, 'auto', secret)}\n` +
      `  legacy: ${target(legacy, 'auto', secret)}\n` +
      // The token endpoint configured, the other client authentications, the era pinned.
      `  modern-jwt: ${target(modern, 'modern', `${jwt}, tokenUrl: "${kc.tokenUrl}"`)}\n` +
      `  legacy-post: ${target(legacy, 'legacy', `${secret}, tokenUrl: "${kc.tokenUrl}", tokenAuthMethod: client_secret_post`)}\n` +
      'probes:\n' +
      ['modern', 'legacy', 'modern-jwt', 'legacy-post'].map(probes).join('')
    );
  }

  beforeAll(async () => {
    kc = await startKeycloak();
    const res = await fetch(`${kc.issuer}/.well-known/openid-configuration`);
    const authorizationServer = (await res.json()) as OAuthMetadata;
    // The gate asks Keycloak about each token, as the proxy's own (confidential) client.
    const verifier = introspectionVerifier({
      introspectionUrl: `${kc.issuer}/protocol/openid-connect/token/introspect`,
      clientId: kc.clients.proxy.clientId,
      clientSecret: kc.clients.proxy.clientSecret,
    });
    modern = await startEraServer('modern_only', { bearer: { verifier, authorizationServer } });
    legacy = await startEraServer('legacy', { bearer: { verifier, authorizationServer } });
    const dir = tempDir('mcpwatch-oauth-eras-');
    writeFileSync(join(dir, 'jwt-key.pem'), kc.clients.jwt.privateKeyPem, { mode: 0o600 });
    runner = await ProbeRunner.load(writeConfig(dir, yaml(dir)));
  }, 300_000);

  afterAll(async () => {
    await modern?.stop();
    await legacy?.stop();
    await kc?.cleanup();
  });

  /** No secret, key or token anywhere in what a run reports. */
  function expectNothingLeaked(r: LooseResult): void {
    const text = JSON.stringify(r);
    expect(text.includes(kc.clients.secret.clientSecret), 'the client secret is not shown').toBe(false);
    expect(text.includes(KEY), 'the gateway key is not shown').toBe(false);
    expect(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/.test(text), 'no JWT (token or assertion) is shown').toBe(false);
    expect(JSON.stringify(runner.logLines).includes(kc.clients.secret.clientSecret)).toBe(false);
  }

  const why = (r: LooseResult): string =>
    `${r.outcome}: ${r.reason}\n${r.steps.map((s) => s.msg).join('\n')}\n${kc.logs(1_500)}`;

  it('the bearer check is real: no token, and a token Keycloak never issued, are refused with the resource metadata', async () => {
    for (const server of [modern, legacy]) {
      for (const authorization of [undefined, 'Bearer not-a-keycloak-token']) {
        const res = await fetch(`${server.url}/mcp`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...(authorization && { authorization }),
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} }),
        });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe(
          `Bearer error="invalid_token", error_description="${authorization ? 'the token is not active' : 'Missing Authorization header'}", ` +
            `resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`,
        );
      }
      const prm = (await (await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)).json()) as object;
      expect(prm).toMatchObject({ resource: `${server.url}/mcp`, authorization_servers: [kc.issuer] });
      server.requests.length = 0;
    }
  });

  it.each([
    ['modern', () => modern, { ...MODERN, via: 'discover' }],
    ['legacy', () => legacy, LEGACY],
  ] as const)(
    '%s era, protocol auto, no tokenUrl: the 401 leads to Keycloak, the token opens the session; the target keeps it',
    async (name, server, spoken) => {
      const s = server();
      s.requests.length = 0;
      const call = await runner.run(`${name}-call`);
      expect(call.outcome, why(call)).toBe('ok');
      expect(call.reason).toBe('echo returned hi');
      expect(call.details.protocol).toMatchObject(spoken);
      expect(call.oauth).toMatchObject({
        tokenEndpoint: kc.tokenUrl,
        clientId: kc.clients.secret.clientId,
        authMethod: 'client_secret_basic',
        token: 'requested',
        discovery: {
          authorizationServer: kc.issuer,
          resourceMetadata: `${s.url}/.well-known/oauth-protected-resource/mcp`,
        },
      });
      expect(call.oauth!.requests).toEqual([expect.objectContaining({ outcome: 'ok', why: 'first', status: 200 })]);
      expect(call.oauth!.expiresAt! - Date.now()).toBeGreaterThan(60_000);
      // What the server saw: one MCP request without a token (401, the challenge), then only accepted ones.
      const mcp = s.requests.filter((r) => r.bearer !== undefined && r.method !== 'GET');
      expect(mcp[0]).toMatchObject({ bearer: 'none', status: 401 });
      expect(mcp.slice(1).length).toBeGreaterThan(1);
      expect(mcp.slice(1).every((r) => r.bearer === 'accepted')).toBe(true);
      const steps = call.steps.map((x) => x.msg);
      expect(steps).toContainEqual(
        `oauth2: discovering the token endpoint of ${s.url}/mcp from the 401's resource_metadata ` +
          `${s.url}/.well-known/oauth-protected-resource/mcp`,
      );
      if (s === legacy) expect(s.openSessions).toBe(0); // the session's DELETE went with the token too

      // The target's next probe sends the cached token: no 401, no token request.
      s.requests.length = 0;
      const catalog = await runner.run(`${name}-catalog`);
      expect(catalog.outcome, why(catalog)).toBe('ok');
      expect(catalog.oauth).toMatchObject({ token: 'cached', requests: [] });
      expect(s.requests.filter((r) => r.method !== 'GET').every((r) => r.bearer === 'accepted')).toBe(true);
      for (const r of [call, catalog]) expectNothingLeaked(r);
    },
  );

  it("check-clients --live: an entry with its own token and a key mcpwatch does not know; the target's own view read with the target's token", async () => {
    // The entry's token, as its client would have it (client credentials of the same realm).
    const res = await fetch(kc.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: kc.clients.secret.clientId,
        client_secret: kc.clients.secret.clientSecret,
      }),
    });
    expect(res.status).toBe(200);
    const { access_token: token } = (await res.json()) as { access_token: string };
    const dir = tempDir('mcpwatch-oauth-eras-clients-');
    const file = writeConfig(
      dir,
      `[mcp_servers.gw]\nurl = "${modern.url}/mcp"\nbearer_token_env_var = "SSO_TOKEN"\n` +
        'http_headers = { "x-litellm-api-key" = "sk-a-client-key-0123456789" }\n',
      'config.toml',
    );
    // The entries are sent with the variables of mcpwatch's environment, as the client's would resolve them.
    process.env.SSO_TOKEN = token;
    const checked = await clientChecks(runner.config, process.env, [file], true).finally(
      () => delete process.env.SSO_TOKEN,
    );
    expect(checked.live.map((l) => `${l.outcome}: ${l.reason}`)).toEqual([expect.stringMatching(/^ok: /)]);
    expect(checked.keys.map((k) => k.which)).toEqual(['unknown']);
    // What the target's own key sees was read (with mcpwatch's token: without one the gate refuses it), and the
    // entry sees all of it.
    expect(checked.views).toEqual([expect.objectContaining({ server: 'gw', sees: { '(none)': 1 }, unseen: [] })]);
    const text = JSON.stringify(checked);
    expect(text.includes(token), 'no token is shown').toBe(false);
    expect(text.includes(kc.clients.secret.clientSecret), 'the client secret is not shown').toBe(false);
  });

  it('tokenUrl set: private_key_jwt to the modern-only server (protocol modern), client_secret_post to the legacy one (protocol legacy)', async () => {
    for (const [name, s, method, spoken] of [
      ['modern-jwt', modern, 'private_key_jwt', { ...MODERN, via: 'pinned' }],
      ['legacy-post', legacy, 'client_secret_post', LEGACY],
    ] as const) {
      s.requests.length = 0;
      const call = await runner.run(`${name}-call`);
      expect(call.outcome, why(call)).toBe('ok');
      expect(call.details.protocol).toMatchObject(spoken);
      expect(call.oauth).toMatchObject({ tokenEndpoint: kc.tokenUrl, authMethod: method, token: 'requested' });
      expect(call.oauth!.discovery).toBeUndefined();
      // The token was there before the first request: nothing was refused.
      expect(s.requests.every((r) => r.bearer === 'accepted')).toBe(true);
      const catalog = await runner.run(`${name}-catalog`);
      expect(catalog.outcome, why(catalog)).toBe('ok');
      expect(catalog.oauth?.token).toBe('cached');
      for (const r of [call, catalog]) expectNothingLeaked(r);
    }
  });
});
