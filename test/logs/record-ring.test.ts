import { describe, expect, it } from 'vitest';
import { keptRecord, RecordRing, type KeptRecord } from '../../src/logs/record-ring.js';
import type { LogRecord } from '../../src/logs/records.js';
import type { Match } from '../../src/logs/rules.js';

const rec = (at: number, text = `record at ${at}`, container = 'c'): KeptRecord => ({
  container,
  at,
  stream: 'stderr',
  kind: 'other',
  text,
});

describe('RecordRing', () => {
  it('gives the records of a window in log order, per container', () => {
    const ring = new RecordRing();
    for (const at of [10, 30, 20, 40]) ring.add(rec(at));
    ring.add(rec(25, 'other container', 'd'));
    expect(ring.window('c', 15, 35).records.map((r) => r.at)).toEqual([20, 30]);
    expect(ring.window('c', 15, 35).overrun).toBe(false);
    expect(ring.window('d', 0, 100).records.map((r) => r.text)).toEqual(['other container']);
    expect(ring.latestAt('c')).toBe(40);
  });

  it('stays within its bytes: the oldest go, and a window that lost records says so', () => {
    const ring = new RecordRing(10 * 200);
    for (let i = 0; i < 100; i++) ring.add(rec(i * 10, 'x'.repeat(80)));
    const w = ring.window('c', 0, 2_000);
    expect(w.records.length).toBeLessThanOrEqual(10);
    expect(w.records.at(-1)?.at).toBe(990);
    expect(w.overrun).toBe(true);
    // A window after the dropped records is complete.
    expect(ring.window('c', 985, 2_000)).toMatchObject({ overrun: false, records: [{ at: 990 }] });
  });

  it('drops records older than its age, without calling a recent window incomplete', () => {
    const ring = new RecordRing(1 << 20, 1_000);
    ring.add(rec(0));
    ring.add(rec(5_000));
    expect(ring.window('c', 0, 10_000).records.map((r) => r.at)).toEqual([5_000]);
    expect(ring.window('c', 4_000, 10_000).overrun).toBe(false);
  });

  it('keeps memory bounded over a long run (the array is compacted)', () => {
    const ring = new RecordRing(50 * 150);
    for (let i = 0; i < 100_000; i++) ring.add(rec(i, 'y'));
    const internal = (ring as unknown as { rings: Map<string, { records: unknown[] }> }).rings.get('c')!;
    expect(internal.records.length).toBeLessThan(5_000);
    expect(ring.window('c', 99_990, 100_000).records).toHaveLength(10);
  });

  it('says when the log is not being followed now; a period not followed that ended is no gap', () => {
    const ring = new RecordRing();
    ring.following('c', false, 100);
    expect(ring.window('c', 0, 1_000).notFollowingSince).toBe(100);
    ring.following('c', false, 200); // still the same period
    expect(ring.window('c', 0, 1_000).notFollowingSince).toBe(100);
    ring.following('c', true, 300);
    expect(ring.window('c', 0, 1_000).notFollowingSince).toBeUndefined();
    // A container never seen: nothing was read from it.
    expect(ring.window('never', 50, 1_000)).toMatchObject({ records: [], notFollowingSince: 50 });
    ring.remove('c');
    expect(ring.containers()).toEqual([]);
  });
});

describe('keptRecord', () => {
  const base: LogRecord = { stream: 'stderr', kind: 'litellm', ts: '', message: 'm', text: 'the text', lines: 1 };
  const mcp = (server?: string): Match => ({ category: 'mcp', kind: 'k', rule: 'r', ...(server && { server }) });
  it.each([
    ['a plain record', base, [], { container: 'c', at: 5, stream: 'stderr', kind: 'litellm', text: 'the text' }],
    ['its level', { ...base, level: 'ERROR' }, [], { level: 'ERROR' }],
    ['the servers its matches named, once each', base, [mcp('a'), mcp(), mcp('b'), mcp('a')], { servers: ['a', 'b'] }],
    [
      'the path and status of an access line',
      { ...base, kind: 'access' as const, http: { method: 'POST', path: '/mcp/', status: 401 } },
      [],
      { path: '/mcp/', status: 401 },
    ],
  ])('%s', (_name, rec, matched, want) => {
    const kept = keptRecord('c', 5, rec, matched);
    expect(kept).toMatchObject(want);
    if (matched.every((m) => !m.server)) expect(kept).not.toHaveProperty('servers');
  });
});
