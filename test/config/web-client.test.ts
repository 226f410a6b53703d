import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  agentClient,
  askedUrl,
  askPlan,
  clientFor,
  findWebConfig,
  type AgentClient,
} from '../../src/config/web-client.js';
import { isLoopbackHost } from '../../src/util/origins.js';
import { parseWebConfig, type WebConfig } from '../../src/config/web-config.js';
import { tempDir } from '../support/agent-proc.js';

// How `mcpwatch status` and the image's healthcheck ask an agent behind a web config: the plan (pure) as a table of
// web configs and environments, the web config found (env, the agent's config), the files read, and the GET against
// a local plain-HTTP server (the TLS side runs against the real agent in test/integration/web-config.test.ts).

const FILE = '/etc/mcpwatch/web.yml';
const HASH = '$2y$10$O8LEq.7JhU.30o8DEV92TO2tQL1hxKiaKKxhxk8uyzkFfiPy/DeTm';
const PASSWORD = 'correct horse battery staple';

function web(yaml: string): { file: string; config: WebConfig } {
  const r = parseWebConfig(yaml, FILE);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { file: FILE, config: r.config };
}

const TLS = 'tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n';
const MTLS = `${TLS}  client_ca_file: ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n`;
const USERS = `basic_auth_users:\n  prometheus: '${HASH}'\n`;
const CERT_ENV = { MCPWATCH_HEALTH_CERT_FILE: '/c.crt', MCPWATCH_HEALTH_KEY_FILE: '/c.key' };
const AUTH_ENV = { MCPWATCH_HEALTH_USER: 'prometheus', MCPWATCH_HEALTH_PASSWORD_FILE: '/pw' };
const CERT = { certFile: '/c.crt', keyFile: '/c.key' };
const AUTH = { user: 'prometheus', passwordFile: '/pw' };

describe('askPlan: what the web config requires, set against the environment', () => {
  it.each([
    ['no web config, nothing in the env', undefined, {}, { tls: false }],
    [
      'no web config: what the env gives is sent',
      undefined,
      { ...CERT_ENV, ...AUTH_ENV },
      { tls: false, cert: CERT, basicAuth: AUTH },
    ],
    ['TLS only', TLS, {}, { tls: true, webFile: FILE }],
    ['TLS: a certificate the env gives is offered', TLS, CERT_ENV, { tls: true, webFile: FILE, cert: CERT }],
    ['mTLS with the certificate', MTLS, CERT_ENV, { tls: true, webFile: FILE, cert: CERT }],
    ['users with the password file', USERS, AUTH_ENV, { tls: false, webFile: FILE, basicAuth: AUTH }],
    ['no users: the env password is not sent', TLS, AUTH_ENV, { tls: true, webFile: FILE }],
    [
      'no TLS: no certificate to offer',
      USERS,
      { ...CERT_ENV, ...AUTH_ENV },
      { tls: false, webFile: FILE, basicAuth: AUTH },
    ],
    [
      'all three',
      `${MTLS}${USERS}`,
      { ...CERT_ENV, ...AUTH_ENV },
      { tls: true, webFile: FILE, cert: CERT, basicAuth: AUTH },
    ],
  ])('%s', (_what, yaml, env, plan) => {
    expect(askPlan(yaml === undefined ? undefined : web(yaml), env)).toEqual(plan);
  });

  it.each([
    [
      'mTLS without a certificate',
      MTLS,
      AUTH_ENV,
      `${FILE} requires a client certificate (RequireAndVerifyClientCert): set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE`,
    ],
    [
      'RequireAny with only the certificate, no key',
      `${TLS}  client_auth_type: RequireAnyClientCert\n`,
      { MCPWATCH_HEALTH_CERT_FILE: '/c.crt' },
      `${FILE} requires a client certificate (RequireAnyClientCert): set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE`,
    ],
    [
      'users without a password file',
      USERS,
      { MCPWATCH_HEALTH_USER: 'prometheus' },
      `${FILE} asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE`,
    ],
    [
      'users without a user',
      USERS,
      { MCPWATCH_HEALTH_PASSWORD_FILE: '/pw' },
      `${FILE} asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE`,
    ],
  ])('%s: an error naming the file and the variables', (_what, yaml, env, error) => {
    expect(askPlan(web(yaml), env)).toEqual({ error });
  });

  it('VerifyClientCertIfGiven and RequestClientCert need no certificate', () => {
    for (const auth of ['VerifyClientCertIfGiven', 'RequestClientCert'])
      expect(askPlan(web(`${TLS}  client_ca_file: ca.pem\n  client_auth_type: ${auth}\n`), {})).toEqual({
        tls: true,
        webFile: FILE,
      });
  });
});

