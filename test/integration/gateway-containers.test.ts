import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayWatch } from '../../src/gateway-state/gateway-watch.js';
import { GatewayRecorder } from '../../src/metrics/gateway-recorder.js';
import { docker, ensureDocker, removeContainer, runContainer, uniqueName } from '../support/docker.js';
import { value } from '../support/exposition.js';
import { capturingLogger, configOf, recorderOnTestMetrics } from '../support/runtime-config.js';

// The gateway's containers through a real Docker engine: mcpwatch's GatewayWatch (in-process, with the
// recorder and a registry of its own) follows busybox containers that are restarted, stopped, killed,
// exit with a chosen code in a restart loop, turn unhealthy and are OOM-killed under a memory limit; the
// counters survive an mcpwatch restart (a new watch on the same stateDir) without counting twice; a
// watched file edited under a running container is a restart pending until the container restarts.

interface Watched {
  watch: GatewayWatch;
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  waitFor(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
}

function startWatch(stateDir: string, containers: string): Watched {
  const config = configOf(`stateDir: ${stateDir}\nlogs:\n  containers:\n${containers}`);
  const { rec, text } = recorderOnTestMetrics((m) => new GatewayRecorder(m));
  const watch = new GatewayWatch(config, rec, capturingLogger('silent').logger, {
    readVersions: false,
    filesEveryMs: 200,
  });
  watch.start();
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number | undefined> =>
    value(await text(), name, labels);
  const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}: ${await text()}`);
  };
  return { watch, metric, waitFor };
}

const SLEEPER = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];

describe('container state through a real Docker engine', () => {
  const names: string[] = [];
  const watches: GatewayWatch[] = [];
  const stateDir = (): string => mkdtempSync(join(tmpdir(), 'mcpwatch-gw-state-'));
  const name = (p: string): string => {
    const n = uniqueName(`mcpwatch-gw-${p}`);
    names.push(n);
    return n;
  };
  const watching = (dir: string, containers: string): Watched => {
    const w = startWatch(dir, containers);
    watches.push(w.watch);
    return w;
  };

  beforeAll(() => ensureDocker());
  afterAll(async () => {
    for (const w of watches) await w.stop();
    for (const n of names) await removeContainer(n);
  });

  it('restarted, stopped, killed: running, restarts, exit codes 0 and 137, start time', async () => {
    const c = name('life');
    await runContainer({ name: c, cmd: SLEEPER });
    const w = watching(stateDir(), `    - { name: ${c} }\n`);
    const l = { container: c };
    await w.waitFor('running', async () => (await w.metric('mcp_gateway_container_running', l)) === 1);
    expect(await w.metric('mcp_gateway_container_restarts_total', l)).toBe(0);
    const started0 = (await w.metric('mcp_gateway_container_started_timestamp_seconds', l))!;
    await docker(['restart', '-t', '5', c]);
    await w.waitFor('a restart', async () => (await w.metric('mcp_gateway_container_restarts_total', l)) === 1);
    expect(await w.metric('mcp_gateway_container_started_timestamp_seconds', l)).toBeGreaterThan(started0);
    expect(await w.metric('mcp_gateway_container_last_exit_code', l)).toBe(0); // it took SIGTERM: exit 0
    await docker(['kill', c]);
    await w.waitFor('killed', async () => (await w.metric('mcp_gateway_container_last_exit_code', l)) === 137);
    expect(await w.metric('mcp_gateway_container_running', l)).toBe(0);
    await docker(['start', c]);
    await w.waitFor('started again', async () => (await w.metric('mcp_gateway_container_restarts_total', l)) === 2);
    expect(await w.metric('mcp_gateway_container_running', l)).toBe(1);
    await docker(['stop', '-t', '5', c]);
    await w.waitFor('stopped', async () => (await w.metric('mcp_gateway_container_running', l)) === 0);
    expect(await w.metric('mcp_gateway_container_last_exit_code', l)).toBe(0);
    expect(await w.metric('mcp_gateway_container_health', { ...l, status: 'none' })).toBe(1);
    expect(await w.metric('mcp_gateway_container_oom_kills_total', l)).toBe(0);
  }, 60_000);

  it('a restart loop with a chosen exit code: Docker’s restarts counted, the code kept', async () => {
    const c = name('loop');
    await runContainer({ name: c, cmd: ['sh', '-c', 'sleep 1; exit 3'], extraArgs: ['--restart', 'on-failure:3'] });
    const w = watching(stateDir(), `    - { name: ${c} }\n`);
    const l = { container: c };
    await w.waitFor(
      'three restarts',
      async () => (await w.metric('mcp_gateway_container_restarts_total', l)) === 3,
      40_000,
    );
    await w.waitFor('it gave up', async () => (await w.metric('mcp_gateway_container_running', l)) === 0, 20_000);
    expect(await w.metric('mcp_gateway_container_last_exit_code', l)).toBe(3);
    const inspect = JSON.parse((await docker(['inspect', c])).stdout) as Array<{ RestartCount: number }>;
    expect(inspect[0]!.RestartCount).toBe(3);
  }, 90_000);

  it('a HEALTHCHECK that turns unhealthy', async () => {
    const c = name('health');
    await runContainer({
      name: c,
      cmd: ['sh', '-c', 'touch /tmp/ok; sleep 4; rm /tmp/ok; exec sleep 3600'],
      extraArgs: ['--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '1'],
    });
    const w = watching(stateDir(), `    - { name: ${c} }\n`);
    const h = (status: string) => w.metric('mcp_gateway_container_health', { container: c, status });
    await w.waitFor('healthy', async () => (await h('healthy')) === 1);
    await w.waitFor('unhealthy', async () => (await h('unhealthy')) === 1, 20_000);
    expect([await h('healthy'), await h('starting'), await h('none')]).toEqual([0, 0, 0]);
    expect(await w.metric('mcp_gateway_container_running', { container: c })).toBe(1);
  }, 60_000);

  it('an OOM kill under a memory limit: counted once, exit code 137', async () => {
    const c = name('oom');
    const dir = stateDir();
    const w = watching(dir, `    - { name: ${c} }\n`);
    const l = { container: c };
    // Created while watched: its exit is seen through its events.
    await runContainer({
      name: c,
      cmd: ['sh', '-c', 'sleep 1; tail /dev/zero'],
      extraArgs: ['--memory', '16m', '--memory-swap', '16m'],
    });
    await w.waitFor('the OOM kill', async () => (await w.metric('mcp_gateway_container_oom_kills_total', l)) === 1);
    expect(await w.metric('mcp_gateway_container_last_exit_code', l)).toBe(137);
    const state = JSON.parse((await docker(['inspect', '--format', '{{json .State}}', c])).stdout) as {
      OOMKilled: boolean;
    };
    expect(state.OOMKilled).toBe(true);
    // Looked at again (a new watch, the same stateDir): still one.
    await w.watch.stop();
    const again = watching(dir, `    - { name: ${c} }\n`);
    await again.waitFor('a look', async () => (await again.metric('mcp_gateway_container_running', l)) === 0);
    expect(await again.metric('mcp_gateway_container_oom_kills_total', l)).toBe(1);
  }, 60_000);

  it('mcpwatch restarted between restarts: the counters go on, none counted twice', async () => {
    const c = name('resume');
    const dir = stateDir();
    await runContainer({ name: c, cmd: SLEEPER });
    const l = { container: c };
    const first = watching(dir, `    - { name: ${c} }\n`);
    await first.waitFor('running', async () => (await first.metric('mcp_gateway_container_running', l)) === 1);
    await docker(['restart', '-t', '5', c]);
    await first.waitFor(
      'one restart',
      async () => (await first.metric('mcp_gateway_container_restarts_total', l)) === 1,
    );
    await first.watch.stop();
    // While mcpwatch is down: two restarts.
    await docker(['restart', '-t', '5', c]);
    await docker(['restart', '-t', '5', c]);
    const second = watching(dir, `    - { name: ${c} }\n`);
    await second.waitFor('a look', async () => (await second.metric('mcp_gateway_container_running', l)) === 1);
    // Both restarts while down collapse into the one start seen (Docker keeps the last only): 2, and never 1 again.
    expect(await second.metric('mcp_gateway_container_restarts_total', l)).toBe(2);
    await second.watch.stop();
    const third = watching(dir, `    - { name: ${c} }\n`);
    await third.waitFor('a look', async () => (await third.metric('mcp_gateway_container_running', l)) === 1);
    expect(await third.metric('mcp_gateway_container_restarts_total', l)).toBe(2);
    await docker(['restart', '-t', '5', c]);
    await third.waitFor('one more', async () => (await third.metric('mcp_gateway_container_restarts_total', l)) === 3);
  }, 90_000);

  it('a reload that removes a container removes its series; one that adds it back goes on from the kept total', async () => {
    const c = name('reload');
    const dir = stateDir();
    await runContainer({ name: c, cmd: SLEEPER });
    const w = watching(dir, `    - { name: ${c} }\n`);
    const l = { container: c };
    await w.waitFor('running', async () => (await w.metric('mcp_gateway_container_running', l)) === 1);
    await docker(['restart', '-t', '5', c]);
    await w.waitFor('a restart', async () => (await w.metric('mcp_gateway_container_restarts_total', l)) === 1);
    w.watch.reload(configOf(`stateDir: ${dir}\nlogs:\n  containers: []\n`));
    expect(await w.metric('mcp_gateway_container_running', l)).toBeUndefined();
    expect(await w.metric('mcp_gateway_container_restarts_total', l)).toBeUndefined();
    w.watch.reload(configOf(`stateDir: ${dir}\nlogs:\n  containers:\n    - { name: ${c} }\n`));
    await w.waitFor('back', async () => (await w.metric('mcp_gateway_container_restarts_total', l)) !== undefined);
    expect(await w.metric('mcp_gateway_container_restarts_total', l)).toBe(1);
  }, 60_000);

  it('a container tied to a target whose gateway says nothing: the version its image tag names', async () => {
    const c = name('image');
    const image = 'mcpwatch-test/litellm:main-v1.82.8-stable';
    await docker(['tag', 'mcpwatch-test/busybox:latest', image]);
    await runContainer({ name: c, cmd: SLEEPER, image });
    const config = configOf(
      `stateDir: ${stateDir()}\ntargets:\n  lan: { url: "http://127.0.0.1:9" }\n` +
        `logs:\n  containers:\n    - { name: ${c}, target: lan }\n`,
    );
    const { rec, text } = recorderOnTestMetrics((m) => new GatewayRecorder(m));
    const watch = new GatewayWatch(config, rec, capturingLogger('silent').logger, {
      readVersions: true,
      firstVersionReadMs: 0,
    });
    watches.push(watch);
    watch.start();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(await text()).includes('mcp_gateway_build_info{'))
      await new Promise((r) => setTimeout(r, 100));
    expect(value(await text(), 'mcp_gateway_build_info', { target: 'lan', version: '1.82.8', source: 'image' })).toBe(
      1,
    );
    expect(watch.status().containers[0]).toMatchObject({ target: 'lan', image, imageVersion: '1.82.8' });
    await watch.stop();
    await removeContainer(c);
    await docker(['rmi', image], { allowFail: true });
  }, 30_000);

  it('a watched file edited under a running container: restart pending, cleared by a restart', async () => {
    const c = name('files');
    const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-gw-files-'));
    const cfg = join(dir, 'config.yaml');
    const env = join(dir, 'litellm.env');
    writeFileSync(cfg, 'model_list: []\n');
    writeFileSync(env, 'LITELLM_MASTER_KEY=sk-test-not-a-real-key\n');
    await runContainer({ name: c, cmd: SLEEPER, extraArgs: ['-v', `${dir}:/app:ro`] });
    const w = watching(stateDir(), `    - { name: ${c}, watchFiles: ["${cfg}", "${env}"] }\n`);
    const pending = () => w.metric('mcp_gateway_restart_pending', { container: c });
    await w.waitFor('a look', async () => (await pending()) === 0);
    // Touched, same bytes: not pending.
    writeFileSync(cfg, 'model_list: []\n');
    await new Promise((r) => setTimeout(r, 600));
    expect(await pending()).toBe(0);
    writeFileSync(cfg, 'model_list: []\ngeneral_settings: {}\n');
    await w.waitFor('pending', async () => (await pending()) === 1);
    const status = w.watch.status().containers.find((x) => x.container === c)!;
    expect(status.pending.map((p) => p.path)).toEqual([cfg]);
    expect(JSON.stringify(w.watch.status())).not.toContain('sk-test-not-a-real-key');
    await docker(['restart', '-t', '5', c]);
    await w.waitFor('cleared by the restart', async () => (await pending()) === 0);
    expect(w.watch.status().containers.find((x) => x.container === c)!.pending).toEqual([]);
  }, 60_000);
});
