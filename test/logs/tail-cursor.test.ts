import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerConfig } from '../../src/config/schema.js';
import { CursorStore } from '../../src/logs/cursor-store.js';
import { RESUME_LOOKBACK_MS, shiftTs } from '../../src/logs/cursor.js';
import { tsToSince } from '../../src/logs/lines.js';
import { cursorStart, readFrom, TailCursor } from '../../src/logs/tail-cursor.js';

const TS = '2026-11-24T10:00:00.000000001Z';
const stored = (id: string) => ({ id, origin: '', streams: { stdout: { ts: TS, count: 2 } } });

describe('cursorStart', () => {
  const first = { stored: undefined, hadCursor: false, from: 'end' as const, created: 100, startedAt: 200 };
  it.each([
    ["the stored position is this container's", { ...first, stored: stored('a') }, 'stored'],
    [
      'the stored position is of another container of the name (re-created)',
      { ...first, stored: stored('b') },
      'whole log',
    ],
    ['this tail followed another container of the name', { ...first, hadCursor: true }, 'whole log'],
    ['from: beginning', { ...first, from: 'beginning' as const }, 'whole log'],
    ['created after the tail started', { ...first, created: 200 }, 'whole log'],
    ['the very first start, a container that was already there', first, 'end of log'],
  ])('%s', (_name, facts, start) => expect(cursorStart('a', facts)).toBe(start));
});

describe('readFrom', () => {
  it.each([
    ['', { tail: 'all' }],
    ['1795774282.800097038', { since: '1795774282.800097038' }],
  ])('%j', (since, from) => expect(readFrom(since)).toEqual(from));
});

describe('TailCursor', () => {
  const config = (from: ContainerConfig['from'] = 'end'): ContainerConfig => ({
    name: 'litellm',
    rules: ['litellm'],
    extraRules: [],
    from,
    watchFiles: [],
  });
  const storeIn = (): CursorStore => new CursorStore(mkdtempSync(join(tmpdir(), 'mcpwatch-tail-cursor-')));

  it('resumes from the stored position of the same container, a little before it', async () => {
    const store = storeIn();
    store.save('litellm', stored('a'));
    await store.flush();
    const { cursor, from } = await new TailCursor(config(), store).open('a', 0);
    expect(from).toEqual({ since: tsToSince(shiftTs(TS, -RESUME_LOOKBACK_MS)) });
    // Resumed: the two lines counted at the position are dropped again, the third is new.
    expect([cursor.accept('stdout', TS), cursor.accept('stdout', TS), cursor.accept('stdout', TS)]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('starts at the end of the log on the very first start, at the beginning with from: beginning', async () => {
    const before = Date.now();
    const end = await new TailCursor(config(), storeIn()).open('a', 0);
    expect('since' in end.from && Number(end.from.since)).toBeGreaterThanOrEqual(Math.floor(before / 1000));
    const whole = await new TailCursor(config('beginning'), storeIn()).open('a', 0);
    expect(whole.from).toEqual({ tail: 'all' });
  });

  it('keeps its cursor for the same container, takes the whole log of a new one, and saves on close', async () => {
    const store = storeIn();
    const t = new TailCursor(config(), store);
    const a = await t.open('a', 0);
    a.cursor.accept('stdout', TS);
    const again = await t.open('a', 0);
    expect(again.cursor).toBe(a.cursor);
    const b = await t.open('b', 0);
    expect(b.from).toEqual({ tail: 'all' });
    b.cursor.accept('stderr', TS);
    await t.close();
    expect(await store.load('litellm')).toEqual({ id: 'b', origin: '', streams: { stderr: { ts: TS, count: 1 } } });
  });

  it('saves nothing before it has a cursor', async () => {
    const store = storeIn();
    await new TailCursor(config(), store).close();
    expect(await store.load('litellm')).toBeUndefined();
  });
});