describe('findWebConfig: MCPWATCH_WEB_CONFIG_FILE, else web.configFile of the agent config', () => {
  it('the env wins; else the config names it, ${VAR} expanded; neither: none', () => {
    const dir = tempDir();
    const a = join(dir, 'a.yml');
    const b = join(dir, 'b.yml');
    writeFileSync(a, TLS);
    writeFileSync(b, USERS);
    const config = join(dir, 'mcpwatch.yaml');
    writeFileSync(
      config,
      'listen: 127.0.0.1:9464\nweb:\n  configFile: ${WEB_DIR}/b.yml\ntargets: { x: "${NOT_SET}" }\n',
    );
    expect(findWebConfig(config, { MCPWATCH_WEB_CONFIG_FILE: a, WEB_DIR: dir })).toMatchObject({
      file: a,
      namedBy: 'MCPWATCH_WEB_CONFIG_FILE',
      config: { tls: { clientAuth: 'NoClientCert' } },
    });
    expect(findWebConfig(config, { WEB_DIR: dir })).toMatchObject({
      file: b,
      namedBy: `web.configFile in ${config}`,
      config: { users: { prometheus: HASH } },
    });
    expect(findWebConfig(config, {})).toEqual({
      error: `web.configFile in ${config}: environment variable WEB_DIR is not set`,
    });
    writeFileSync(config, 'listen: 127.0.0.1:9464\n');
    expect(findWebConfig(config, {})).toBeUndefined();
    expect(findWebConfig(join(dir, 'missing.yaml'), {})).toBeUndefined();
    expect(findWebConfig(undefined, {})).toBeUndefined();
  });

  it('a web config that cannot be read or is invalid: an error naming it', () => {
    const dir = tempDir();
    const gone = join(dir, 'gone.yml');
    expect(findWebConfig(undefined, { MCPWATCH_WEB_CONFIG_FILE: gone })).toEqual({
      error: `cannot read web config ${gone} (MCPWATCH_WEB_CONFIG_FILE): no such file`,
    });
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'basic_auth_users:\n  alice: hunter2\n');
    const r = findWebConfig(undefined, { MCPWATCH_WEB_CONFIG_FILE: bad });
    expect(r).toEqual({
      error: expect.stringMatching(
        `^invalid web config ${bad}: basic_auth_users.alice: not a bcrypt hash`.replace(/[.$]/g, '\\$&'),
      ) as string,
    });
    // What the web config's author wrote where a hash belongs is not repeated.
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });
});

