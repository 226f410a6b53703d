import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, AgentSlot, sumSamples, tempDir } from '../support/agent-proc.js';
import {
  docker,
  DOCKER_SOCKET,
  ensureDocker,
  removeContainer,
  runContainer,
  uniqueName,
  waitDone,
} from '../support/docker.js';

// Against a real Docker engine:
// - mcpwatch reaches Docker only through a GET-only proxy that lets through what
//   tecnativa/docker-socket-proxy with CONTAINERS=1 EVENTS=1 lets through (`logs.docker.url`), and
//   still counts every line and follows a restart: read-only access is enough.
// - mcpwatch is stopped and started again and again while a container writes to stdout and
//   stderr at the same time (no pause): the lines each run counted (it logs them when it stops)
//   add up to exactly what Docker holds. This is where a single cursor for both streams goes
//   wrong: Docker can write a stderr line after a stdout line stamped later than it.

const AUTH_LINE =
  '10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.';

/** Two writers at once: `n` access lines on stdout and `n` lines on stderr (every 20th an auth record), then DONE. */
function twoStreams(n: number, delayUs: number): string[] {
  const script = [
    `(i=0; while [ $i -lt ${n} ]; do echo "INFO:     10.0.0.1:5 - \\"GET /health HTTP/1.1\\" 200 OK $i"; i=$((i+1)); usleep ${delayUs}; done) &`,
    `(i=0; while [ $i -lt ${n} ]; do if [ $((i % 20)) -eq 0 ]; then echo '${AUTH_LINE}' >&2; echo 'Requester IP Address:10.0.0.9' >&2; else echo "stderr line $i" >&2; fi; i=$((i+1)); usleep ${delayUs}; done) &`,
    'wait',
    'echo DONE',
    'sleep 3600',
  ].join('\n');
  return ['sh', '-c', script];
}

async function truthLines(name: string): Promise<number> {
  const r = await docker(['logs', name]);
  return `${r.stdout}${r.stderr}`.split('\n').length - 1;
}

const linesMetric = (text: string, container: string): number =>
  sumSamples(text, 'mcpwatch_log_lines_total', { container });

/** Waits until /metrics shows `want` lines for the container, then checks that it stays there. */
async function expectLines(agent: AgentProcess, container: string, want: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let got = -1;
  while (Date.now() < deadline) {
    got = linesMetric(await agent.text('/metrics'), container);
    if (got === want) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(got).toBe(want);
  await new Promise((r) => setTimeout(r, 700));
  expect(linesMetric(await agent.text('/metrics'), container)).toBe(want);
}

/** What tecnativa/docker-socket-proxy lets through with CONTAINERS=1 EVENTS=1 (POST=0). */
const ALLOWED = /^\/(?:v[\d.]+\/)?(?:_ping|version|events|containers\/json|containers\/[^/?]+\/(?:json|logs))(?:\?|$)/;

interface Proxy {
  url: string;
  requests: string[];
  refused: string[];
  close(): Promise<void>;
}

async function startProxy(): Promise<Proxy> {
  const requests: string[] = [];
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    const what = `${req.method} ${req.url}`;
    requests.push(what);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !ALLOWED.test(req.url ?? '')) {
      refused.push(what);
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('Forbidden by the test proxy');
      return;
    }
    const up = httpRequest(
      { socketPath: DOCKER_SOCKET, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refused,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('log tailing: read-only access, and resuming under concurrent stdout/stderr', () => {
  const agent = new AgentSlot();
  let proxy: Proxy | undefined;
  const containers: string[] = [];
  const startAgent = (stateDir: string, yaml: string): Promise<AgentProcess> =>
    agent.start(`stateDir: ${stateDir}\n${yaml}`);

  beforeAll(() => ensureDocker());
  afterEach(async () => {
    await agent.kill();
    await proxy?.close();
    proxy = undefined;
    for (const c of containers.splice(0)) await removeContainer(c);
  });

  it('needs nothing but GET requests: works through a proxy that refuses everything else', async () => {
    proxy = await startProxy();
    const name = uniqueName('ll-ro');
    containers.push(name);
    await runContainer({ name, cmd: twoStreams(150, 2_000), extraArgs: ['--stop-timeout', '1'] });
    const a = await startAgent(
      tempDir(),
      `logs:\n  docker: { url: "${proxy.url}" }\n  containers:\n    - { name: ${name}, from: beginning }\n`,
    );
    await waitDone(name, 1, 60_000);
    await expectLines(a, name, await truthLines(name));
    expect(await a.metric('mcpwatch_docker_up')).toBe(1);

    await docker(['restart', '-t', '0', name]);
    await waitDone(name, 2, 60_000);
    await expectLines(a, name, await truthLines(name));

    expect(proxy.refused).toEqual([]);
    expect(proxy.requests.every((r) => r.startsWith('GET '))).toBe(true);
    expect(proxy.requests.some((r) => /\/events\?/.test(r))).toBe(true);
    expect(proxy.requests.some((r) => /\/containers\/[0-9a-f]{64}\/logs\?.*follow=true/.test(r))).toBe(true);
    const status = JSON.parse(await a.text('/status')) as { logs: { docker: { endpoint: string } } };
    expect(status.logs.docker.endpoint).toBe(proxy.url);
  }, 90_000);

  it('counts every line exactly once in total across mcpwatch restarts while both streams are written', async () => {
    const stateDir = tempDir();
    const name = uniqueName('ll-both');
    containers.push(name);
    // Long enough that the four restarts below fall while both streams are still being written, also on a busy machine.
    await runContainer({ name, cmd: twoStreams(2_500, 3_000) });
    const yaml = `logs:\n  containers:\n    - { name: ${name}, from: beginning }\n`;
    const counted: number[] = [];
    for (let run = 0; run < 4; run++) {
      const a = await startAgent(stateDir, yaml);
      // Stopped once it has counted lines of its own (not after a fixed time, which a busy machine may spend starting).
      await a.waitFor(
        async () => ((await a.metric('mcpwatch_log_lines_total', { container: name, stream: 'stdout' })) ?? 0) > 0,
        20_000,
        'lines counted',
      );
      await new Promise((r) => setTimeout(r, 200 + run * 150));
      expect(await a.stop('SIGTERM')).toBe(0);
      const stopped = a.stdout
        .split('\n')
        .filter((l) => l.includes('log tail stopped'))
        .map((l) => JSON.parse(l) as { container: string; lines: number });
      expect(stopped).toEqual([expect.objectContaining({ container: name })]);
      counted.push(stopped[0]!.lines);
      agent.current = undefined;
      await new Promise((r) => setTimeout(r, 300)); // lines written while mcpwatch is down
    }
    const last = await startAgent(stateDir, yaml);
    await waitDone(name, 1, 60_000);
    const total = await truthLines(name);
    expect(counted.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3); // the restarts cut the stream
    await expectLines(last, name, total - counted.reduce((x, y) => x + y, 0));
  }, 120_000);
});
