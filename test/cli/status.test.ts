import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeError, parseStatusUrl, showStatus, urlFromConfig } from '../../src/cli/status.js';
import { freePort, REPO, tempDir, writeConfig } from '../support/agent-proc.js';
import { captured } from '../support/std-output.js';

// `mcpwatch status` around its renderer: the URL (--url, the config's listen), the two requests, why an agent
// cannot be read, the exit codes; against local HTTP servers that answer as an agent, as something else, or not.

describe('parseStatusUrl', () => {
  it.each([
    ['http://127.0.0.1:9464', 'http://127.0.0.1:9464/'],
    ['127.0.0.1:9464', 'http://127.0.0.1:9464/'],
    ['https://mon.lan/mcpwatch', 'https://mon.lan/mcpwatch/'],
    ['http://[::1]:9464/?x=1#y', 'http://[::1]:9464/'],
  ])('%s → %s', (s, href) => {
    const u = parseStatusUrl(s);
    expect(u instanceof URL && u.href).toBe(href);
  });

  it.each([
    ['http://', 'expected the agent\'s URL (e.g. http://127.0.0.1:9464), got "http://"'],
    ['ftp://host:21', 'expected an http or https URL, got ftp'],
    [
      'http://admin:s3cret@host:9464',
      'credentials in the URL are not used (basic auth: MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE)',
    ],
  ])('%s is refused', (s, error) => {
    expect(parseStatusUrl(s)).toEqual({ error });
  });

  it('never repeats credentials written in the URL, valid or not', () => {
    expect(JSON.stringify(parseStatusUrl('http://admin:s3cret@host:9464'))).not.toContain('s3cret');
    expect(parseStatusUrl('http://admin:s3cret@')).toEqual({
      error: 'expected the agent\'s URL (e.g. http://127.0.0.1:9464), got "http://***@"',
    });
  });
});

describe("urlFromConfig: the config's listen, read without the rest of the config", () => {
  const at = (yaml: string): string => writeConfig(tempDir(), yaml);
  const href = async (path: string, env: Record<string, string> = {}, named = true): Promise<string> => {
    const u = await urlFromConfig(path, named, env);
    return u instanceof URL ? u.href : u.error;
  };

  it.each([
    ['listen: 0.0.0.0:9500\n', 'http://127.0.0.1:9500/'],
    ['listen: ":9501"\n', 'http://127.0.0.1:9501/'],
    ['listen: "[::]:9502"\n', 'http://[::1]:9502/'],
    ['listen: "[fd00::5]:9503"\n', 'http://[fd00::5]:9503/'],
    ['listen: mon.lan:9504\n', 'http://mon.lan:9504/'],
    ['logLevel: info\n', 'http://127.0.0.1:9464/'],
    ['listen: ${MCPWATCH_LISTEN:-127.0.0.2:9505}\n', 'http://127.0.0.2:9505/'],
  ])('%j → %s', async (yaml, url) => {
    expect(await href(at(yaml))).toBe(url);
  });

  it('a variable the rest of the config needs and this shell lacks does not matter (only listen is read)', async () => {
    const path = at('listen: 127.0.0.1:9600\ntargets:\n  gw: { url: "http://gw", apiKey: "${LITELLM_MASTER_KEY}" }\n');
    expect(await href(path)).toBe('http://127.0.0.1:9600/');
  });

  it('listen from the environment', async () => {
    expect(await href(at('listen: ${LISTEN}\n'), { LISTEN: '0.0.0.0:9700' })).toBe('http://127.0.0.1:9700/');
  });

  it.each([
    ['listen: ${LISTEN}\n', 'listen: environment variable LISTEN is not set'],
    ['listen: nowhere\n', 'listen is not host:port: "nowhere"'],
    ['listen: 9464\n', 'listen is not host:port'],
    ['listen: [a\n', 'not YAML: '],
  ])('%j: an error naming the file and --url', async (yaml, why) => {
    const path = at(yaml);
    const error = await href(path);
    expect(error).toContain(`cannot tell where the agent listens from ${path}: ${why}`);
    expect(error).toMatch(/\(give --url\)$/);
  });

  it('no file at the default path: the default URL; a named file that is not there: an error', async () => {
    const missing = join(tempDir(), 'mcpwatch.yaml');
    expect(await href(missing, {}, false)).toBe('http://127.0.0.1:9464/');
    expect(await href(missing, {}, true)).toBe(
      `cannot tell where the agent listens from ${missing}: no such file (give --url)`,
    );
  });
});

