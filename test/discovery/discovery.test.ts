import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Discovery, type DiscoverySink } from '../../src/discovery/discovery.js';
import { listPath } from '../../src/discovery/list-store.js';
import type { ListRead } from '../../src/discovery/servers.js';
import { Redactor } from '../../src/util/redact.js';
import { tempDir } from '../support/agent-proc.js';
import { capturingLogger, configOf } from '../support/runtime-config.js';
import { until } from '../support/until.js';

// The reading loop on its own, with the gateway's answers given by the test (the reads themselves, against real
// LiteLLM, are test/integration/discovery.test.ts's): a failed read keeps the list, changes are counted, a reload
// starts, stops and restarts targets, a list kept in stateDir is known before the first read.

type Event = [string, ...unknown[]];

function sink(events: Event[]): DiscoverySink {
  return {
    declare: (t) => events.push(['declare', t]),
    attempt: (t, ok) => events.push(['attempt', t, ok]),
    servers: (t, s) => events.push(['servers', t, [...s]]),
    changed: (t, c) => events.push(['changed', t, c]),
    forget: (t) => events.push(['forget', t]),
  };
}

function configFor(stateDir: string, every = '20ms', extra = ''): ReturnType<typeof configOf> {
  return configOf(`
stateDir: ${stateDir}
${extra}
targets:
  gw:
    url: http://127.0.0.1:9
    discover: { every: ${every}, probes: [{ type: mcp_catalog }] }
`);
}

describe('Discovery', () => {
  const running: Discovery[] = [];
  afterEach(async () => {
    await Promise.all(running.map((d) => d.stop()));
    running.length = 0;
  });

  /** A discovery whose reads answer `answers` in turn (the last one again once they run out). */
  function discovery(config: ReturnType<typeof configOf>, answers: ListRead[]) {
    const events: Event[] = [];
    let changes = 0;
    let reads = 0;
    const d = new Discovery(config, {
      logger: capturingLogger().logger,
      redactor: new Redactor(),
      sink: sink(events),
      tokensFor: () => undefined,
      onChange: () => void changes++,
      read: () => Promise.resolve(answers[Math.min(reads++, answers.length - 1)]!),
    });
    running.push(d);
    return { d, events, changes: () => changes, reads: () => reads };
  }

  const ok = (...servers: string[]): ListRead => ({ ok: true, source: 'server_list', servers });
  const failed: ListRead = { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:9' };

  it('the first list is known (no change counted), a failed read keeps it, a changed one is counted', async () => {
    const dir = tempDir();
    const { d, events, changes, reads } = discovery(configFor(dir), [ok('fs', 'ev'), failed, ok('fs', 'pg')]);
    expect(events).toEqual([['declare', 'gw']]);
    expect(d.lists().size).toBe(0);
    expect(d.listOf('gw')).toBeUndefined();
    d.start();
    await until(() => reads() >= 5 && changes() === 2);
    expect(d.lists().get('gw')).toEqual(['fs', 'pg']);
    expect(d.listOf('gw')).toEqual(['fs', 'pg']);
    expect(d.listOf('other')).toBeUndefined();
    expect(events.slice(0, 8)).toEqual([
      ['declare', 'gw'],
      ['attempt', 'gw', true],
      ['servers', 'gw', ['ev', 'fs']],
      ['attempt', 'gw', false],
      ['attempt', 'gw', true],
      ['servers', 'gw', ['fs', 'pg']],
      ['changed', 'gw', { added: ['pg'], removed: ['ev'] }],
      ['attempt', 'gw', true],
    ]);
    // The list is kept in stateDir (names and where they came from, nothing else).
    await until(() => {
      try {
        return (JSON.parse(readFileSync(listPath(dir, 'gw'), 'utf8')) as { servers: string[] }).servers.length === 2;
      } catch {
        return false;
      }
    });
    const kept = JSON.parse(readFileSync(listPath(dir, 'gw'), 'utf8')) as Record<string, unknown>;
    expect(kept).toMatchObject({
      target: 'gw',
      url: 'http://127.0.0.1:9',
      source: 'server_list',
      servers: ['fs', 'pg'],
    });
  });

  it('a list kept in stateDir is known at once, for the same gateway only; the next read counts changes against it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'discovery'));
    const kept = {
      version: 1,
      target: 'gw',
      url: 'http://127.0.0.1:9',
      source: 'server_list',
      at: 1,
      servers: ['a', 'b'],
    };
    writeFileSync(listPath(dir, 'gw'), JSON.stringify(kept));
    const { d, events, changes } = discovery(configFor(dir, '1h'), [ok('b')]);
    expect(d.lists().get('gw')).toEqual(['a', 'b']);
    expect(d.status(configFor(dir, '1h'))[0]?.list).toMatchObject({ restored: true, source: 'server_list' });
    expect(events).toEqual([
      ['declare', 'gw'],
      ['servers', 'gw', ['a', 'b']],
    ]);
    d.start();
    await until(() => changes() === 1);
    expect(events).toContainEqual(['changed', 'gw', { added: [], removed: ['a'] }]);

    writeFileSync(listPath(dir, 'gw'), JSON.stringify({ ...kept, url: 'http://elsewhere:4000' }));
    const other = discovery(configFor(dir, '1h'), [failed]);
    expect(other.d.lists().size).toBe(0);
  });

  it('a reload: a target no longer discovered stops and loses its series; a changed interval reads again at once', async () => {
    const dir = tempDir();
    const { d, events, reads } = discovery(configFor(dir, '1h'), [ok('fs')]);
    d.start();
    await until(() => reads() === 1);
    d.configure(configFor(dir, '2h'));
    await until(() => reads() === 2);
    expect(d.lists().get('gw')).toEqual(['fs']);
    d.configure(configOf(`stateDir: ${dir}\ntargets:\n  gw: { url: "http://127.0.0.1:9" }\n`));
    expect(events.at(-1)).toEqual(['forget', 'gw']);
    expect(d.lists().size).toBe(0);
  });

  it('a replica of another shard reads the lists but reports nothing', async () => {
    const dir = tempDir();
    const { d, events, changes } = discovery(configFor(dir, '1h', 'shard: { index: 1, total: 2 }'), [ok('fs')]);
    d.start();
    await until(() => changes() === 1);
    expect(d.lists().get('gw')).toEqual(['fs']);
    expect(events).toEqual([]);
  });
});
