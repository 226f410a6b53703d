import { describe, expect, it } from 'vitest';
import { RecordRing, type KeptRecord } from '../../src/logs/record-ring.js';
import { fixtureRecords } from '../support/evidence-fixture.js';

const rec = (at: number, text = `record at ${at}`, container = 'c'): KeptRecord => ({
  container,
  at,
  stream: 'stderr',
  kind: 'other',
  text,
});

describe('records of the real fixture', () => {
  const records = fixtureRecords();

  it("postgres-mcp's rich log lines are one record each, continuation lines joined, the level read", () => {
    const rich = records.filter((r) => r.kind === 'rich');
    const warnings = rich.filter((r) => r.level === 'WARNING');
    expect(warnings.length).toBeGreaterThan(5);
    for (const w of warnings) {
      expect(w.text).toMatch(/^(\[12\/02\/26 \d\d:\d\d:\d\d\] | {20})WARNING  error connecting in 'pool-\d':/);
      expect(w.text).toContain('failed: Connection refused');
      expect(w.text.split('\n')).toHaveLength(7);
    }
    // Nothing of a rich record is left over as a record of its own.
    expect(
      records.filter(
        (r) => r.kind === 'other' && /^\s+(connection failed|failed: Connection refused|server at)/.test(r.text),
      ),
    ).toEqual([]);
    expect(rich.find((r) => r.text.includes('Starting PostgreSQL MCP Server'))?.text).toMatch(
      /Starting PostgreSQL MCP Server in\s+server\.py:\d+\n\s+RESTRICTED mode/,
    );
  });

  it('LiteLLM records around them are unchanged: the server they name comes from the rules', () => {
    const broken = records.filter((r) => r.text.includes('Task cancelled while listing tools from mcp_broken'));
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({ kind: 'litellm', level: 'WARNING', servers: ['mcp_broken'] });
    // Python's root logger repeats LiteLLM's records: the repeats are not kept twice.
    expect(
      records
        .filter((r) => r.text.includes('Client operation cancelled for mcp_broken'))
        .every((r) => r.kind === 'litellm'),
    ).toBe(true);
  });
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