describe('describeError', () => {
  const base = new URL('http://127.0.0.1:9464/');
  const err = (message: string, code?: string, name = 'Error'): Error =>
    Object.assign(new Error(message), { name, ...(code && { code }) });

  it.each([
    [
      err('connect ECONNREFUSED 127.0.0.1:9464', 'ECONNREFUSED'),
      'connection refused: nothing listens at 127.0.0.1:9464',
    ],
    [err('The operation was aborted', 'ABORT_ERR', 'AbortError'), 'timeout: no answer within 5s'],
    [err('getaddrinfo ENOTFOUND 127.0.0.1', 'ENOTFOUND'), 'host not found: 127.0.0.1 (ENOTFOUND)'],
    [err('socket hang up', 'ECONNRESET'), 'the connection to 127.0.0.1:9464 was closed without an answer (ECONNRESET)'],
    [
      err('Parse Error: Expected HTTP/', 'HPE_INVALID_CONSTANT'),
      'not mcpwatch: what 127.0.0.1:9464 answered is not HTTP',
    ],
    [
      err('write EPROTO …:ssl3_get_record:wrong version number:…\n', 'EPROTO'),
      'TLS failed: 127.0.0.1:9464 does not speak TLS',
    ],
    [err('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), 'TLS failed: self-signed certificate'],
    [err('something else', 'EWHATEVER'), 'something else (EWHATEVER)'],
  ])('%s', (e, text) => {
    expect(describeError(e, base, 5_000)).toContain(text);
  });

  it("an agent behind a web config: what to set or give, by the URL's scheme and the TLS alert", () => {
    const tls = new URL('https://127.0.0.1:9464/');
    const reset = err('socket hang up', 'ECONNRESET');
    expect(describeError(reset, base, 5_000)).toContain(
      'give an https URL, or its web config (MCPWATCH_WEB_CONFIG_FILE, or web.configFile in --config)',
    );
    expect(describeError(reset, tls, 5_000)).toContain(
      'One that requires a client certificate takes it from MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE',
    );
    const required = err(
      'error:0A00045C:SSL routines::tlsv13 alert certificate required',
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    );
    expect(describeError(required, tls, 5_000)).toBe(
      'TLS failed: the agent requires a client certificate: set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE',
    );
    const unknownCa = err('error:0A000418:SSL routines::tlsv1 alert unknown ca', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
    expect(describeError(unknownCa, tls, 5_000)).toContain(
      'TLS failed: the agent refused the client certificate of MCPWATCH_HEALTH_CERT_FILE (',
    );
  });
});

describe('showStatus against local servers', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function serve(handler: RequestListener): Promise<URL> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  }

  const fixture = (name: string): string => readFileSync(join(REPO, 'test/fixtures/status', name), 'utf8');

  /** An agent answering /status and /health with a fixture's bodies (/health with the agent's 200 or 503). */
  const agent = (name: string, healthCode = 200): Promise<URL> =>
    serve((req, res) => {
      const body = req.url === '/status' ? fixture(`${name}.status.json`) : fixture(`${name}.health.json`);
      res.writeHead(req.url === '/health' ? healthCode : 200, { 'content-type': 'application/json' });
      res.end(body);
    });

  const run = (url: URL, json = false, timeoutMs?: number) =>
    captured(() =>
      showStatus({ url, json, configPath: '/nonexistent', configNamed: false, ...(timeoutMs && { timeoutMs }) }, {}),
    );

  it('something fails: exit 1, the failing first', async () => {
    const url = await agent('litellm-shard');
    const r = await run(url);
    expect(r.value).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(`mcpwatch 0.1.0 at ${url.origin}: up 2h5m, health degraded`);
    expect(r.stdout).toContain('PROBLEMS: 1 of 4 probes failing, 1 server down (mcp_postgres)');
    expect(r.stderr).toBe('');
  });

  it('--json: one JSON object, the summary', async () => {
    const url = await agent('agent-failing', 200);
    const r = await run(url, true);
    expect(r.value).toBe(1);
    const s = JSON.parse(r.stdout) as { url: string; reachable: boolean; ok: boolean; probes: unknown[] };
    expect(s).toMatchObject({ url: url.origin, reachable: true, ok: false });
    expect(s.probes).toHaveLength(4);
  });

  it('an unhealthy agent (503 on /health) is still read: exit 1', async () => {
    const url = await serve((req, res) => {
      res.writeHead(req.url === '/health' ? 503 : 200, { 'content-type': 'application/json' });
      res.end(
        req.url === '/status'
          ? fixture('agent-failing.status.json')
          : JSON.stringify({
              status: 'unhealthy',
              checks: { eventLoop: { status: 'fail', message: 'blocked' } },
              targets: {},
            }),
      );
    });
    const r = await run(url);
    expect(r.value).toBe(1);
    expect(r.stdout).toContain('  FAIL   eventLoop: blocked');
  });

  it('all well: exit 0', async () => {
    const status = JSON.parse(fixture('agent-failing.status.json')) as {
      probes: Array<{ name: string }>;
      logs?: unknown;
    };
    status.probes = status.probes.filter((p) => p.name === 'self-health');
    delete status.logs;
    const health = { status: 'ok', checks: { config: { status: 'ok' } }, targets: {} };
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/status' ? status : health));
    });
    const r = await run(url);
    expect(r.value).toBe(0);
    expect(r.stdout).toContain('all well: 1 of 1 probe ok');
  });

  it('a base path (a proxy prefix) is kept', async () => {
    const url = await serve((req, res) => {
      const name = { '/mon/status': 'status', '/mon/health': 'health' }[req.url ?? ''];
      res.writeHead(name ? 200 : 404, { 'content-type': 'application/json' });
      res.end(name ? fixture(`litellm-shard.${name}.json`) : '{}');
    });
    const r = await run(new URL('mon/', url));
    expect(r.value).toBe(1);
    expect(r.stdout).toContain(`at ${url.origin}/mon:`);
  });

  it.each([
    [
      'an HTML page',
      ((_req, res) => {
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<html>nope</html>');
      }) as RequestListener,
      'not mcpwatch: GET /status answered 404 text/html, not JSON',
    ],
    [
      'JSON of something else',
      ((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"healthy"}');
      }) as RequestListener,
      "not mcpwatch: GET /status answered 200 with JSON that is not mcpwatch's /status",
    ],
  ])('%s: exit 2, not mcpwatch', async (_what, handler, error) => {
    const url = await serve(handler);
    const r = await run(url);
    expect(r.value).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`mcpwatch status: cannot read mcpwatch at ${url.origin}: ${error}\n`);
  });

  it('no answer: exit 2, timeout', async () => {
    const url = await serve(() => undefined);
    const r = await run(url, false, 300);
    expect(r.value).toBe(2);
    expect(r.stderr).toContain('timeout: no answer within 0.3s');
  });

  it('nothing listening: exit 2, connection refused; --json says so in one object', async () => {
    const url = new URL(`http://127.0.0.1:${await freePort()}/`);
    const text = await run(url);
    expect(text.value).toBe(2);
    expect(text.stderr).toContain(`connection refused: nothing listens at ${url.host}`);
    const json = await run(url, true);
    expect(json.value).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      url: url.origin,
      reachable: false,
      error: expect.stringContaining('connection refused') as string,
    });
  });

  it("without --url: the config's listen", async () => {
    const url = await agent('litellm-shard');
    const path = writeConfig(tempDir(), `listen: 0.0.0.0:${url.port}\n`);
    const r = await captured(() => showStatus({ json: false, configPath: path, configNamed: true }, {}));
    expect(r.value).toBe(1);
    expect(r.stdout).toContain(`at http://127.0.0.1:${url.port}:`);
  });

  it('a config that cannot say where: exit 2 with the reason', async () => {
    const path = writeConfig(tempDir(), 'listen: nowhere\n');
    const r = await captured(() => showStatus({ json: false, configPath: path, configNamed: true }, {}));
    expect(r.value).toBe(2);
    expect(r.stderr).toContain('listen is not host:port');
  });
});

