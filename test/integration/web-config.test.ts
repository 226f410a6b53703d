import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hash } from 'bcryptjs';
import { parse, stringify } from 'yaml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { BIN, type CliResult, freePort, REPO, runCli, tempDir } from '../support/agent-proc.js';
import { killAndWait, spawnProc, waitForUrl } from '../support/proc.js';
import { makeCa, makeCert, makeSelfSigned, type TestCert } from '../support/test-certs.js';

// `--web.config.file` on the real `mcpwatch run`: the exporter-toolkit web config with certificates made by openssl in
// the test and a user whose bcrypt hash the test makes. Every route behind basic auth, plain HTTP refused on the TLS
// port, client certificates, a bad file at start and on reload, a good reload applied without a restart, and the
// image's healthcheck (node dist/healthcheck.js) and `mcpwatch status` against a TLS + basic-auth + mTLS agent.

const USER = 'prometheus';
const PASSWORD = 'correct horse battery staple';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The server certificate's SHA-256 fingerprint. */
  fingerprint?: string;
}

interface Ask {
  method?: string;
  auth?: { user: string; password: string };
  cert?: TestCert;
  body?: string;
  headers?: Record<string, string>;
}

/** One request on a new connection (so a reloaded certificate or client auth applies), the server not verified. */
function ask(port: number, path: string, opts: Ask = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth)
    headers.authorization = `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString('base64')}`;
  if (opts.body) headers['content-type'] ??= 'application/json';
  const req: RequestOptions = {
    host: '127.0.0.1',
    port,
    path,
    method: opts.method ?? 'GET',
    headers,
    agent: false,
    rejectUnauthorized: false,
    ...(opts.cert && { cert: opts.cert.certPem, key: opts.cert.keyPem }),
    timeout: 10_000,
  };
  return new Promise((resolve, reject) => {
    const r = httpsRequest(req, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          fingerprint: (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.().fingerprint256,
        }),
      );
    });
    r.on('timeout', () => r.destroy(new Error('timed out')));
    r.on('error', reject);
    r.end(opts.body);
  });
}

