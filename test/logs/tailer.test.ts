import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerConfig } from '../../src/config/schema.js';
import { CursorStore } from '../../src/logs/cursor-store.js';
import { DockerSource } from '../../src/logs/docker-source.js';
import { containerRules } from '../../src/logs/litellm-rules.js';
import { ContainerTailer, type TailerEvents } from '../../src/logs/tailer.js';
import {
  DOCKER_SOCKET,
  docker,
  ensureDocker,
  removeContainer,
  runContainer,
  uniqueName,
  waitForLogs,
} from '../support/docker.js';
import { NO_KEY_LINE } from '../support/log-records.js';
import { until } from '../support/until.js';

// One container's tail against the real Docker engine: busybox containers with a known output,
// restarted, re-created and started late. The oracle is what the containers wrote.

/** `n` numbered stdout lines and one auth record on stderr, each time the container starts; then it waits. */
const writer = (n: number): string[] => [
  'sh',
  '-c',
  `i=0; while [ $i -lt ${n} ]; do echo "line $i"; i=$((i+1)); done; echo '${NO_KEY_LINE}' >&2; echo DONE; sleep 3600`,
];

class Recorder implements TailerEvents {
  counted = { stdout: 0, stderr: 0 };
  matches: string[] = [];
  ups: boolean[] = [];
  dockerErrors = 0;
  lines(_c: string, stream: 'stdout' | 'stderr', n: number): void {
    this.counted[stream] += n;
  }
  line(): void {}
  match(_c: string, m: { category: string; kind: string }): void {
    this.matches.push(`${m.category}/${m.kind}`);
  }
  recordEnd(): void {}
  up(_c: string, up: boolean): void {
    this.ups.push(up);
  }
  dockerError(): void {
    this.dockerErrors++;
  }
  dockerOk(): void {}
}

describe('ContainerTailer', () => {
  const names: string[] = [];
  const tailers: ContainerTailer[] = [];
  let stateDir: string;

  function tail(name: string, from: ContainerConfig['from'] = 'beginning', socketPath = DOCKER_SOCKET) {
    const events = new Recorder();
    const config: ContainerConfig = { name, rules: ['litellm'], extraRules: [], from, watchFiles: [] };
    const t = new ContainerTailer(config, {
      docker: new DockerSource({ socketPath }),
      cursors: new CursorStore(stateDir),
      rules: containerRules(config),
      events,
      logger: pino({ level: 'silent' }),
    });
    tailers.push(t);
    t.start();
    return { t, events };
  }
  async function run(cmd: string[]): Promise<string> {
    const { name } = await runContainer({ name: uniqueName('tail'), cmd, extraArgs: ['--stop-timeout', '1'] });
    names.push(name);
    return name;
  }

  beforeAll(() => {
    ensureDocker();
  });
  afterEach(async () => {
    for (const t of tailers.splice(0)) await t.stop();
  });
  afterAll(async () => {
    for (const n of names) await removeContainer(n);
  });

  it('counts every line of a running container once, across restarts, and saves its cursor on stop', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mcpwatch-tailer-'));
    const name = await run(writer(100));
    await waitForLogs(name, 'DONE');
    const { t, events } = tail(name);
    await until(() => t.lines === 102, 10_000);
    expect(t.state).toBe('following');
    expect(events.counted).toEqual({ stdout: 101, stderr: 1 });
    // An auth record waits for its requester line, or for its stream to go quiet.
    await until(() => events.matches.length === 1, 2_000);
    expect(events.matches).toEqual(['auth/missing_key']);
    expect(events.ups).toEqual([true]);

    await docker(['restart', '-t', '0', name]);
    t.wake(); // as the log service does on the container's events
    await until(() => t.lines === 204, 15_000);
    expect(events.counted).toEqual({ stdout: 202, stderr: 2 });
    await until(() => events.matches.length === 2, 2_000);
    expect(events.matches).toEqual(['auth/missing_key', 'auth/missing_key']);

    await t.stop();
    const stored = await new CursorStore(stateDir).load(name);
    expect(stored?.id).toBe(t.containerId);
    expect(stored?.streams.stdout?.ts).toMatch(/^\d{4}-.*Z$/);
  }, 60_000);

  it('a new tail resumes from the stored cursor: nothing counted twice, nothing missed', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mcpwatch-tailer-'));
    const name = await run(writer(50));
    await waitForLogs(name, 'DONE');
    const first = tail(name);
    await until(() => first.t.lines === 52, 10_000);
    await first.t.stop();
    await docker(['restart', '-t', '0', name]);
    await waitForLogs(name, /DONE[\s\S]*DONE/);
    const second = tail(name);
    await until(() => second.t.lines === 52, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(second.t.lines).toBe(52);
    expect(second.events.counted).toEqual({ stdout: 51, stderr: 1 });
  }, 60_000);

  it('begins at the end of the log of a container that was already there (from: end)', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mcpwatch-tailer-'));
    const name = await run(['sh', '-c', 'echo before; sleep 2; echo after; sleep 3600']);
    await waitForLogs(name, 'before');
    const { t } = tail(name, 'end');
    await until(() => t.state === 'following', 10_000);
    await until(() => t.lines === 1, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.lines).toBe(1);
  }, 30_000);

  it('waits for a container that does not exist yet, then follows all of its log', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mcpwatch-tailer-'));
    const name = uniqueName('tail');
    const { t, events } = tail(name, 'end');
    await until(() => t.state === 'waiting', 5_000);
    names.push(name);
    await runContainer({ name, cmd: writer(10) });
    t.wake();
    await until(() => t.lines === 12, 10_000);
    expect(t.state).toBe('following');
    expect(events.ups).toEqual([false, true]);
  }, 30_000);

  it('follows the container of its name when it is re-created (a new id, a new log)', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mcpwatch-tailer-'));
    const name = await run(writer(20));
    const { t } = tail(name);
    await until(() => t.lines === 22, 10_000);
    const firstId = t.containerId;
    await removeContainer(name);
    await runContainer({ name, cmd: writer(30) });
    t.wake();
    await until(() => t.lines === 22 + 32, 15_000);
    expect(t.containerId).not.toBe(firstId);
  }, 60_000);

  it('Docker not there: an error state, told as Docker being away, and it still stops', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'mcpwatch-tailer-'));
    const { t, events } = tail('whatever', 'end', '/nonexistent/docker.sock');
    await until(() => t.state === 'error', 5_000);
    expect(t.lastError).toMatch(/ENOENT|nonexistent/);
    expect(events.dockerErrors).toBeGreaterThanOrEqual(1);
    await t.stop();
  });
});
