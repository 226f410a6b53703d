import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/parse.js';
import type { LogService } from '../../src/logs/log-service.js';
import { LogTailing } from '../../src/runtime/log-tailing.js';

type LogsConfig = NonNullable<Config['logs']>;

/** Log services that record what was done to them, in one list. */
function services() {
  const calls: string[] = [];
  let n = 0;
  const create = (logs: LogsConfig, stateDir: string): LogService => {
    const id = `#${++n}`;
    calls.push(`${id} created in ${stateDir} for ${logs.containers.map((c) => c.name).join(',')}`);
    return {
      start: () => void calls.push(`${id} start`),
      reload: async (l: LogsConfig) => void calls.push(`${id} reload ${l.containers.map((c) => c.name).join(',')}`),
      stop: async () => void calls.push(`${id} stop`),
    } as unknown as LogService;
  };
  return { calls, create };
}

const logs = (...names: string[]): LogsConfig => ({ containers: names.map((name) => ({ name })) }) as LogsConfig;

describe('LogTailing', () => {
  it('has no service without logs, and starting or stopping it does nothing', async () => {
    const { calls, create } = services();
    const t = new LogTailing(create, undefined, '/state');
    t.start();
    await t.stop();
    expect(t.running).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it("builds the config's service, and starts and stops it; it stays readable after stop", async () => {
    const { calls, create } = services();
    const t = new LogTailing(create, logs('litellm'), '/state');
    expect(t.running).toBeDefined();
    t.start();
    await t.stop();
    expect(t.running).toBeDefined();
    expect(calls).toEqual(['#1 created in /state for litellm', '#1 start', '#1 stop']);
  });

  it("applies a reload's plan: reload, stop, start, none", async () => {
    const { calls, create } = services();
    const t = new LogTailing(create, logs('a'), '/state');
    await t.apply('reload', logs('a', 'b'), '/state');
    await t.apply('stop', undefined, '/state');
    expect(t.running).toBeUndefined();
    await t.apply('none', undefined, '/state');
    await t.apply('start', logs('c'), '/state');
    expect(t.running).toBeDefined();
    expect(calls).toEqual([
      '#1 created in /state for a',
      '#1 reload a,b',
      '#1 stop',
      '#2 created in /state for c',
      '#2 start',
    ]);
  });
});