describe('the client: files read, the URL, the request', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  /** A local server that demands `prometheus:PASSWORD` as basic auth and keeps each request's headers. */
  async function guarded(seen: IncomingHttpHeaders[]): Promise<URL> {
    const want = `Basic ${Buffer.from(`prometheus:${PASSWORD}`).toString('base64')}`;
    const server = createServer((req, res) => {
      seen.push(req.headers);
      if (req.headers.authorization !== want) {
        res.writeHead(401, { 'www-authenticate': 'Basic' });
        res.end('Unauthorized');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/big' ? JSON.stringify({ pad: 'x'.repeat(4096) }) : '{"status":"ok"}');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  }

  const get = { signal: AbortSignal.timeout(5_000), maxBytes: 1024 };

  /** A password file holding PASSWORD, and a client sending it as prometheus's (`webFile`: its web config). */
  function passwordClient(webFile?: string): { pw: string; client: AgentClient } {
    const pw = join(tempDir(), 'pw');
    writeFileSync(pw, `${PASSWORD}\n`);
    const client = clientFor({
      tls: false,
      basicAuth: { user: 'prometheus', passwordFile: pw },
      ...(webFile && { webFile }),
    });
    if ('error' in client) throw new Error(client.error);
    return { pw, client };
  }

  it('sends the password file (trailing newline dropped) as basic auth; the password in no result or error', async () => {
    const { pw, client } = passwordClient();
    const seen: IncomingHttpHeaders[] = [];
    const base = await guarded(seen);
    const a = await client.get(new URL('health', base), get);
    expect([a.code, a.body]).toEqual([200, '{"status":"ok"}']);
    expect(client.refused(a)).toBeUndefined();
    expect(seen[0]).toMatchObject({ accept: 'application/json' });
    expect(JSON.stringify(client)).not.toContain(Buffer.from(`prometheus:${PASSWORD}`).toString('base64'));
    await expect(client.get(new URL('big', base), get)).rejects.toThrow('an answer of more than 1024 bytes');

    writeFileSync(pw, 'wrong\n');
    const wrong = clientFor({ tls: false, basicAuth: { user: 'prometheus', passwordFile: pw } });
    if ('error' in wrong) throw new Error(wrong.error);
    const refused = wrong.refused(await wrong.get(new URL('health', base), get));
    expect(refused).toBe(
      'the agent refused the basic auth of MCPWATCH_HEALTH_USER (prometheus): check it and MCPWATCH_HEALTH_PASSWORD_FILE',
    );

    const none = clientFor({ tls: false });
    if ('error' in none) throw new Error(none.error);
    expect(none.refused(await none.get(new URL('health', base), get))).toBe(
      'the agent asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE',
    );
    expect(seen.at(-1)?.authorization).toBeUndefined();
  });

  it('with no web config found, the password goes over plain http only to a loopback address', async () => {
    const guessed = passwordClient().client;
    const base = await guarded([]);
    expect((await guessed.get(new URL('health', base), get)).code).toBe(200);
    // Refused before anything is sent (192.0.2.1 is TEST-NET-1: nothing answers there).
    await expect(guessed.get(new URL('http://192.0.2.1:9464/health'), get)).rejects.toThrow(
      "not sending MCPWATCH_HEALTH_USER's password over plain http to 192.0.2.1:9464: give an https URL, or the " +
        "agent's web config (MCPWATCH_WEB_CONFIG_FILE, or web.configFile in --config) if it takes basic auth over http",
    );
    // A web config that lists users and has no TLS says the agent takes basic auth over http: sent as it says.
    const told = passwordClient('/etc/mcpwatch/web.yml').client;
    const ac = new AbortController();
    const pending = told.get(new URL('http://192.0.2.1:9464/health'), { ...get, signal: ac.signal });
    // It was sent (then aborted: nothing answers there), not refused.
    ac.abort();
    await expect(pending).rejects.toThrow('The operation was aborted');
  });

  it('files that cannot be read: an error naming the variable and the file', () => {
    const dir = tempDir();
    expect(clientFor({ tls: true, cert: { certFile: join(dir, 'c.crt'), keyFile: join(dir, 'c.key') } })).toEqual({
      error: `cannot read MCPWATCH_HEALTH_CERT_FILE ${join(dir, 'c.crt')}: no such file`,
    });
    expect(clientFor({ tls: false, basicAuth: { user: 'u', passwordFile: dir } })).toEqual({
      error: `cannot read MCPWATCH_HEALTH_PASSWORD_FILE ${dir}: is a directory`,
    });
  });

  it('the URL: http asked over https when the web config has TLS; a base path and an https URL kept', () => {
    expect(askedUrl(new URL('http://127.0.0.1:9464/mon/'), true).href).toBe('https://127.0.0.1:9464/mon/');
    expect(askedUrl(new URL('http://127.0.0.1:9464/'), false).href).toBe('http://127.0.0.1:9464/');
    expect(askedUrl(new URL('https://mon.lan/'), false).href).toBe('https://mon.lan/');
  });

  it('agentClient: the web config, the plan and the files in one step; its errors passed on', () => {
    const dir = tempDir();
    const w = join(dir, 'web.yml');
    writeFileSync(w, `${MTLS}${USERS}`);
    expect(agentClient(undefined, { MCPWATCH_WEB_CONFIG_FILE: w })).toEqual({
      tls: true,
      error: `${w} requires a client certificate (RequireAndVerifyClientCert): set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE`,
    });
    const c = agentClient(undefined, {});
    expect('error' in c ? c.error : c.webFile).toBeUndefined();
  });
});

describe('isLoopbackHost: where the server certificate is not verified', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['[::1]', true],
    ['::1', true],
    ['10.0.0.1', false],
    ['mcpwatch', false],
    ['[fd00::1]', false],
    ['127.0.0.1.nip.io', false],
  ])('%s → %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });
});