/** A plain-HTTP request: its status and body, or the error that ended it. */
function askPlain(port: number, path: string): Promise<{ status: number; body: string } | Error> {
  return new Promise((resolve) => {
    const r = httpRequest({ host: '127.0.0.1', port, path, agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('timeout', () => r.destroy(new Error('timed out')));
    r.on('error', (err) => resolve(err));
    r.end();
  });
}

/** `mcpwatch run` with a web config, its output kept; started once /health answers 200 over HTTPS with `ready`. */
class WebAgent {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((res) => child.on('exit', (code) => res(code)));
  }

  /** `gw`: the probe's target (a closed port unless given) and how often it runs; `host`: the address listened on. */
  static async start(
    dir: string,
    webConfig: string,
    ready: Ask,
    args: string[] = [],
    gw = { url: 'http://127.0.0.1:9', every: '1m' },
    host = '127.0.0.1',
  ): Promise<WebAgent> {
    const port = await freePort();
    const config = join(dir, 'mcpwatch.yaml');
    writeFileSync(
      config,
      `listen: ${host}:${port}\nstateDir: ${join(dir, 'state')}\n` +
        `targets:\n  gw: { url: "${gw.url}" }\n` +
        `probes:\n  - { name: gw, type: http, target: gw, every: ${gw.every} }\n` +
        'mcpServer: { enabled: true }\n',
    );
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--config', config, '--web.config.file', webConfig, '--web.enable-lifecycle', ...args],
      { cwd: REPO, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const agent = new WebAgent(child, port);
    await agent.until(
      async () => (await ask(port, '/health', ready).catch(() => undefined))?.status === 200,
      'the agent',
    );
    return agent;
  }

  async until(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null)
        throw new Error(`agent exited (${this.child.exitCode}) waiting for ${what}\n${this.stdout}\n${this.stderr}`);
      if (await cond()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.stdout.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** A web config file in `dir`: its certificates copied beside it and named relative to it, as operators do. */
function webConfig(dir: string, yaml: string, name = 'web.yml'): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

function copyCert(cert: TestCert, dir: string, base: string): void {
  copyFileSync(cert.certFile, join(dir, `${base}.crt`));
  copyFileSync(cert.keyFile, join(dir, `${base}.key`));
}

/**
 * config/prometheus/prometheus.yml as shipped, its commented web config example taken in (the lines from
 * `# scheme: https` to `static_configs:`), the example's /etc/prometheus/mcpwatch/ files in `dir`, scraping `target`
 * every second.
 */
function promConfigFromShipped(dir: string, target: string): string {
  const lines = readFileSync(join(REPO, 'config/prometheus/prometheus.yml'), 'utf8').split('\n');
  const from = lines.indexOf('    # scheme: https');
  const to = lines.indexOf('    static_configs:');
  expect(from, 'the example in prometheus.yml').toBeGreaterThan(0);
  for (let i = from; i < to; i++) lines[i] = lines[i]!.replace(/^( {4})# /, '$1');
  const shipped = parse(lines.join('\n').replaceAll('/etc/prometheus/mcpwatch/', `${dir}/`)) as {
    global: Record<string, string>;
    rule_files?: string[];
    scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
  };
  shipped.global = { scrape_interval: '1s', evaluation_interval: '1s' };
  delete shipped.rule_files;
  shipped.scrape_configs[0]!.static_configs = [{ targets: [target] }];
  const path = join(dir, 'prometheus.yml');
  writeFileSync(path, stringify(shipped));
  return path;
}

const fingerprintOf = (c: TestCert): string => new X509Certificate(c.certPem).fingerprint256;

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'web-config-test', version: '1' } },
});

/** Every route: the ones of issue 28 too (`/`, `/-/healthy`, `/-/ready`). */
const ROUTES: Array<[string, Ask]> = [
  ['/metrics', {}],
  ['/health', {}],
  ['/-/healthy', {}],
  ['/-/ready', {}],
  ['/status', {}],
  ['/', {}],
  ['/probe?name=gw', {}],
  ['/-/reload', { method: 'POST' }],
  ['/mcp', { method: 'POST', body: INITIALIZE, headers: { accept: 'application/json, text/event-stream' } }],
];

describe('--web.config.file (exporter-toolkit web config)', () => {
  let ca: TestCert;
  let server: TestCert;
  let server2: TestCert;
  let client: TestCert;
  let stranger: TestCert;
  let passwordHash: string;
  let agent: WebAgent | undefined;
  const right = { user: USER, password: PASSWORD };

  beforeAll(async () => {
    ca = makeCa('mcpwatch web test CA', 30);
    server = makeCert(ca, 'mcpwatch.test', 30);
    server2 = makeCert(ca, 'mcpwatch-rotated.test', 30);
    client = makeCert(ca, 'scraper.test', 30, { client: true });
    stranger = makeSelfSigned('stranger.test', 30);
    // Cost 10, as htpasswd -B makes them: the agent's cache keeps a scrape from paying it every time.
    passwordHash = await hash(PASSWORD, 10);
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  function tlsDir(): string {
    const dir = tempDir('mcpwatch-web-');
    copyCert(server, dir, 'server');
    copyFileSync(ca.certFile, join(dir, 'clients-ca.pem'));
    return dir;
  }

  it('TLS + basic auth: every route 401 without credentials or with a wrong password, served with them', async () => {
    const dir = tlsDir();
    const web = webConfig(
      dir,
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n` +
        `basic_auth_users:\n  ${USER}: '${passwordHash}'\n` +
        'http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n',
    );
    agent = await WebAgent.start(dir, web, { auth: right });
    for (const [path, opts] of ROUTES) {
      const none = await ask(agent.port, path, opts);
      expect(none.status, `${path} without credentials`).toBe(401);
      expect(none.headers['www-authenticate'], path).toBe('Basic');
      expect(none.headers['x-frame-options'], `${path}: the web config's headers on a 401 too`).toBe('deny');
      const wrong = await ask(agent.port, path, { ...opts, auth: { user: USER, password: 'wrong' } });
      expect(wrong.status, `${path} with a wrong password`).toBe(401);
      const unknown = await ask(agent.port, path, { ...opts, auth: { user: 'nobody', password: PASSWORD } });
      expect(unknown.status, `${path} as an unknown user`).toBe(401);
      const ok = await ask(agent.port, path, { ...opts, auth: right });
      expect(ok.status, `${path} with credentials: ${ok.body.slice(0, 300)}`).toBe(200);
      expect(ok.headers['x-frame-options'], path).toBe('deny');
      expect(ok.headers['x-content-type-options'], path).toBe('nosniff');
      expect(ok.fingerprint).toBe(fingerprintOf(server));
    }
    // The server's own certificate, and a log line that names what is on (no hash in it).
    expect(agent.stdout).toContain('"msg":"web config loaded"');
    expect(agent.stdout).not.toContain(passwordHash);
    expect(agent.stdout).not.toContain(PASSWORD);

    // Another hook's answer carries them too: the DNS-rebinding guard's 403, which runs first.
    const rebound = await ask(agent.port, '/status', { headers: { origin: 'http://rebound.example' } });
    expect([rebound.status, rebound.headers['x-frame-options']]).toEqual([403, 'deny']);

    // Plain HTTP to the TLS port: 400 as Go's exporters answer it (and curl shows it), then TLS on the same port.
    expect(await askPlain(agent.port, '/metrics')).toEqual({
      status: 400,
      body: 'Client sent an HTTP request to an HTTPS server.\n',
    });
    const curl = spawnSync('curl', ['-sS', '-i', `http://127.0.0.1:${agent.port}/metrics`], { encoding: 'utf8' });
    expect(curl.error, 'curl (Debian package curl)').toBeUndefined();
    expect(curl.stdout).toMatch(
      /^HTTP\/1\.0 400 Bad Request\r\n[\s\S]*\r\n\r\nClient sent an HTTP request to an HTTPS server\.\n$/,
    );
    expect((await ask(agent.port, '/metrics', { auth: right })).status).toBe(200);
  });

  it('client certificates: RequireAndVerifyClientCert refuses none and a stranger; a reload to RequireAny takes any', async () => {
    const dir = tlsDir();
    const yaml = (auth: string): string =>
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n` +
      `  client_ca_file: clients-ca.pem\n  client_auth_type: ${auth}\n`;
    const web = webConfig(dir, yaml('RequireAndVerifyClientCert'));
    agent = await WebAgent.start(dir, web, { cert: client });
    expect((await ask(agent.port, '/metrics', { cert: client })).status).toBe(200);
    await expect(ask(agent.port, '/metrics')).rejects.toThrow();
    await expect(ask(agent.port, '/metrics', { cert: stranger })).rejects.toThrow();

    // The client auth type changes on reload, without a restart: any certificate, none refused.
    writeFileSync(web, yaml('RequireAnyClientCert'));
    const reload = await ask(agent.port, '/-/reload', { method: 'POST', cert: client });
    expect(JSON.parse(reload.body)).toMatchObject({ status: 'ok' });
    expect((await ask(agent.port, '/metrics', { cert: stranger })).status).toBe(200);
    await expect(ask(agent.port, '/metrics')).rejects.toThrow();

    // VerifyClientCertIfGiven: none is fine, a stranger's is not.
    writeFileSync(web, yaml('VerifyClientCertIfGiven'));
    expect((await ask(agent.port, '/-/reload', { method: 'POST', cert: client })).status).toBe(200);
    expect((await ask(agent.port, '/metrics')).status).toBe(200);
    expect((await ask(agent.port, '/metrics', { cert: client })).status).toBe(200);
    await expect(ask(agent.port, '/metrics', { cert: stranger })).rejects.toThrow();

    // client_allowed_sans: the client's certificate must name one of them.
    writeFileSync(web, `${yaml('RequireAndVerifyClientCert')}  client_allowed_sans: [other.test]\n`);
    expect((await ask(agent.port, '/-/reload', { method: 'POST', cert: client })).status).toBe(200);
    await expect(ask(agent.port, '/metrics', { cert: client })).rejects.toThrow();
    // (the log line may reach stdout a moment after the client saw the connection closed)
    await agent.until(
      async () => agent!.stdout.includes('client certificate has none of client_allowed_sans'),
      'the refusal in the log',
      5_000,
    );
  });

  it('a good reload puts new certificates, users and headers in place; a bad one keeps the running ones', async () => {
    const dir = tlsDir();
    copyCert(server2, dir, 'rotated');
    const yaml = (cert: string, user: string, frame: string): string =>
      `tls_server_config:\n  cert_file: ${cert}.crt\n  key_file: ${cert}.key\n` +
      `basic_auth_users:\n  ${user}: '${passwordHash}'\n` +
      `http_server_config:\n  headers:\n    X-Frame-Options: ${frame}\n`;
    const web = webConfig(dir, yaml('server', USER, 'deny'));
    agent = await WebAgent.start(dir, web, { auth: right });

    // SIGHUP with a file whose key is missing: the old web config stays, the log says why.
    writeFileSync(web, yaml('missing', 'ops', 'sameorigin'));
    agent.child.kill('SIGHUP');
    await agent.until(async () => agent!.stdout.includes('config reload failed'), 'the failed reload');
    expect(agent.stdout).toContain(`${web}: tls_server_config.cert_file: cannot read ${join(dir, 'missing.crt')}`);
    let a = await ask(agent.port, '/metrics', { auth: right });
    expect([a.status, a.headers['x-frame-options'], a.fingerprint]).toEqual([200, 'deny', fingerprintOf(server)]);

    // POST /-/reload with a bad file: 400, the problems named, the old one still in place.
    writeFileSync(web, `${yaml('server', 'ops', 'sameorigin')}  headers2: {}\n`);
    const bad = await ask(agent.port, '/-/reload', { method: 'POST', auth: right });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({
      status: 'error',
      errors: [expect.stringMatching(/^.*web\.yml: http_server_config\.headers2: unknown key/)],
    });
    writeFileSync(web, yaml('server', 'ops', 'allow'));
    const badHeader = await ask(agent.port, '/-/reload', { method: 'POST', auth: right });
    expect(JSON.parse(badHeader.body).errors).toEqual([
      `${web}: http_server_config.headers.X-Frame-Options: expected one of "deny", "sameorigin", got "allow"`,
    ]);
    // A file that turns TLS off takes a restart: refused, HTTPS stays.
    writeFileSync(web, `basic_auth_users:\n  ${USER}: '${passwordHash}'\n`);
    const off = await ask(agent.port, '/-/reload', { method: 'POST', auth: right });
    expect(JSON.parse(off.body).errors).toEqual([
      `${web}: tls_server_config: TLS turned off, but the server speaks HTTPS: that takes a restart (the running web config stays)`,
    ]);
    a = await ask(agent.port, '/metrics', { auth: right });
    expect([a.status, a.headers['x-frame-options']]).toEqual([200, 'deny']);

    // A good one: the rotated certificate on new connections, the new user only, the new header. No restart.
    writeFileSync(web, yaml('rotated', 'ops', 'sameorigin'));
    const good = await ask(agent.port, '/-/reload', { method: 'POST', auth: right });
    expect(JSON.parse(good.body)).toMatchObject({ status: 'ok' });
    expect((await ask(agent.port, '/metrics', { auth: right })).status).toBe(401);
    a = await ask(agent.port, '/metrics', { auth: { user: 'ops', password: PASSWORD } });
    expect([a.status, a.headers['x-frame-options'], a.fingerprint]).toEqual([
      200,
      'sameorigin',
      fingerprintOf(server2),
    ]);
    expect(agent.child.exitCode).toBeNull();
  });

  it('a bad web config at start: exit 2 naming the file and the field', async () => {
    const dir = tlsDir();
    const config = join(dir, 'mcpwatch.yaml');
    writeFileSync(config, `listen: 127.0.0.1:${await freePort()}\nstateDir: ${join(dir, 'state')}\n`);
    const cases: Array<[string, string]> = [
      [
        'tls_server_config:\n  cert_file: server.crt\n  key_file: nope.key\n',
        `${dir}/web.yml: tls_server_config.key_file: cannot read ${dir}/nope.key: no such file`,
      ],
      [
        'tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n',
        `${dir}/web.yml: tls_server_config.cert_file: ${dir}/server.key: no PEM certificate in it`,
      ],
      [
        'tls_server_config:\n  cert_file: clients-ca.pem\n  key_file: server.key\n',
        `${dir}/web.yml: tls_server_config.key_file: the key does not belong to the certificate of tls_server_config.cert_file`,
      ],
      ['basic_auth_users:\n  alice: hunter2\n', `${dir}/web.yml: basic_auth_users.alice: not a bcrypt hash`],
      ['tls_server_config:\n  certfile: server.crt\n', `${dir}/web.yml: tls_server_config.certfile: unknown key`],
    ];
    for (const [yaml, want] of cases) {
      webConfig(dir, yaml);
      const r = await runCli(['run', '--config', config, '--web.config.file', join(dir, 'web.yml')]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`mcpwatch: invalid config ${config}:\n${want}`);
    }
    // A web config that is not there, named by the environment or by the config file.
    const viaEnv = await runCli(['run', '--config', config], {
      env: { MCPWATCH_WEB_CONFIG_FILE: join(dir, 'gone.yml') },
    });
    expect([viaEnv.code, viaEnv.stderr]).toEqual([
      2,
      expect.stringContaining(`MCPWATCH_WEB_CONFIG_FILE: cannot read web config ${dir}/gone.yml: no such file`),
    ]);
    writeFileSync(
      config,
      `listen: 127.0.0.1:${await freePort()}\nstateDir: ${join(dir, 'state')}\nweb: { configFile: ${dir}/gone.yml }\n`,
    );
    const viaFile = await runCli(['run', '--config', config]);
    expect([viaFile.code, viaFile.stderr]).toEqual([
      2,
      expect.stringContaining(`web.configFile: cannot read web config ${dir}/gone.yml: no such file`),
    ]);
    // check-config reads the same file with the same words (exit 1, its usual format), by the flag too.
    webConfig(dir, 'basic_auth_users:\n  alice: hunter2\n');
    const check = await runCli(['check-config', '--config', config, '--web.config.file', join(dir, 'web.yml')]);
    expect([check.code, check.stdout]).toEqual([
      1,
      expect.stringMatching(new RegExp(`^${dir}/web\\.yml: basic_auth_users\\.alice: not a bcrypt hash[^\\n]*\\n$`)),
    ]);
    // The other commands take no web config.
    const usage = await runCli(['probe', 'x', '--config', config, '--web.config.file', 'x.yml']);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('--web.config.file is for the run')]);
  });

  it('/mcp on 0.0.0.0 with no token: basic auth closes it, so it starts and /mcp asks for the password; a reload that would open it is refused', async () => {
    const dir = tlsDir();
    const withUsers =
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n` +
      `basic_auth_users:\n  ${USER}: '${passwordHash}'\n`;
    const web = webConfig(dir, withUsers);
    // WebAgent's config: mcpServer enabled with no token, here on 0.0.0.0.
    agent = await WebAgent.start(dir, web, { auth: right }, [], undefined, '0.0.0.0');
    const [path, opts] = ROUTES.find(([p]) => p === '/mcp')!;
    const none = await ask(agent.port, path, opts);
    expect([none.status, none.headers['www-authenticate']]).toEqual([401, 'Basic']);
    const wrong = await ask(agent.port, path, { ...opts, auth: { user: USER, password: 'wrong' } });
    expect(wrong.status).toBe(401);
    // A Bearer token of its own does not get around it: /mcp has none.
    const bearer = await ask(agent.port, path, { ...opts, headers: { ...opts.headers, authorization: 'Bearer x' } });
    expect(bearer.status).toBe(401);
    const ok = await ask(agent.port, path, { ...opts, auth: right });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.body).toContain('"protocolVersion"');

    // A web config with TLS but no users would leave /mcp open: the reload is refused, the users stay.
    writeFileSync(web, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const reload = await ask(agent.port, '/-/reload', { method: 'POST', auth: right });
    expect(reload.status).toBe(400);
    expect(JSON.parse(reload.body).errors).toEqual([
      expect.stringMatching(
        /^mcpServer: \/mcp would be open to anyone who reaches 0\.0\.0\.0:\d+ \(not a loopback address\) with no token: .*the web config \S+web\.yml, which has neither$/,
      ),
    ]);
    expect((await ask(agent.port, path, opts)).status).toBe(401);
    expect((await ask(agent.port, path, { ...opts, auth: right })).status).toBe(200);
    await agent.stop();
    agent = undefined;

    // At start, the same file is refused: exit 2, nothing served.
    const config = join(dir, 'mcpwatch.yaml');
    const r = await runCli(['run', '--config', config, '--web.config.file', web]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('mcpServer: /mcp would be open to anyone who reaches 0.0.0.0:');
    // RequireAndVerifyClientCert closes it too: only a client with a certificate of client_ca_file gets in.
    writeFileSync(
      web,
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' +
        '  client_ca_file: clients-ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n',
    );
    agent = await WebAgent.start(dir, web, { cert: client }, [], undefined, '0.0.0.0');
    await expect(ask(agent.port, path, opts)).rejects.toThrow();
    expect((await ask(agent.port, path, { ...opts, cert: client })).status).toBe(200);
  });

  describe('TLS + basic auth + client certificates: the image healthcheck (node dist/healthcheck.js), mcpwatch status, a real Prometheus', () => {
    let dir: string;
    let web: string;
    const healthcheck = (env: Record<string, string>): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [join(REPO, 'dist/healthcheck.js')], {
          cwd: REPO,
          env: { PATH: process.env.PATH ?? '', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });

    beforeAll(() => {
      dir = tlsDir();
      copyCert(client, dir, 'health-client');
      writeFileSync(join(dir, 'health-password'), `${PASSWORD}\n`);
      chmodSync(join(dir, 'health-password'), 0o600);
      web = webConfig(
        dir,
        `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n` +
          `  client_ca_file: clients-ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n` +
          `basic_auth_users:\n  ${USER}: '${passwordHash}'\n`,
      );
    });

    it("a real Prometheus scrapes it with the shipped prometheus.yml's example (scheme, basic_auth, tls_config)", async () => {
      agent = await WebAgent.start(dir, web, { cert: client, auth: right });
      const promDir = tempDir('mcpwatch-web-prom-');
      copyFileSync(ca.certFile, join(promDir, 'ca.crt'));
      copyFileSync(client.certFile, join(promDir, 'client.crt'));
      copyFileSync(client.keyFile, join(promDir, 'client.key'));
      writeFileSync(join(promDir, 'password'), `${PASSWORD}\n`);
      const config = promConfigFromShipped(promDir, `127.0.0.1:${agent.port}`);
      const port = await freePort();
      const prom = spawnProc('prometheus', [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ]);
      try {
        await waitForUrl(`http://127.0.0.1:${port}/-/ready`, { timeoutMs: 30_000, proc: prom, what: 'prometheus' });
        const query = async (expr: string): Promise<string[]> => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
          const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
          return body.data.result.map((r) => r.value[1]);
        };
        await agent.until(async () => (await query('up{job="mcpwatch"}'))[0] === '1', 'prometheus scraping mcpwatch');
        expect((await query('mcp_probe_success{probe="gw"}')).length).toBe(1);
      } finally {
        await killAndWait(prom);
      }
    });

    it('healthy with the client certificate and the password file; each missing piece a clear failure', async () => {
      agent = await WebAgent.start(dir, web, { cert: client, auth: right });
      const base = {
        MCPWATCH_HEALTH_URL: `http://127.0.0.1:${agent.port}/health`,
        MCPWATCH_WEB_CONFIG_FILE: web,
        MCPWATCH_HEALTH_CERT_FILE: join(dir, 'health-client.crt'),
        MCPWATCH_HEALTH_KEY_FILE: join(dir, 'health-client.key'),
        MCPWATCH_HEALTH_USER: USER,
        MCPWATCH_HEALTH_PASSWORD_FILE: join(dir, 'health-password'),
      };
      // An http:// URL is asked over https:// (the web config has TLS); the loopback server is not verified.
      expect(await healthcheck(base)).toEqual({ code: 0, out: '200 ok\n' });

      const { MCPWATCH_HEALTH_PASSWORD_FILE: _p, ...noPassword } = base;
      expect(await healthcheck(noPassword)).toEqual({
        code: 1,
        out: `health check failed: ${web} asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE\n`,
      });
      const { MCPWATCH_HEALTH_CERT_FILE: _c, ...noCert } = base;
      expect(await healthcheck(noCert)).toEqual({
        code: 1,
        out:
          `health check failed: ${web} requires a client certificate (RequireAndVerifyClientCert): ` +
          'set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE\n',
      });
      writeFileSync(join(dir, 'wrong-password'), 'nope\n');
      expect(await healthcheck({ ...base, MCPWATCH_HEALTH_PASSWORD_FILE: join(dir, 'wrong-password') })).toEqual({
        code: 1,
        out:
          `401 the agent refused the basic auth of MCPWATCH_HEALTH_USER (${USER}): ` +
          'check it and MCPWATCH_HEALTH_PASSWORD_FILE\n',
      });
      // Without the web config it asks plain HTTP of an HTTPS server: unhealthy, not a false "healthy".
      const { MCPWATCH_WEB_CONFIG_FILE: _w, ...noWeb } = base;
      expect((await healthcheck(noWeb)).code).toBe(1);
      // The web config named in the agent's config file (web.configFile) is found through MCPWATCH_CONFIG.
      const cfg = join(dir, 'named.yaml');
      writeFileSync(cfg, `web:\n  configFile: ${web}\n`);
      expect(await healthcheck({ ...noWeb, MCPWATCH_CONFIG: cfg })).toEqual({ code: 0, out: '200 ok\n' });
    });

    it('mcpwatch status (built) asks it as the healthcheck does: exit 0 or 1 as the status says, 2 naming what is missing', async () => {
      // The probe's target: a plain local server the test turns from 200 to 500.
      let answer = 200;
      const target = createServer((_req, res) => {
        res.writeHead(answer);
        res.end('gw\n');
      });
      await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
      try {
        const gw = { url: `http://127.0.0.1:${(target.address() as AddressInfo).port}`, every: '1s' };
        agent = await WebAgent.start(dir, web, { cert: client, auth: right }, [], gw);
        const port = agent.port;
        const creds = {
          MCPWATCH_HEALTH_CERT_FILE: join(dir, 'health-client.crt'),
          MCPWATCH_HEALTH_KEY_FILE: join(dir, 'health-client.key'),
          MCPWATCH_HEALTH_USER: USER,
          MCPWATCH_HEALTH_PASSWORD_FILE: join(dir, 'health-password'),
        };
        const withWeb = { ...creds, MCPWATCH_WEB_CONFIG_FILE: web };
        const outputs: string[] = [];
        const status = async (args: string[], env: Record<string, string>): Promise<CliResult> => {
          const r = await runCli(['status', ...args], { env });
          outputs.push(r.stdout, r.stderr);
          return r;
        };
        // An http:// URL asked over https:// (the web config has TLS), with the certificate and the password.
        const byUrl = ['--url', `http://127.0.0.1:${port}`];
        await agent.until(async () => (await status(byUrl, withWeb)).code === 0, 'status: all well');
        const ok = await status(byUrl, withWeb);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stdout).toContain(`mcpwatch ${VERSION} at https://127.0.0.1:${port}: up `);
        expect(ok.stdout).toContain('all well: 1 of 1 probe ok');
        const json = await status([...byUrl, '--json'], withWeb);
        expect([json.code, JSON.parse(json.stdout)]).toEqual([
          0,
          expect.objectContaining({ url: `https://127.0.0.1:${port}`, reachable: true, ok: true }),
        ]);

        // --config: the URL from its listen, the web config from its web.configFile (https because of it).
        const config = join(dir, 'status.yaml');
        writeFileSync(config, `listen: 0.0.0.0:${port}\nweb:\n  configFile: ${web}\n`);
        const byConfig = await status(['--config', config], creds);
        expect([byConfig.code, byConfig.stderr]).toEqual([0, '']);
        expect(byConfig.stdout).toContain(`at https://127.0.0.1:${port}: up `);
        // MCPWATCH_CONFIG names it as --config does.
        expect((await status([], { ...creds, MCPWATCH_CONFIG: config })).code).toBe(0);
        // No web config known: an https URL with what the environment gives.
        expect((await status(['--url', `https://127.0.0.1:${port}`], creds)).code).toBe(0);

        // Each piece missing: exit 2, what to set, before anything is sent.
        const cannot = `mcpwatch status: cannot read mcpwatch at https://127.0.0.1:${port}: `;
        const { MCPWATCH_HEALTH_PASSWORD_FILE: _p, ...noPassword } = creds;
        expect(await status(['--config', config], noPassword)).toEqual({
          code: 2,
          stdout: '',
          stderr: `${cannot}${web} asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE\n`,
        });
        const { MCPWATCH_HEALTH_CERT_FILE: _c, ...noCert } = creds;
        expect(await status(['--config', config], noCert)).toEqual({
          code: 2,
          stdout: '',
          stderr:
            `${cannot}${web} requires a client certificate (RequireAndVerifyClientCert): ` +
            'set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE\n',
        });
        writeFileSync(join(dir, 'wrong-password'), 'nope\n');
        const wrong = await status(['--config', config], {
          ...creds,
          MCPWATCH_HEALTH_PASSWORD_FILE: join(dir, 'wrong-password'),
        });
        expect([wrong.code, wrong.stderr]).toEqual([
          2,
          `${cannot}the agent refused the basic auth of MCPWATCH_HEALTH_USER (${USER}): ` +
            'check it and MCPWATCH_HEALTH_PASSWORD_FILE\n',
        ]);
        // Without the web config and without credentials: the agent's refusals, in words.
        const noAuth = await status(['--url', `https://127.0.0.1:${port}`], {
          MCPWATCH_HEALTH_CERT_FILE: creds.MCPWATCH_HEALTH_CERT_FILE,
          MCPWATCH_HEALTH_KEY_FILE: creds.MCPWATCH_HEALTH_KEY_FILE,
        });
        expect([noAuth.code, noAuth.stderr]).toEqual([
          2,
          `${cannot}the agent asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE\n`,
        ]);
        const noClientCert = await status(['--url', `https://127.0.0.1:${port}`], {
          MCPWATCH_HEALTH_USER: USER,
          MCPWATCH_HEALTH_PASSWORD_FILE: creds.MCPWATCH_HEALTH_PASSWORD_FILE,
        });
        // TLS 1.3: the server's alert comes after the handshake, on the request.
        expect([noClientCert.code, noClientCert.stderr]).toEqual([
          2,
          `${cannot}TLS failed: the agent requires a client certificate: ` +
            'set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE\n',
        ]);
        const plain = await status(byUrl, creds);
        expect(plain.code).toBe(2);
        expect(plain.stderr).toContain(`cannot read mcpwatch at http://127.0.0.1:${port}: `);
        expect(plain.stderr).toContain('give an https URL, or its web config');

        // The target fails: exit 1 with it first.
        answer = 500;
        await agent.until(async () => (await status(['--config', config], creds)).code === 1, 'status: failing');
        const failing = await status(['--config', config], creds);
        expect(failing.code).toBe(1);
        expect(failing.stdout).toContain('PROBLEMS: 1 of 1 probe failing');
        expect(failing.stdout).toMatch(/FAIL +gw +http/);

        for (const out of outputs) expect(out).not.toContain(PASSWORD);
      } finally {
        await new Promise((r) => target.close(r));
      }
    });
  });
});
