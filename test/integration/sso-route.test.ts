import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { runCli, sampleValue, tempDir, writeConfig } from '../support/agent-proc.js';
import { startKeycloak, type Keycloak } from '../support/keycloak.js';
import { FS_SERVER, startLiteLLM, type LiteLLM } from '../support/litellm.js';
import { ProbeRunner, type LooseResult } from '../support/probe-runner.js';
import { startSsoProxy, type SsoProxy } from '../support/sso-proxy.js';

/**
 * Both routes of the deployment to one real LiteLLM (the deployment's version, its filesystem
 * upstream over stdio): the LAN route straight to it, and the internet route through the SSO gate
 * in the deployment's shape — a TLS front with forward-auth (Debian's Caddy, as Traefik's
 * forwardAuth; Traefik cannot be built here) to oauth2-proxy, which accepts Keycloak-issued bearer
 * tokens — with mcpwatch getting its token from a real Keycloak by OAuth 2.0 client credentials.
 * Tokens and secrets are compared as booleans, so that they never show up in a failure message.
 */

const KEY_HEADER = 'x-litellm-api-key';

describe('the SSO route (Keycloak, oauth2-proxy, Caddy) and the LAN route to a real LiteLLM', () => {
  let ll: LiteLLM;
  let kc: Keycloak;
  let sso: SsoProxy;
  let dir: string;
  let configPath: string;

  function yaml(): string {
    const secret = kc.clients.secret;
    const front = `url: "${sso.url}", apiKey: "${ll.masterKey}", apiKeyHeader: ${KEY_HEADER}, timeout: 30s, tls: { caFile: "${sso.caFile}" }`;
    const oauth = (extra: string): string =>
      `oauth2: { clientId: ${secret.clientId}, clientSecret: "${secret.clientSecret}", tokenUrl: "${kc.tokenUrl}", scopes: [openid]${extra} }`;
    return `targets:
  lan: { url: "${ll.url}", apiKey: "${ll.masterKey}", timeout: 30s }
  internet: { ${front}, ${oauth('')} }
  internet-post: { ${front}, ${oauth(', tokenAuthMethod: client_secret_post')} }
  internet-jwt: { ${front}, oauth2: { clientId: ${kc.clients.jwt.clientId}, privateKeyFile: "${join(dir, 'jwt-key.pem')}", tokenUrl: "${kc.tokenUrl}" } }
  internet-wrong: { ${front}, oauth2: { clientId: ${secret.clientId}, clientSecret: "${secret.clientSecret}-wrong", tokenUrl: "${kc.tokenUrl}" } }
  # An SSO gate that is not there: the same oauth2, but the URL goes straight to LiteLLM.
  open-gate: { url: "${ll.url}", apiKey: "${ll.masterKey}", apiKeyHeader: ${KEY_HEADER}, timeout: 30s, ${oauth('')} }
probes:
  - { name: lan-catalog, type: mcp_catalog, target: lan, servers: [${FS_SERVER}], timeout: 60s }
  - { name: internet-catalog, type: mcp_catalog, target: internet, servers: [${FS_SERVER}], gatewayHealth: true, timeout: 60s }
  - { name: internet-call, type: mcp_call, target: internet, servers: [${FS_SERVER}], tool: ${FS_SERVER}-list_allowed_directories, expect: { contains: "${ll.scratchDir}" }, timeout: 60s }
  - { name: internet-guard, type: auth_guard, target: internet, servers: [${FS_SERVER}], timeout: 60s }
  - { name: internet-health, type: http, target: internet, path: /health/liveliness }
  - { name: internet-unauth, type: http, target: internet, path: /health/liveliness, auth: false, expect: { status: [401] } }
  - { name: post-catalog, type: mcp_catalog, target: internet-post, servers: [${FS_SERVER}], timeout: 60s }
  - { name: jwt-catalog, type: mcp_catalog, target: internet-jwt, servers: [${FS_SERVER}], timeout: 60s }
  - { name: wrong-catalog, type: mcp_catalog, target: internet-wrong, servers: [${FS_SERVER}], timeout: 60s }
  - { name: open-gate-guard, type: auth_guard, target: open-gate, checks: [no_sso_token], servers: [${FS_SERVER}], timeout: 60s }
`;
  }

  beforeAll(async () => {
    dir = tempDir('mcpwatch-sso-route-');
    [ll, kc] = await Promise.all([startLiteLLM(), startKeycloak()]);
    sso = await startSsoProxy({ upstream: ll.url, keycloak: kc });
    writeFileSync(join(dir, 'jwt-key.pem'), kc.clients.jwt.privateKeyPem, { mode: 0o600 });
    configPath = writeConfig(dir, yaml());
  }, 900_000);

  afterAll(async () => {
    await sso?.stop();
    await kc?.cleanup();
    await ll?.stop();
  });

  /** No secret, key or token of the run anywhere in what it reports. */
  function expectNothingLeaked(text: string, runner?: ProbeRunner): void {
    expect(text.includes(kc.clients.secret.clientSecret), 'the client secret is not shown').toBe(false);
    expect(text.includes(ll.masterKey), 'the LiteLLM key is not shown').toBe(false);
    expect(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/.test(text), 'no JWT (token or assertion) is shown').toBe(false);
    expect(text.includes('BEGIN PRIVATE KEY'), 'the private key is not shown').toBe(false);
    if (runner) expect(JSON.stringify(runner.logLines).includes(kc.clients.secret.clientSecret)).toBe(false);
  }

  function why(r: LooseResult): string {
    return `${r.outcome}: ${r.reason}\n${r.steps.map((s) => s.msg).join('\n')}\n${sso.logs(1_500)}`;
  }

  it('both routes are green side by side: the catalog, a call, the gateway health and a plain check through the gate with the token and the key in x-litellm-api-key', async () => {
    const runner = await ProbeRunner.load(configPath);
    const lan = await runner.run('lan-catalog');
    expect(lan.outcome, why(lan)).toBe('ok');
    expect(lan.oauth).toBeUndefined();

    const cat = await runner.run('internet-catalog');
    expect(cat.outcome, why(cat)).toBe('ok');
    expect(cat.details.catalog.toolsPerServer[FS_SERVER]).toBe(lan.details.catalog.toolsPerServer[FS_SERVER]);
    expect(cat.tls?.authorized).toBe(true);
    // The token was asked for once, of Keycloak, as the config says.
    expect(cat.oauth).toMatchObject({
      tokenEndpoint: kc.tokenUrl,
      grant: 'client_credentials',
      clientId: kc.clients.secret.clientId,
      authMethod: 'client_secret_basic',
      scopes: ['openid'],
      token: 'requested',
    });
    expect(cat.oauth!.requests).toEqual([expect.objectContaining({ outcome: 'ok', why: 'first' })]);
    expect(cat.oauth!.expiresAt! - Date.now()).toBeGreaterThan(60_000);
    expect(cat.oauth!.expiresAt! - Date.now()).toBeLessThanOrEqual(kc.accessTokenLifespan * 1000);
    // The gateway's health endpoint, behind the gate too, was read with the token.
    expect(cat.details.gatewayHealth?.error, JSON.stringify(cat.details.gatewayHealth)).toBeUndefined();
    expect(cat.details.gatewayHealth!.servers[FS_SERVER]?.healthy).toBe(true);

    // The target's other probes share the token: no second request.
    const call = await runner.run('internet-call');
    expect(call.outcome, why(call)).toBe('ok');
    expect(call.oauth).toMatchObject({ token: 'cached', requests: [] });
    const health = await runner.run('internet-health');
    expect(health.outcome, why(health)).toBe('ok');
    expect(health.oauth?.token).toBe('cached');
    // Without auth the gate refuses the same check.
    const unauth = await runner.run('internet-unauth');
    expect(unauth.outcome, why(unauth)).toBe('ok');
    expect(unauth.details.status).toBe(401);

    for (const r of [lan, cat, call, health]) expectNothingLeaked(JSON.stringify(r), runner);
  });

  it('the guard: no SSO token is refused by the gate; no key and a wrong key, sent with the token, by LiteLLM behind it', async () => {
    const runner = await ProbeRunner.load(configPath);
    const r = await runner.run('internet-guard');
    expect(r.outcome, why(r)).toBe('ok');
    // The defaults for a target behind SSO with the key in x-litellm-api-key.
    expect(Object.keys(r.details.authChecks).sort()).toEqual(['no_key', 'no_sso_token', 'valid_key', 'wrong_key']);
    expect(r.details.authChecks.no_sso_token).toMatchObject({ enforced: true, status: 401 });
    expect(r.details.authChecks.no_key!.enforced).toBe(true);
    expect(r.details.authChecks.wrong_key!.enforced).toBe(true);
    expect(r.details.authChecks.valid_key!.accepted).toBe(true);
    // no_key and wrong_key went with the token (LiteLLM answered them, not the gate): 1.77 refuses with 500 "MCP
    // request failed".
    expect(r.details.authChecks.no_key!.status).toBe(500);
    expectNothingLeaked(JSON.stringify(r), runner);

    // A gate that lets the request through to LiteLLM: the key alone opens a session.
    const open = await runner.run('open-gate-guard');
    expect(open.outcome, why(open)).toBe('auth_not_enforced');
    expect(open.reason).toMatch(/no_sso_token.*the SSO gate lets requests without a token through/);
    const metrics = createMetrics(new Registry());
    const rec = new ProbeRecorder(metrics);
    rec.declare(runner.config.probes, ['internet', 'open-gate']);
    rec.record(open);
    rec.record(r);
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'mcp_auth_enforced', { probe: 'open-gate-guard', check: 'no_sso_token' })).toBe(0);
    expect(sampleValue(text, 'mcp_auth_enforced', { probe: 'internet-guard', check: 'no_sso_token' })).toBe(1);
  });

  it('client_secret_post and private_key_jwt get tokens too', async () => {
    const runner = await ProbeRunner.load(configPath);
    const post = await runner.run('post-catalog');
    expect(post.outcome, why(post)).toBe('ok');
    expect(post.oauth).toMatchObject({ authMethod: 'client_secret_post', token: 'requested' });
    const jwt = await runner.run('jwt-catalog');
    expect(jwt.outcome, why(jwt)).toBe('ok');
    expect(jwt.oauth).toMatchObject({
      authMethod: 'private_key_jwt',
      clientId: kc.clients.jwt.clientId,
      token: 'requested',
    });
    expectNothingLeaked(JSON.stringify([post, jwt]), runner);
  });

  it("a wrong client secret is auth_rejected with Keycloak's answer, counted as a rejected token request", async () => {
    const runner = await ProbeRunner.load(configPath);
    const r = await runner.run('wrong-catalog');
    expect(r.outcome, why(r)).toBe('auth_rejected');
    expect(r.reason).toContain(
      `the token endpoint ${kc.tokenUrl} refused client "${kc.clients.secret.clientId}": unauthorized_client (Invalid client or Invalid client credentials)`,
    );
    expect(r.oauth!.requests).toEqual([
      expect.objectContaining({ outcome: 'rejected', status: 401, error: 'unauthorized_client' }),
    ]);
    // Nothing was sent to the gateway without a token.
    expect(r.steps.some((s) => /^POST https:/.test(s.msg))).toBe(false);
    const metrics = createMetrics(new Registry());
    const rec = new ProbeRecorder(metrics);
    rec.declare(runner.config.probes, ['internet-wrong']);
    rec.record(r);
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'mcp_oauth_token_requests_total', { target: 'internet-wrong', outcome: 'rejected' })).toBe(
      1,
    );
    expect(sampleValue(text, 'mcp_oauth_token_requests_total', { target: 'internet-wrong', outcome: 'ok' })).toBe(0);
    expectNothingLeaked(JSON.stringify(r), runner);
  });

  it('mcpwatch probe shows the token request as steps of its own (endpoint, grant, client, scopes), never the secret or the token', async () => {
    const res = await runCli(['probe', 'internet-catalog', '--config', configPath], { timeoutMs: 90_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    if (process.env.MCPWATCH_SHOW_CLI) console.info(res.stdout);
    expect(res.stdout).toContain(
      `oauth2: POST ${kc.tokenUrl}  (token request: grant client_credentials, client "${kc.clients.secret.clientId}", client_secret_basic, scopes openid)`,
    );
    expect(res.stdout).toMatch(/oauth2: ← a bearer token for \d+m?\d*s? \(until /i);
    expect(res.stdout).toMatch(
      /^oauth2: {3}client mcpwatch \(client_credentials, client_secret_basic, scopes openid\) at .*: token requested in this run, expires /m,
    );
    // The request to the gateway carries the token masked and the key masked.
    expect(res.stdout).toMatch(/authorization: Bearer \*\*\*/);
    expect(res.stdout).toMatch(/x-litellm-api-key: Bearer sk-…/);
    expectNothingLeaked(res.stdout + res.stderr);
  });

  it('a token that expires between runs is renewed before it is sent (short token lifetime in the realm)', async () => {
    await kc.updateRealm({ accessTokenLifespan: 8 });
    try {
      const runner = await ProbeRunner.load(configPath);
      const metrics = createMetrics(new Registry());
      const rec = new ProbeRecorder(metrics);
      rec.declare(runner.config.probes, ['internet']);
      const first = await runner.run('internet-call');
      expect(first.outcome, why(first)).toBe('ok');
      expect(first.oauth).toMatchObject({ token: 'requested' });
      const expiresAt = first.oauth!.expiresAt!;
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(8_000);
      rec.record(first);
      expect(
        sampleValue(await metrics.registry.metrics(), 'mcp_oauth_token_expiry_timestamp_seconds', {
          target: 'internet',
        }),
      ).toBe(expiresAt / 1000);
      // Renewed at three quarters of its life (6 s): after that the cached one is not sent.
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - 1_500 - Date.now())));
      const second = await runner.run('internet-call');
      expect(second.outcome, why(second)).toBe('ok');
      expect(second.oauth?.requests).toEqual([expect.objectContaining({ outcome: 'ok', why: 'expiring' })]);
      expect(second.oauth!.expiresAt!).toBeGreaterThan(expiresAt);
      rec.record(second);
      const text = await metrics.registry.metrics();
      expect(sampleValue(text, 'mcp_oauth_token_requests_total', { target: 'internet', outcome: 'ok' })).toBe(2);
      expect(sampleValue(text, 'mcp_oauth_token_expiry_timestamp_seconds', { target: 'internet' })).toBe(
        second.oauth!.expiresAt! / 1000,
      );
    } finally {
      await kc.updateRealm({ accessTokenLifespan: kc.accessTokenLifespan });
    }
  });

  it("a cached token the gate no longer takes (the realm's signing key rotated) is renewed once, and the run passes", async () => {
    const runner = await ProbeRunner.load(configPath);
    const first = await runner.run('internet-catalog');
    expect(first.outcome, why(first)).toBe('ok');
    // A new signing key, the old one removed: tokens signed with it are no good any more.
    const realm = (await kc.admin(kc.realm)) as { id: string };
    const keys = (await kc.admin(`${kc.realm}/components?type=org.keycloak.keys.KeyProvider`)) as Array<{
      id: string;
      providerId: string;
    }>;
    await kc.admin(`${kc.realm}/components`, {
      method: 'POST',
      body: {
        name: 'rsa-rotated',
        providerId: 'rsa-generated',
        providerType: 'org.keycloak.keys.KeyProvider',
        parentId: realm.id,
        config: { priority: ['200'], keySize: ['2048'], algorithm: ['RS256'] },
      },
    });
    for (const k of keys.filter((k) => k.providerId === 'rsa-generated'))
      await kc.admin(`${kc.realm}/components/${k.id}`, { method: 'DELETE' });
    // The gate learns the new key set when it first meets a token signed with the new key (another client's run).
    const other = await runner.run('post-catalog');
    expect(other.outcome, why(other)).toBe('ok');

    const r = await runner.run('internet-catalog');
    expect(r.outcome, why(r)).toBe('ok');
    expect(r.oauth?.requests).toEqual([expect.objectContaining({ outcome: 'ok', why: 'unauthorized' })]);
    expect(r.steps.map((s) => s.msg)).toContain('oauth2: trying again with the new token');
    // The renewed token is cached again.
    const again = await runner.run('internet-call');
    expect(again.outcome, why(again)).toBe('ok');
    expect(again.oauth).toMatchObject({ token: 'cached', requests: [] });
  });

  it('a token the gate refuses from the start (no verified email) is auth_rejected naming the gate, and not asked for again and again', async () => {
    const [user] = (await kc.admin(
      `${kc.realm}/users?username=service-account-${kc.clients.secret.clientId}&exact=true`,
    )) as Array<{ id: string }>;
    await kc.admin(`${kc.realm}/users/${user!.id}`, { method: 'PUT', body: { emailVerified: false } });
    try {
      const runner = await ProbeRunner.load(configPath);
      const r = await runner.run('internet-catalog');
      expect(r.outcome, why(r)).toBe('auth_rejected');
      expect(r.reason).toMatch(
        /^401 Unauthorized from internet — refused by the SSO gate in front of the gateway: it did not accept the access token/,
      );
      expect(r.oauth?.requests).toHaveLength(1);
      const next = await runner.run('internet-catalog');
      expect(next.outcome).toBe('auth_rejected');
      expect(next.oauth).toMatchObject({ token: 'cached', requests: [] });
    } finally {
      await kc.admin(`${kc.realm}/users/${user!.id}`, { method: 'PUT', body: { emailVerified: true } });
    }
  });

  it('Keycloak stopped: connect_error naming the token endpoint, not the gateway; the LAN route stays green', async () => {
    await kc.stop();
    try {
      const runner = await ProbeRunner.load(configPath);
      const r = await runner.run('internet-catalog');
      expect(r.outcome, why(r)).toBe('connect_error');
      const kcHost = new URL(kc.tokenUrl).host;
      expect(r.reason).toBe(
        `the token endpoint ${kc.tokenUrl}: connection refused by ${kcHost}: is the identity provider running and listening there? (ECONNREFUSED)`,
      );
      expect(r.oauth!.requests).toEqual([expect.objectContaining({ outcome: 'error' })]);
      const lan = await runner.run('lan-catalog');
      expect(lan.outcome, why(lan)).toBe('ok');
    } finally {
      await kc.start();
    }
  });
});
