import { request } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentProcess,
  AgentSlot,
  BIN,
  freePort,
  REPO,
  runCli,
  sampleValue,
  startAgentWith,
  tempDir,
  writeConfig,
} from '../support/agent-proc.js';
import { killAndWait, spawnProc, type Proc } from '../support/proc.js';

// The HTTP surface of a real `mcpwatch run` (the built CLI): DNS-rebinding protection on every route
// (a rebound Host, a foreign Origin), POST /-/reload only with --web.enable-lifecycle (or
// web.enableLifecycle) while SIGHUP always reloads, /-/healthy and /-/ready through a start, and /mcp
// refused at start when it would be open to the network without a token.

interface Answer {
  status: number;
  body: string;
}

/**
 * One request with the headers as given: a browser's Host and Origin, which fetch() will not let a
 * test set. `via` is where the TCP connection goes; `headers.host` is what the request claims.
 */
function send(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; via?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: opts.via ?? '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const ROUTES = [
  ['GET', '/status'],
  ['GET', '/probe?name=dead'],
  ['GET', '/metrics'],
  ['POST', '/-/reload'],
] as const;

/** A probe that fails fast and runs once an hour: its run count tells whether anything ran it. */
const deadProbe = (deadPort: number): string =>
  `targets:\n  gw: { url: "http://127.0.0.1:${deadPort}" }\n` +
  'probes:\n  - { name: dead, type: http, target: gw, auth: false, every: 1h }\n';

async function runsOf(agent: AgentProcess, probe: string): Promise<number> {
  const status = (await (await agent.get('/status')).json()) as { probes: Array<{ name: string; runs: number }> };
  return status.probes.find((p) => p.name === probe)?.runs ?? -1;
}

