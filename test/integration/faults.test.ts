import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  connect as connectUnix,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, freePort, startAgentWith, tempDir, writeConfig } from '../support/agent-proc.js';
import { docker, ensureDocker, removeTestContainers, runContainer, uniqueName } from '../support/docker.js';
import { makeSelfSigned } from '../support/test-certs.js';

// The fault suite: every fault ends with mcpwatch still serving /metrics, its memory bounded,
// and the right outcome recorded. The agent runs as a process, as deployed. Faults below the
// MCP SDK (a server that accepts and never answers, headers then silence, an SSE stream cut in
// the middle of an event, a 100 MB body, answers that are not JSON-RPC, a wrong certificate,
// malformed Docker frames) come from small fakes written here, because no real gateway or Docker
// engine can be made to show them on demand; the Docker faults use the real engine.

const KEY = 'sk-faults-0123456789abcdef';
const MB = 1024 * 1024;

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

async function stillServing(agent: AgentProcess, maxRssMb = 200): Promise<void> {
  const res = await agent.get('/metrics');
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('mcpwatch_build_info');
  expect(rss(agent.child.pid!) / MB).toBeLessThan(maxRssMb);
}

/** The agent as a process, tailing one container's log (through the engine at `socketPath`, or the default one). */
async function tailingAgent(
  container: string,
  opts: { socketPath?: string; fromBeginning?: boolean } = {},
): Promise<AgentProcess> {
  const engine = opts.socketPath ? `  docker: { socketPath: ${opts.socketPath} }\n` : '';
  const from = opts.fromBeginning ? ', from: beginning' : '';
  return startAgentWith(`stateDir: ${tempDir()}\nlogs:\n${engine}  containers:\n    - { name: ${container}${from} }\n`);
}

async function outcome(
  agent: AgentProcess,
  probe: string,
): Promise<{ outcome: string; reason: string; durationMs: number }> {
  return (await (await agent.get(`/probe?name=${probe}`)).json()) as {
    outcome: string;
    reason: string;
    durationMs: number;
  };
}

/** A gateway whose every answer is decided by `handler` (raw node:http, no MCP SDK). */
async function rawGateway(
  handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const INIT_RESULT = (id: unknown): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '1' } },
  });

async function body(req: import('node:http').IncomingMessage): Promise<{ id?: unknown; method?: string }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString()) as { id?: unknown; method?: string };
  } catch {
    return {};
  }
}

