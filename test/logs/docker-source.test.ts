import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSource, type DockerEvent } from '../../src/logs/docker-source.js';
import { FrameDecoder } from '../../src/logs/frames.js';
import { tsToSince } from '../../src/logs/lines.js';
import {
  DOCKER_SOCKET,
  docker,
  ensureDocker,
  removeContainer,
  runContainer,
  TEST_IMAGE,
  uniqueName,
  waitContainer,
  waitForLogs,
} from '../support/docker.js';
import { until } from '../support/until.js';

// The Docker Engine API as mcpwatch reads it, against the real engine: busybox containers with a
// known output.

/** The whole of a stream, decoded from Docker's frames into `stream: text` lines (timestamps dropped). */
async function framedLines(stream: Readable): Promise<string[]> {
  const d = new FrameDecoder();
  const out: string[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>)
    for (const f of d.push(chunk)) out.push(`${f.stream}: ${f.payload.toString().replace(/^\S+ /, '').trimEnd()}`);
  return out;
}

describe('DockerSource', () => {
  const source = new DockerSource({ socketPath: DOCKER_SOCKET });
  const names: string[] = [];
  const run = async (cmd: string, extraArgs: string[] = []): Promise<{ name: string; id: string }> => {
    const c = await runContainer({ name: uniqueName('ds'), cmd: ['sh', '-c', cmd], extraArgs });
    names.push(c.name);
    return c;
  };

  beforeAll(() => {
    ensureDocker();
  });
  afterAll(async () => {
    for (const n of names) await removeContainer(n);
  });

  it('answers a ping; one on a socket with nothing behind it fails', async () => {
    await source.ping(5_000);
    await expect(new DockerSource({ socketPath: '/nonexistent/docker.sock' }).ping(1_000)).rejects.toThrow();
  });

  it('finds a container by its exact name, running or not, with its TTY and creation time', async () => {
    const before = Date.now() - 5_000;
    const { name, id } = await run('echo hi; sleep 3600');
    expect(await source.find(name)).toEqual({ id, name, running: true, tty: false, created: expect.any(Number) });
    expect((await source.find(name))!.created).toBeGreaterThan(before);
    // Docker's filter matches substrings: a prefix of the name, or a name read as a regex, finds nothing.
    expect(await source.find(name.slice(0, -1))).toBeUndefined();
    expect(await source.find(`${name.slice(0, 3)}.*`)).toBeUndefined();
    await docker(['stop', '-t', '0', name]);
    expect(await source.find(name)).toMatchObject({ id, running: false });
    const tty = await run('sleep 3600', ['-t']);
    expect(await source.find(tty.name)).toMatchObject({ tty: true });
  });

  it("reads a stopped container's log to its end, both streams, with timestamps", async () => {
    const { name, id } = await run('echo one; echo two >&2; echo three');
    await waitContainer(name);
    const stream = await source.logs(id, { tail: 'all' }, false);
    const got = await framedLines(stream);
    expect(got.sort()).toEqual(['stderr: two', 'stdout: one', 'stdout: three']);
    // `since` is inclusive, at full precision: from the second timestamp on. (Docker stamps stdout and
    // stderr in copiers of their own, so the log's order need not be the timestamps' order.)
    const raw = await framedTimestamps(await source.logs(id, { tail: 'all' }, false));
    const ordered = [...raw].sort((a, b) => (nanos(a) < nanos(b) ? -1 : nanos(a) > nanos(b) ? 1 : 0));
    const second = ordered[1]!;
    const fromSecond = await framedLines(await source.logs(id, { since: tsToSince(second) }, false));
    expect(fromSecond).toHaveLength(raw.filter((t) => nanos(t) >= nanos(second)).length);
    expect(fromSecond.length).toBeGreaterThanOrEqual(2);
  });

  it("follows a running container's log: new lines come as written, the stream ends when it stops", async () => {
    const { name, id } = await run('echo first; sleep 1; echo second; sleep 3600');
    await waitForLogs(name, 'first');
    const stream = await source.logs(id, { tail: 'all' });
    const lines: string[] = [];
    const ended = new Promise<void>((r) => stream.on('end', r));
    const d = new FrameDecoder();
    stream.on('data', (c: Buffer) => d.push(c).forEach((f) => lines.push(f.payload.toString())));
    await until(() => lines.length === 2, 10_000);
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['first\n', 'second\n']);
    await docker(['stop', '-t', '0', name]);
    await ended;
  });

  it('a log of a container that is not there: an error with the status', async () => {
    await expect(source.logs('0'.repeat(64), { tail: 'all' }, false)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('tells container events with their action, id and name', async () => {
    const events: DockerEvent[] = [];
    const stream = await source.events((e) => events.push(e));
    try {
      const { name, id } = await run('sleep 3600');
      await until(() => events.some((e) => e.name === name && e.action === 'start'), 10_000);
      expect(events.find((e) => e.name === name && e.action === 'start')).toEqual({
        action: 'start',
        id,
        name,
        attributes: expect.objectContaining({ name }),
        at: expect.any(Number),
      });
      await docker(['kill', name]);
      await until(() => events.some((e) => e.name === name && e.action === 'die'), 10_000);
      // die carries the exit code; `at` is Docker's time of the event (ms).
      const die = events.find((e) => e.name === name && e.action === 'die')!;
      expect(die.attributes?.exitCode).toBe('137');
      expect(Math.abs(die.at! - Date.now())).toBeLessThan(60_000);
    } finally {
      stream.destroy();
    }
  });

  it('inspects a container by name: its state, restart count, health and image; undefined when there is none', async () => {
    const { name, id } = await run('sleep 3600');
    const c = await source.inspect(name);
    expect(c).toMatchObject({ id, name, status: 'running', running: true, restarting: false, restartCount: 0 });
    expect(c).toMatchObject({ oomKilled: false, health: undefined, image: TEST_IMAGE });
    expect(c!.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(c!.finishedAt).toMatch(/^0001-01-01T/);
    await docker(['kill', name]);
    expect(await source.inspect(name)).toMatchObject({ status: 'exited', running: false, exitCode: 137 });
    expect(await source.inspect(`${name}-none`)).toBeUndefined();
  });

  it.each([
    [{ socketPath: '/var/run/docker.sock' }, '/var/run/docker.sock'],
    [{ socketPath: '/x', url: 'http://docker-proxy:2375' }, 'http://docker-proxy:2375'],
    [{ socketPath: '/x', url: 'https://docker-proxy/' }, 'https://docker-proxy'],
    [{ socketPath: '/x', url: 'http://[::1]:2375' }, 'http://[::1]:2375'],
  ])('endpoint of %j', (where, endpoint) => expect(new DockerSource(where).endpoint).toBe(endpoint));
});

/** The timestamps of a stream's frames. */
/** An RFC 3339 timestamp with nanoseconds (Docker drops trailing zeros) as nanoseconds since the epoch. */
function nanos(ts: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(ts)!;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

async function framedTimestamps(stream: Readable): Promise<string[]> {
  const d = new FrameDecoder();
  const out: string[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>)
    for (const f of d.push(chunk)) out.push(f.payload.toString().split(' ')[0]!);
  return out;
}