describe('DNS-rebinding protection on every route, listening on loopback with no lists (the default config)', () => {
  let agent: AgentProcess;
  let deadPort: number;
  beforeAll(async () => {
    deadPort = await freePort();
    agent = await startAgentWith(deadProbe(deadPort), {}, ['--web.enable-lifecycle']);
    await agent.waitFor(async () => (await runsOf(agent, 'dead')) === 1, 10_000, 'the first run');
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
  });

  it.each(ROUTES)('%s %s: a rebound name in Host is 403, and nothing runs or reloads', async (method, path) => {
    const loadedAt = await agent.metric('mcpwatch_config_last_reload_success_timestamp_seconds');
    const res = await send(agent.port, path, { method, headers: { host: `rebound.example.com:${agent.port}` } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({
      error:
        `Forbidden: Host "rebound.example.com:${agent.port}" is not a loopback name, and mcpwatch listens on a ` +
        'loopback address (a name that resolves to it from elsewhere is a DNS-rebinding attack, or a proxy: list ' +
        'it in web.allowedHosts)',
    });
    expect(await runsOf(agent, 'dead')).toBe(1);
    expect(await agent.metric('mcpwatch_config_last_reload_success_timestamp_seconds')).toBe(loadedAt);
  });

  it.each(ROUTES)('%s %s: a foreign Origin is 403, and nothing runs or reloads', async (method, path) => {
    const res = await send(agent.port, path, {
      method,
      headers: { host: `127.0.0.1:${agent.port}`, origin: 'https://attacker.example.com' },
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({
      error: 'Forbidden: Origin "https://attacker.example.com" is not in web.allowedOrigins',
    });
    expect(await runsOf(agent, 'dead')).toBe(1);
  });

  it("the same requests from the server's own names pass: Prometheus, curl, a page of its own", async () => {
    for (const host of [`127.0.0.1:${agent.port}`, `localhost:${agent.port}`])
      expect((await send(agent.port, '/metrics', { headers: { host } })).status).toBe(200);
    const own = { host: `localhost:${agent.port}`, origin: `http://localhost:${agent.port}` };
    expect((await send(agent.port, '/status', { headers: own })).status).toBe(200);
    expect((await send(agent.port, '/-/reload', { method: 'POST', headers: own })).status).toBe(200);
    // Another local program's page (another port) is another origin.
    const other = { ...own, origin: `http://localhost:${agent.port + 1}` };
    expect((await send(agent.port, '/status', { headers: other })).status).toBe(403);
    // And the refused requests were logged, naming what was refused.
    expect(agent.stdout).toMatch(/"origin":"https:\/\/attacker\.example\.com".*request refused: Origin or Host/);
  });
});

describe('web.allowedHosts on an agent listening on every interface', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    const port = await freePort();
    const cfg = writeConfig(
      tempDir(),
      `listen: 0.0.0.0:${port}\n${deadProbe(await freePort())}web:\n  allowedHosts: [mcpwatch.example.test]\n`,
    );
    agent = await AgentProcess.start(cfg, port);
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
  });

  it('a listed name and the loopback names pass; any other name is 403 on every route', async () => {
    const p = agent.port;
    expect((await send(p, '/status', { headers: { host: `mcpwatch.example.test:${p}` } })).status).toBe(200);
    expect((await send(p, '/status', { headers: { host: `127.0.0.1:${p}` } })).status).toBe(200);
    for (const [method, path] of ROUTES) {
      const res = await send(p, path, { method, headers: { host: `rebound.example.com:${p}` } });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(JSON.parse(res.body)).toEqual({
        error: `Forbidden: Host "rebound.example.com:${p}" is not in web.allowedHosts`,
      });
    }
    // The server's own page by a listed name may POST to itself (its Origin is the Host's).
    const own = { host: `mcpwatch.example.test:${p}`, origin: `http://mcpwatch.example.test:${p}` };
    expect((await send(p, '/status', { headers: own })).status).toBe(200);
  });
});

describe('POST /-/reload needs --web.enable-lifecycle (or web.enableLifecycle); SIGHUP always reloads', () => {
  const slot = new AgentSlot();
  afterEach(async () => {
    await slot.kill();
  });

  const withSecond = (yaml: string): string =>
    `${yaml}  - { name: second, type: http, target: gw, auth: false, every: 1h }\n`;

  it('without the flag: 403 saying how to turn it on, the config untouched; SIGHUP reloads', async () => {
    const agent = await slot.start(deadProbe(await freePort()));
    const refused = await agent.get('/-/reload', { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      status: 'error',
      error:
        'POST /-/reload is disabled: start mcpwatch with --web.enable-lifecycle (or set web.enableLifecycle: ' +
        'true), or send it SIGHUP, which always reloads',
    });
    writeFileSync(agent.configPath, withSecond(readFileSync(agent.configPath, 'utf8')));
    // Not applied by the refused request: still one probe.
    expect(await runsOf(agent, 'second')).toBe(-1);
    agent.child.kill('SIGHUP');
    await agent.waitFor(async () => (await runsOf(agent, 'second')) >= 0, 10_000, 'the reload by SIGHUP');
  });

  it('web.enableLifecycle: true, taken by a SIGHUP reload, turns it on for the next request', async () => {
    const agent = await slot.start(deadProbe(await freePort()));
    expect((await agent.get('/-/reload', { method: 'POST' })).status).toBe(403);
    writeFileSync(agent.configPath, `${readFileSync(agent.configPath, 'utf8')}web: { enableLifecycle: true }\n`);
    agent.child.kill('SIGHUP');
    await agent.waitFor(
      async () => (await agent.get('/-/reload', { method: 'POST' })).status === 200,
      10_000,
      'POST /-/reload 200 after the SIGHUP reload',
    );
  });

  it('with the flag: 200, and the new config runs', async () => {
    const agent = await slot.start(deadProbe(await freePort()), {}, ['--web.enable-lifecycle']);
    writeFileSync(agent.configPath, withSecond(readFileSync(agent.configPath, 'utf8')));
    const ok = await agent.get('/-/reload', { method: 'POST' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok' });
    expect(await runsOf(agent, 'second')).toBeGreaterThanOrEqual(0);
  });
});

describe('/-/healthy and /-/ready through a start', () => {
  let proc: Proc | undefined;
  afterEach(async () => {
    if (proc) await killAndWait(proc);
    proc = undefined;
  });

  it('/-/ready is 503 while the agent starts (its probe code loading, held here), then 200; /-/healthy 200 throughout', async () => {
    // A start that takes its time (a slow disk, a cold cache) cannot be made to order with a real component:
    // a module hook holds the loading of the http probe's code, which the agent does after it listens and
    // before its scheduler starts, until the test creates the gate file.
    const dir = tempDir();
    const gate = join(dir, 'gate');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
let gate;
export async function initialize(data) { gate = data.gate; }
export async function load(url, context, next) {
  if (url.endsWith('/dist/probes/http/run.js')) while (!existsSync(gate)) await sleep(20);
  return next(url, context);
}
`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url), { data: { gate: ${JSON.stringify(gate)} } });
`,
    );
    const port = await freePort();
    const cfg = writeConfig(dir, `listen: 127.0.0.1:${port}\n${deadProbe(await freePort())}`);
    proc = spawnProc(process.execPath, [BIN, 'run', '--config', cfg], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'register.mjs')).href}` },
      name: 'mcpwatch (gated start)',
    });
    const answer = (path: string): Promise<Answer | undefined> => send(port, path).catch(() => undefined);
    const deadline = Date.now() + 20_000;
    while ((await answer('/-/healthy'))?.status !== 200) {
      if (!proc.running || Date.now() > deadline) throw new Error(`/-/healthy never answered 200\n${proc.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(existsSync(gate)).toBe(false);
    expect(await answer('/-/ready')).toEqual({ status: 503, body: 'mcpwatch is not ready: starting.\n' });
    expect((await answer('/health'))?.status).toBe(503); // its scheduler is not running yet either
    expect(await answer('/-/healthy')).toEqual({ status: 200, body: 'mcpwatch is healthy.\n' });

    writeFileSync(gate, '');
    while ((await answer('/-/ready'))?.status !== 200) {
      if (!proc.running || Date.now() > deadline) throw new Error(`/-/ready never answered 200\n${proc.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await answer('/-/ready')).toEqual({ status: 200, body: 'mcpwatch is ready.\n' });
    expect(sampleValue((await answer('/metrics'))!.body, 'mcpwatch_config_last_reload_successful')).toBe(1);
    expect(await killAndWait(proc)).toBe(0);
  }, 60_000);
});

describe('/mcp is never open to the network by accident', () => {
  it('enabled with no token on 0.0.0.0: refused at start (exit 2) naming what to set; nothing listens', async () => {
    const port = await freePort();
    const dir = tempDir();
    const cfg = writeConfig(
      dir,
      `listen: 0.0.0.0:${port}\n${deadProbe(await freePort())}mcpServer: { enabled: true }\n`,
    );
    const r = await runCli(['run', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `mcpServer: /mcp would be open to anyone who reaches 0.0.0.0:${port} (not a loopback address) with no token: ` +
        'set mcpServer.token or mcpServer.tokenFile, listen on a loopback address (127.0.0.1:9464), or set ' +
        'mcpServer.allowUnauthenticated: true if something in front of mcpwatch checks who asks',
    );
    await expect(send(port, '/-/healthy')).rejects.toThrow(/ECONNREFUSED/);
    // check-config says the same.
    const check = await runCli(['check-config', '--config', cfg]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`mcpServer: /mcp would be open to anyone who reaches 0.0.0.0:${port}`);
  });

  it('with a token file it starts, and /mcp asks for the token (which appears in no output)', async () => {
    const port = await freePort();
    const dir = tempDir();
    const token = 'web-guard-test-token-0123456789';
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    const cfg = writeConfig(
      dir,
      `listen: 0.0.0.0:${port}\n${deadProbe(await freePort())}mcpServer: { tokenFile: ${tokenFile} }\n`,
    );
    const agent = await AgentProcess.start(cfg, port);
    try {
      const init = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      };
      const post = (authorization?: string): Promise<Response> =>
        agent.get('/mcp', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...(authorization && { authorization }),
          },
          body: JSON.stringify(init),
        });
      expect((await post()).status).toBe(401);
      expect((await post(`Bearer ${token}`)).status).toBe(200);
    } finally {
      await agent.stop();
    }
    expect(agent.stdout + agent.stderr).not.toContain(token);
  });

  it('check-config warns about the old mcpServer lists, naming where they go', async () => {
    const cfg = writeConfig(tempDir(), 'mcpServer:\n  allowedOrigins: ["http://localhost:9464"]\n');
    const r = await runCli(['check-config', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'warning: mcpServer.allowedOrigins: deprecated: move it to web.allowedOrigins (it applies to every route now, ' +
        'not only /mcp)',
    );
  });
});