describe('fault suite: the gateway misbehaves', () => {
  const servers: Array<{ close(): unknown }> = [];
  let agent: AgentProcess;
  let sockets: Socket[] = [];

  beforeAll(async () => {
    const refused = await freePort(); // nothing listens there

    const silent: NetServer = createNetServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    servers.push({ close: () => silent.close() });

    const stall = await rawGateway((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' }); // headers, then nothing
      res.flushHeaders();
    });
    const cut = await rawGateway(async (req, res) => {
      const m = await body(req);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message\ndata: ${INIT_RESULT(m.id).slice(0, 40)}`); // half an event, then the end
      res.end();
    });
    const huge = await rawGateway(async (req, res) => {
      await body(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(MB, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 100 && res.write(chunk)) sent++;
        if (sent < 100) res.once('drain', () => (sent++, pump()));
        else res.end();
      };
      res.on('error', () => undefined);
      pump();
    });
    const garbage = await rawGateway(async (req, res) => {
      await body(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"this": "is not JSON-RPC"}');
    });
    for (const g of [stall, cut, huge, garbage]) servers.push(g.server);

    // TLS with a certificate for another name, signed by nobody mcpwatch trusts.
    const wrong = makeSelfSigned('wrong.example', 1);
    const tls = createHttpsServer({ key: wrong.keyPem, cert: wrong.certPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    servers.push(tls);

    const port = await freePort();
    const t = (url: string): string => `{ url: "${url}", apiKey: "${KEY}", timeout: 1500ms }`;
    const cfg = writeConfig(
      tempDir(),
      `listen: 127.0.0.1:${port}
targets:
  refused: ${t(`http://127.0.0.1:${refused}`)}
  silent: ${t(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`)}
  stall: ${t(stall.url)}
  cut: ${t(cut.url)}
  huge: ${t(huge.url)}
  garbage: ${t(garbage.url)}
  tls: ${t(`https://127.0.0.1:${(tls.address() as AddressInfo).port}`)}
probes:
  - { name: refused, type: mcp_catalog, target: refused, every: 1s }
  - { name: silent, type: mcp_catalog, target: silent, every: 1s }
  - { name: stall, type: mcp_catalog, target: stall, every: 1s }
  - { name: cut, type: mcp_catalog, target: cut, every: 1s }
  - { name: huge, type: mcp_catalog, target: huge, every: 1s }
  - { name: garbage, type: mcp_catalog, target: garbage, every: 1s }
  - { name: tls, type: http, target: tls, every: 1s }
`,
    );
    agent = await AgentProcess.start(cfg, port);
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    for (const s of sockets) s.destroy();
    sockets = [];
    for (const s of servers) s.close();
  });

  it.each([
    ['refused', 'connect_error', /connection refused/],
    ['silent', 'timeout', /timeout after 1\.5s in initialize/],
    ['stall', 'timeout', /timeout after 1\.5s in initialize/],
    ['cut', 'protocol_error', /ended in the middle of an event|invalid MCP message|closed/],
    ['huge', 'protocol_error', /larger than/],
    ['garbage', 'protocol_error', /invalid MCP message|not JSON-RPC|JSON-RPC/i],
    ['tls', 'tls_error', /TLS error/],
  ])('%s → %s, within the timeout', async (probe, want, reason) => {
    const r = await outcome(agent, probe);
    expect(r.outcome, r.reason).toBe(want);
    expect(r.reason).toMatch(reason);
    expect(r.durationMs).toBeLessThan(1_500 + 1_000);
    await stillServing(agent);
  });

  it('keeps its memory flat while every fault repeats every second', async () => {
    await new Promise((r) => setTimeout(r, 3_000));
    const before = rss(agent.child.pid!);
    await new Promise((r) => setTimeout(r, 10_000));
    const after = rss(agent.child.pid!);
    // Ten rounds of a 100 MB answer among them: memory must not grow with what was sent.
    expect((after - before) / MB).toBeLessThan(40);
    await stillServing(agent);
    const runs = Number(
      /mcp_probe_runs_total\{probe="huge",target="huge",type="mcp_catalog",outcome="protocol_error"\} (\d+)/.exec(
        await agent.text('/metrics'),
      )?.[1],
    );
    expect(runs).toBeGreaterThanOrEqual(8);
  }, 30_000);
});

describe('fault suite: config reloads', () => {
  it('100 reloads in a row, half of them invalid: serving throughout, the last valid config running', async () => {
    const port = await freePort();
    const dir = tempDir();
    const good = (n: number): string =>
      `listen: 127.0.0.1:${port}\ntargets:\n  t: { url: "http://127.0.0.1:9" }\nprobes:\n${Array.from({ length: n }, (_, i) => `  - { name: p${i}, type: http, target: t, every: 1h }`).join('\n')}\n`;
    const cfg = writeConfig(dir, good(1));
    const agent = await AgentProcess.start(cfg, port, {}, ['--web.enable-lifecycle']);
    try {
      const before = rss(agent.child.pid!);
      for (let i = 0; i < 100; i++) {
        const valid = i % 2 === 0;
        writeFileSync(
          cfg,
          valid ? good((i % 7) + 1) : `${good(3)}  - { name: broken, type: http, target: nowhere, every: 10x }\n`,
        );
        const res = await agent.get('/-/reload', { method: 'POST' });
        expect(res.status, `reload ${i}`).toBe(valid ? 200 : 400);
        expect((await agent.get('/health')).status).toBe(200);
      }
      // The last reload (i = 99) was invalid: the one before (i = 98, 1 probe) runs.
      expect(await agent.metric('mcpwatch_config_last_reload_successful')).toBe(0);
      const status = (await (await agent.get('/status')).json()) as { probes: Array<{ name: string }> };
      expect(status.probes.map((p) => p.name)).toEqual(['p0']);
      const text = await agent.text('/metrics');
      expect(text).not.toContain('probe="p5"'); // series of removed probes are gone
      expect((rss(agent.child.pid!) - before) / MB).toBeLessThan(40);
      await stillServing(agent);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});

describe('fault suite: Docker', () => {
  let agent: AgentProcess | undefined;
  beforeAll(() => {
    ensureDocker();
  });
  afterAll(async () => {
    await agent?.stop();
    await removeTestContainers();
  });

  it('the Docker socket removed and put back: degraded, then following again', async () => {
    // mcpwatch talks to Docker through a socket of the test's: a forwarder to the real one.
    // "Removed" is what a stopped daemon leaves: the file gone and every connection closed.
    const dir = tempDir();
    const sock = join(dir, 'docker.sock');
    let conns: Socket[] = [];
    const listen = async (): Promise<NetServer> => {
      const srv = createNetServer((client) => {
        const up = connectUnix('/var/run/docker.sock');
        conns.push(client, up);
        client.pipe(up).pipe(client);
        client.on('error', () => up.destroy());
        up.on('error', () => client.destroy());
      });
      await new Promise<void>((r) => srv.listen(sock, () => r()));
      return srv;
    };
    let forwarder = await listen();
    const name = uniqueName('fault-sock');
    await runContainer({ name, cmd: ['sh', '-c', 'while true; do echo tick; usleep 200000; done'] });
    agent = await tailingAgent(name, { socketPath: sock });
    await agent.waitForTail(name, 15_000);
    const closed = new Promise<void>((r) => forwarder.close(() => r()));
    for (const c of conns) c.destroy();
    conns = [];
    await closed;
    if (existsSync(sock)) rmSync(sock);
    await agent.waitFor(async () => (await agent!.metric('mcpwatch_docker_up')) === 0, 20_000, 'docker down');
    expect(await agent.metric('mcpwatch_log_tail_up', { container: name })).toBe(0);
    const h = (await (await agent.get('/health')).json()) as { status: string };
    expect(h.status).toBe('degraded');
    await stillServing(agent);
    forwarder = await listen();
    await agent.waitFor(async () => (await agent!.metric('mcpwatch_docker_up')) === 1, 30_000, 'docker up again');
    await agent.waitForTail(name, 30_000, 'tail up again');
    await agent.stop();
    agent = undefined;
    forwarder.close();
    for (const c of conns) c.destroy();
  }, 90_000);

  it('a tailed container flapping every second for a minute: every line counted once, memory bounded', async () => {
    const name = uniqueName('fault-flap');
    await runContainer({
      name,
      cmd: [
        'sh',
        '-c',
        'i=0; while [ $i -lt 5 ]; do echo "INFO:     10.0.0.1:5 - \\"POST /mcp/ HTTP/1.1\\" 401 Unauthorized"; i=$((i+1)); done; sleep 0.4',
      ],
      extraArgs: ['--restart', 'always'],
    });
    agent = await tailingAgent(name, { fromBeginning: true });
    const before = rss(agent.child.pid!);
    await new Promise((r) => setTimeout(r, 60_000));
    await docker(['update', '--restart', 'no', name]);
    await docker(['stop', '-t', '0', name]);
    const truth = (await docker(['logs', name])).stdout.split('\n').length - 1;
    await agent.waitFor(
      async () =>
        Number(
          /mcpwatch_log_lines_total\{container="[^"]+",stream="stdout"\} (\d+)/.exec(
            await agent!.text('/metrics'),
          )?.[1],
        ) === truth,
      20_000,
      `${truth} lines`,
    );
    expect(await agent.metric('mcpwatch_log_matches_total', { container: name, category: 'http', kind: '401' })).toBe(
      truth,
    );
    expect((rss(agent.child.pid!) - before) / MB).toBeLessThan(40);
    await stillServing(agent);
    await agent.stop();
    agent = undefined;
  }, 150_000);

  it('a log line of 10 MB: counted once, memory bounded', async () => {
    const name = uniqueName('fault-10mb');
    await runContainer({
      name,
      cmd: ['sh', '-c', 'echo before; head -c 10485760 /dev/zero | tr "\\0" x; echo; echo after; sleep 3600'],
    });
    agent = await tailingAgent(name, { fromBeginning: true });
    await agent.waitFor(
      async () => (await agent!.metric('mcpwatch_log_lines_total', { container: name, stream: 'stdout' })) === 3,
      30_000,
      '3 lines',
    );
    await stillServing(agent, 250);
    await agent.stop();
    agent = undefined;
  }, 60_000);

  it('malformed Docker frames (a fake Docker API): the tail reconnects, nothing crashes', async () => {
    // A fake Docker engine on a unix socket: its log stream sends garbage where frame headers go.
    const dir = tempDir();
    const sock = join(dir, 'fake-docker.sock');
    let logRequests = 0;
    const fake = createHttpServer((req, res) => {
      const url = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      if (url.includes('/_ping')) return res.end('OK');
      if (url.includes('/events')) return res.writeHead(200).flushHeaders();
      if (url.includes('/containers/json')) return res.end(JSON.stringify([{ Id: 'f'.repeat(64), Names: ['/fake'] }]));
      if (url.includes('/logs')) {
        logRequests++;
        res.setHeader('content-type', 'application/vnd.docker.multiplexed-stream');
        const good = Buffer.from('2026-11-24T10:00:00.000000001Z hello\n');
        const header = Buffer.from([1, 0, 0, 0, 0, 0, 0, good.length]);
        res.write(Buffer.concat([header, good, Buffer.from('GARBAGE! not a frame header at all\n')]));
        return setTimeout(() => res.end(), 200);
      }
      if (url.includes('/json'))
        return res.end(
          JSON.stringify({
            Id: 'f'.repeat(64),
            Created: '2020-01-01T00:00:00Z',
            State: { Running: true },
            Config: { Tty: false },
          }),
        );
      res.statusCode = 404;
      res.end('{}');
    });
    if (existsSync(sock)) rmSync(sock);
    mkdirSync(dir, { recursive: true });
    await new Promise<void>((r) => fake.listen(sock, () => r()));
    agent = await tailingAgent('fake', { socketPath: sock, fromBeginning: true });
    await agent.waitFor(() => logRequests >= 3, 30_000, 'the tail reconnects after corrupt streams');
    // "hello" counted once
    expect(await agent.metric('mcpwatch_log_lines_total', { container: 'fake', stream: 'stdout' })).toBe(1);
    await stillServing(agent);
    await agent.stop();
    agent = undefined;
    fake.close();
  }, 60_000);
});
