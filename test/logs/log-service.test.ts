import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerConfig, RawConfig } from '../../src/config/schema.js';
import type { LogRecord } from '../../src/logs/records.js';
import type { Match } from '../../src/logs/rules.js';
import { LogService, type LogSink } from '../../src/logs/log-service.js';
import { Redactor } from '../../src/util/redact.js';
import { DOCKER_SOCKET, ensureDocker, removeContainer, runContainer, uniqueName } from '../support/docker.js';
import { NO_KEY_LINE } from '../support/log-records.js';
import { until } from '../support/until.js';

// The log service against the real Docker engine: which containers it follows, what it tells its
// sink, and how it reports Docker and the tails.

type LogsConfig = NonNullable<RawConfig['logs']>;

class Sink implements LogSink {
  events: string[] = [];
  lineCount = 0;
  matches: Array<{ kind: string; ip: string | undefined }> = [];
  ended: string[] = [];
  docker: boolean[] = [];
  containerAdded(c: string): void {
    this.events.push(`added ${c}`);
  }
  containerRemoved(c: string): void {
    this.events.push(`removed ${c}`);
  }
  lines(_c: string, _s: 'stdout' | 'stderr', n: number): void {
    this.lineCount += n;
  }
  match(_c: string, m: Match, rec: LogRecord): void {
    this.matches.push({ kind: m.kind, ip: rec.requesterIp });
  }
  recordEnd(_c: string, rec: LogRecord): void {
    this.ended.push(rec.kind);
  }
  tailUp(c: string, up: boolean): void {
    this.events.push(`${up ? 'up' : 'down'} ${c}`);
  }
  dockerUp(up: boolean): void {
    this.docker.push(up);
  }
}

describe('LogService', () => {
  const names: string[] = [];
  let service: LogService | undefined;
  const logLines: Array<{ msg: string; container?: string; lines?: number }> = [];

  function start(containers: ContainerConfig[], socketPath = DOCKER_SOCKET) {
    const sink = new Sink();
    const config: LogsConfig = { docker: { socketPath }, containers };
    const logger = pino({ level: 'info' }, { write: (l: string) => void logLines.push(JSON.parse(l)) });
    const stateDir = mkdtempSync(join(tmpdir(), 'mcpwatch-log-service-'));
    service = new LogService(config, stateDir, sink, logger, new Redactor());
    service.start();
    return { service, sink, config };
  }
  const container = (name: string): ContainerConfig => ({
    name,
    rules: ['litellm'],
    extraRules: [],
    from: 'beginning',
    watchFiles: [],
  });
  async function run(cmd: string, name = uniqueName('svc')): Promise<string> {
    names.push(name);
    await runContainer({ name, cmd: ['sh', '-c', cmd] });
    return name;
  }

  beforeAll(() => {
    ensureDocker();
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    logLines.length = 0;
  });
  afterAll(async () => {
    for (const n of names) await removeContainer(n);
  });

  it('follows a container: its lines and matches (with the requester) go to the sink; health and status say so', async () => {
    const name = await run(
      `echo one; echo two; echo '${NO_KEY_LINE}' >&2; echo 'Requester IP Address:10.0.0.9' >&2; sleep 3600`,
    );
    const { service: s, sink } = start([container(name)]);
    await until(() => sink.lineCount === 4 && sink.matches.length === 1, 10_000);
    expect(sink.matches).toEqual([{ kind: 'missing_key', ip: '10.0.0.9' }]);
    expect(sink.events).toEqual([`added ${name}`, `up ${name}`]);
    expect(sink.docker[0]).toBe(false); // until Docker has answered
    await until(() => sink.docker.at(-1) === true);
    expect(s.health()).toEqual({
      status: 'ok',
      dockerUp: true,
      endpoint: DOCKER_SOCKET,
      containers: { [name]: 'following' },
    });
    expect(s.status()).toEqual({
      docker: { up: true, endpoint: DOCKER_SOCKET },
      containers: [{ name, state: 'following', id: expect.stringMatching(/^[0-9a-f]{12}$/), lines: 4 }],
    });
    await s.stop();
    service = undefined;
    expect(logLines.find((l) => l.msg === 'log tail stopped, cursor saved')).toMatchObject({
      container: name,
      lines: 4,
    });
  });

  it('a container not there yet: degraded, then followed as soon as Docker tells it started', async () => {
    const name = uniqueName('svc');
    const { service: s, sink } = start([container(name)]);
    await until(() => s.health().containers[name] === 'waiting', 5_000);
    expect(s.health()).toMatchObject({
      status: 'degraded',
      message: `not following: ${name} (no container by that name yet)`,
    });
    const t0 = Date.now();
    await run('echo hello; sleep 3600', name);
    // (It may read the container's first lines while Docker still says it is starting.)
    await until(() => sink.lineCount === 1 && s.health().status === 'ok', 8_000);
    // The events stream woke the tail: well before its fallback re-check (10 s).
    expect(Date.now() - t0).toBeLessThan(8_000);
  });

  it('Docker unreachable: degraded with the reason, each tail in error', async () => {
    const { service: s, sink } = start([container('anything')], '/nonexistent/docker.sock');
    await until(() => s.health().containers.anything === 'error', 5_000);
    expect(s.health()).toMatchObject({
      status: 'degraded',
      dockerUp: false,
      message: expect.stringMatching(/^Docker API unreachable at \/nonexistent\/docker.sock: .*\(retrying\)$/),
    });
    expect(s.status().docker).toMatchObject({ up: false, error: expect.any(String) });
    expect(sink.docker).not.toContain(true);
  });

  it('reload: a container removed or changed is stopped and told, a new one added; the socket is kept', async () => {
    const a = await run('echo a; sleep 3600');
    const b = await run('echo b; sleep 3600');
    const { service: s, sink, config } = start([container(a), container(b)]);
    await until(() => sink.lineCount === 2, 10_000);
    const c = await run('echo c; sleep 3600');
    await s.reload({
      docker: { socketPath: '/elsewhere.sock' },
      containers: [container(a), { ...container(b), extraRules: [], from: 'end' }, container(c)],
    });
    expect(sink.events.filter((e) => !e.startsWith('up') && !e.startsWith('down'))).toEqual([
      `added ${a}`,
      `added ${b}`,
      `removed ${b}`,
      `added ${b}`,
      `added ${c}`,
    ]);
    expect(logLines.some((l) => l.msg === 'logs.docker changed: restart mcpwatch for it to apply')).toBe(true);
    await until(() => s.health().status === 'ok', 10_000);
    expect(s.health().endpoint).toBe(config.docker.socketPath);
    await s.reload({ docker: config.docker, containers: [container(a)] });
    expect(Object.keys(s.health().containers)).toEqual([a]);
    // The two are stopped in no set order, and a container's up/down may come between.
    const told = sink.events.filter((e) => !e.startsWith('up') && !e.startsWith('down'));
    expect(told.slice(-2).sort()).toEqual([`removed ${b}`, `removed ${c}`].sort());
  }, 30_000);
});