describe('showStatus behind a web config with basic auth (the rules of config/web-client.ts)', () => {
  const PASSWORD = 'correct horse battery staple';
  const HASH = '$2y$10$O8LEq.7JhU.30o8DEV92TO2tQL1hxKiaKKxhxk8uyzkFfiPy/DeTm';
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  it('asks with MCPWATCH_HEALTH_USER and its password file; without them, or refused, exit 2 saying what to set', async () => {
    const want = `Basic ${Buffer.from(`prometheus:${PASSWORD}`).toString('base64')}`;
    const fixture = (name: string): string => readFileSync(join(REPO, 'test/fixtures/status', name), 'utf8');
    server = createServer((req, res) => {
      if (req.headers.authorization !== want) {
        res.writeHead(401, { 'www-authenticate': 'Basic' });
        res.end('Unauthorized\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(fixture(`litellm-shard.${req.url === '/status' ? 'status' : 'health'}.json`));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dir = tempDir();
    const web = join(dir, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  prometheus: '${HASH}'\n`);
    const pw = join(dir, 'pw');
    writeFileSync(pw, `${PASSWORD}\n`);
    // The agent's config names the web config; the status command reads it for its listen and its web.configFile.
    const config = writeConfig(dir, `listen: 127.0.0.1:${port}\nweb:\n  configFile: ${web}\n`);
    const run = (env: Record<string, string>, json = false) =>
      captured(() => showStatus({ json, configPath: config, configNamed: true }, env));

    const ok = await run({ MCPWATCH_HEALTH_USER: 'prometheus', MCPWATCH_HEALTH_PASSWORD_FILE: pw });
    expect([ok.value, ok.stderr]).toEqual([1, '']);
    expect(ok.stdout).toContain(`at http://127.0.0.1:${port}:`);

    const none = await run({});
    expect(none.value).toBe(2);
    expect(none.stderr).toBe(
      `mcpwatch status: cannot read mcpwatch at http://127.0.0.1:${port}: ` +
        `${web} asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE\n`,
    );

    // Without the web config (an agent named by --url only), a 401 says the same.
    const url = new URL(`http://127.0.0.1:${port}/`);
    const unknown = await captured(() =>
      showStatus({ url, json: true, configPath: join(dir, 'none.yaml'), configNamed: false }, {}),
    );
    expect(unknown.value).toBe(2);
    expect(JSON.parse(unknown.stdout)).toEqual({
      url: url.origin,
      reachable: false,
      error: 'the agent asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE',
    });

    writeFileSync(join(dir, 'wrong'), 'nope\n');
    const wrong = await run({ MCPWATCH_HEALTH_USER: 'prometheus', MCPWATCH_HEALTH_PASSWORD_FILE: join(dir, 'wrong') });
    expect(wrong.value).toBe(2);
    expect(wrong.stderr).toContain(
      'the agent refused the basic auth of MCPWATCH_HEALTH_USER (prometheus): check it and MCPWATCH_HEALTH_PASSWORD_FILE',
    );
    for (const r of [ok, none, unknown, wrong]) {
      expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
      expect(`${r.stdout}${r.stderr}`).not.toContain(want.slice(6));
    }
  });
});
