import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, freePort, runCli, tempDir, writeConfig } from '../support/agent-proc.js';
import { docker, ensureDocker, removeContainer, runContainer, uniqueName } from '../support/docker.js';

// The gateway's container through the built `mcpwatch run` and a real Docker engine: /metrics, /status and
// `mcpwatch status` say the same (a config file edited under the running container is a restart pending, named;
// a restart clears it), and mcpwatch restarted around a container restart neither counts it twice nor starts
// the counter from 0 (the first scrape after a restart already has the kept total).

describe('the gateway container through a running mcpwatch', () => {
  const container = uniqueName('mcpwatch-gw-agent');
  const dir = tempDir('mcpwatch-gw-agent-');
  const watched = join(dir, 'config.yaml');
  const KEY = 'sk-test-gw-agent-0123456789abcdef';
  let port: number;
  let cfg: string;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    ensureDocker();
    writeFileSync(watched, 'model_list: []\n');
    writeFileSync(join(dir, 'litellm.env'), `LITELLM_MASTER_KEY=${KEY}\n`);
    await runContainer({ name: container, cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] });
    port = await freePort();
    cfg = writeConfig(
      dir,
      `listen: 127.0.0.1:${port}
stateDir: ${join(dir, 'state')}
logs:
  containers:
    - name: ${container}
      watchFiles: ["${watched}", "${join(dir, 'litellm.env')}"]
`,
    );
    agent = await AgentProcess.start(cfg, port);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainer(container);
  });

  const l = { container };

  it('a file edited under the running container: pending in /metrics, /status and mcpwatch status; a restart clears it', async () => {
    const a = agent!;
    await a.waitFor(async () => (await a.metric('mcp_gateway_container_running', l)) === 1, 15_000, 'running');
    expect(await a.metric('mcp_gateway_restart_pending', l)).toBe(0);
    writeFileSync(watched, 'model_list: []\nlitellm_settings: { drop_params: true }\n');
    await a.waitFor(async () => (await a.metric('mcp_gateway_restart_pending', l)) === 1, 15_000, 'pending');
    const status = (await (await a.get('/status')).json()) as {
      gateway: { containers: Array<{ name: string; restartPending: boolean; pendingFiles: Array<{ path: string }> }> };
    };
    expect(status.gateway.containers).toEqual([
      expect.objectContaining({
        name: container,
        restartPending: true,
        pendingFiles: [expect.objectContaining({ path: watched })],
      }),
    ]);
    const cli = await runCli(['status', '--config', cfg]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`gateway container ${container} restart pending (${watched})`);
    expect(cli.stdout).toContain(`restart pending: ${watched} changed`);
    for (const out of [cli.stdout, cli.stderr, a.stdout, a.stderr, JSON.stringify(status)])
      expect(out).not.toContain(KEY);
    await docker(['restart', '-t', '5', container]);
    await a.waitFor(async () => (await a.metric('mcp_gateway_restart_pending', l)) === 0, 15_000, 'cleared');
    expect(await a.metric('mcp_gateway_container_restarts_total', l)).toBe(1);
    expect((await runCli(['status', '--config', cfg])).code).toBe(0);
  }, 60_000);

  it('mcpwatch restarted around a container restart: counted once, never from 0', async () => {
    await agent!.stop();
    await docker(['restart', '-t', '5', container]);
    agent = await AgentProcess.start(cfg, port);
    const a = agent;
    // The first scrape that has the series has the kept total plus the restart seen now.
    let first: number | undefined;
    await a.waitFor(
      async () => (first = await a.metric('mcp_gateway_container_restarts_total', l)) !== undefined,
      15_000,
      'the counter',
    );
    expect(first).toBe(2);
    await agent.stop();
    agent = await AgentProcess.start(cfg, port);
    const b = agent;
    let again: number | undefined;
    await b.waitFor(
      async () => (again = await b.metric('mcp_gateway_container_restarts_total', l)) !== undefined,
      15_000,
      'the counter',
    );
    expect(again).toBe(2);
    expect(await b.metric('mcp_gateway_container_started_timestamp_seconds', l)).toBeGreaterThan(0);
  }, 60_000);
});
