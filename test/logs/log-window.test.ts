import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerConfig } from '../../src/config/schema.js';
import { readLog, readLogWindow } from '../../src/logs/log-window.js';
import {
  DOCKER_SOCKET,
  ensureDocker,
  removeContainer,
  runContainer,
  uniqueName,
  waitForLogs,
} from '../support/docker.js';
import { NO_KEY_LINE } from '../support/log-records.js';

// A time window of a container's log, read once from the real Docker engine (what `mcpwatch probe`
// shows of the gateway's log about a failed run).

describe('reading a window of a log', () => {
  const docker = { socketPath: DOCKER_SOCKET };
  const container = (name: string): ContainerConfig => ({
    name,
    rules: ['litellm'],
    extraRules: [],
    from: 'end',
    watchFiles: [],
  });
  let name: string;
  let id: string;
  let before: number;
  let between: number;

  beforeAll(async () => {
    ensureDocker();
    name = uniqueName('window');
    before = Date.now() - 1_000;
    // Two records, a second apart; the window between them holds only the second.
    const script = `echo 'first record'; sleep 1.5; echo '${NO_KEY_LINE}' >&2; echo 'Requester IP Address:10.0.0.9' >&2; sleep 0.2; echo DONE; sleep 3600`;
    ({ id } = await runContainer({ name, cmd: ['sh', '-c', script] }));
    await waitForLogs(name, 'first record');
    between = Date.now() + 500;
    await waitForLogs(name, 'DONE');
  });
  afterAll(async () => {
    await removeContainer(name);
  });

  it('gives the records of the window, oldest first, the ones outside it left out', async () => {
    const all = await readLogWindow(docker, container(name), before, Date.now());
    expect(all.overrun).toBe(false);
    expect(all.records.map((r) => [r.stream, r.kind, r.text.split('\n')[0]])).toEqual([
      ['stdout', 'other', 'first record'],
      ['stderr', 'litellm', NO_KEY_LINE],
      ['stdout', 'other', 'DONE'],
    ]);
    expect(all.records.every((r) => r.container === name && r.at >= before)).toBe(true);
    const later = await readLogWindow(docker, container(name), between, Date.now());
    expect(later.records.map((r) => r.text.split('\n')[0])).toEqual([NO_KEY_LINE, 'DONE']);
  });

  it('reports each match and each complete record to its sink, and returns the container id', async () => {
    const matches: string[] = [];
    const ended: string[] = [];
    const got = await readLog(docker, container(name), before, Date.now(), {
      match: (m, rec) => matches.push(`${m.kind}@${rec.requesterIp}`),
      recordEnd: (rec) => ended.push(rec.kind),
    });
    expect(got).toBe(id);
    expect(matches).toEqual(['missing_key@10.0.0.9']);
    expect(ended.sort()).toEqual(['litellm', 'other', 'other']);
  });

  it('says why it cannot read: no such container, Docker not there', async () => {
    const none = uniqueName('none');
    await expect(readLogWindow(docker, container(none), 0, Date.now())).rejects.toThrow(`no container named ${none}`);
    await expect(
      readLogWindow({ socketPath: '/nonexistent/docker.sock' }, container(name), 0, Date.now()),
    ).rejects.toThrow(/^Docker API at \/nonexistent\/docker.sock: /);
  });
});
