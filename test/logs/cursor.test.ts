import { describe, expect, it } from 'vitest';
import { parseStored } from '../../src/logs/cursor-store.js';
import { Cursor, nowTs, RESUME_LOOKBACK_MS, shiftTs } from '../../src/logs/cursor.js';
import type { StreamName } from '../../src/logs/frames.js';
import { tsToSince } from '../../src/logs/lines.js';

// The cursor decides, after any reconnect, which of the lines Docker sends again were counted
// already. Docker stamps lines per stream, so within a stream timestamps never go back, but across
// streams a line can be written after a later-stamped line of the other stream (measured on a busy
// container: up to a few ms). These tests replay a log with such inversions and equal timestamps,
// cut at every line, and check that every line is counted exactly once.

interface Entry {
  stream: StreamName;
  ts: string;
  n: number;
}

/** `seconds.nanoseconds` (Docker's since) back to a normalised timestamp, to filter like Docker does. */
function sinceToTs(since: string): string {
  const [secs, nanos] = since.split('.');
  return `${new Date(Number(secs) * 1000).toISOString().slice(0, 19)}.${nanos}Z`;
}

/** What Docker sends for a read from `since` ('' = the whole log): the lines stamped at or after it, in log order. */
function dockerRead(log: Entry[], since: string): Entry[] {
  if (!since) return log;
  const from = sinceToTs(since);
  return log.filter((e) => e.ts >= from);
}

const BASE = Date.parse('2026-11-24T10:00:00.000Z');
function ts(ms: number, ns = 0): string {
  return `${new Date(BASE + Math.floor(ms)).toISOString().slice(0, 23)}${String(ns).padStart(6, '0')}Z`;
}

/**
 * A log in file order: stdout and stderr interleaved, equal timestamps within a stream, and
 * stderr lines written after stdout lines stamped later than them (the cross-stream inversion).
 */
function nastyLog(): Entry[] {
  const log: Entry[] = [];
  let n = 0;
  const add = (stream: StreamName, t: string): void => void log.push({ stream, ts: t, n: n++ });
  add('stdout', ts(0, 1));
  add('stdout', ts(0, 1)); // same timestamp, same stream
  add('stderr', ts(0, 1)); // same timestamp, other stream
  add('stdout', ts(1, 5));
  add('stderr', ts(1, 2)); // written after a later-stamped stdout line
  add('stderr', ts(1, 2));
  add('stdout', ts(1, 5));
  add('stdout', ts(3));
  add('stderr', ts(2, 999)); // inverted by 1 ms
  add('stdout', ts(3));
  add('stdout', ts(5000)); // 5 s later: the lookback does not reach back to the start
  add('stderr', ts(4999, 1)); // inverted
  add('stdout', ts(5000));
  add('stderr', ts(5001));
  return log;
}

function countAll(log: Entry[], cutAfter: number[], persist: boolean, origin = ''): number[] {
  const seen = new Array<number>(log.length).fill(0);
  let cursor = new Cursor({ id: 'c', origin });
  let cuts = [...cutAfter];
  let guard = 0;
  for (;;) {
    if (guard++ > 100) throw new Error('no progress');
    const since = cursor.since();
    cursor.resume();
    const batch = dockerRead(log, since);
    let read = 0; // lines delivered in this read
    let cut = false;
    for (const e of batch) {
      if (cursor.accept(e.stream, e.ts)) seen[e.n]!++;
      read++;
      if (cuts.length && e.n === cuts[0] && read > 0) {
        cuts = cuts.slice(1);
        cut = true;
        break;
      }
    }
    if (!cut) return seen;
    // Reconnect; across an mcpwatch restart the cursor goes through its JSON form.
    if (persist) cursor = new Cursor(parseStored(JSON.parse(JSON.stringify({ container: 'x', ...cursor.position })))!);
  }
}

describe('cursor', () => {
  it('counts every line once whatever line the read is cut after (reconnect and mcpwatch restart)', () => {
    const log = nastyLog();
    for (const persist of [false, true]) {
      for (let k = 0; k < log.length; k++) {
        expect(countAll(log, [k], persist), `cut after line ${k}, persist ${persist}`).toEqual(log.map(() => 1));
      }
    }
  });

  it('counts every line once across several cuts in a row', () => {
    const log = nastyLog();
    for (let a = 0; a < log.length; a++)
      for (let b = a; b < log.length; b++)
        expect(countAll(log, [a, b], true), `cuts ${a}, ${b}`).toEqual(log.map(() => 1));
  });

  it('a single position for both streams would lose or double lines here (why positions are per stream)', () => {
    // Cut after line 3 (stdout, 1.000005): the stderr lines stamped 1.000002 come later in the log.
    const log = nastyLog();
    const single = { ts: log[3]!.ts };
    const replay = dockerRead(log, tsToSince(single.ts)).map((e) => e.n);
    expect(replay).not.toContain(4); // resuming at the newest timestamp misses them
    expect(countAll(log, [3], true)).toEqual(log.map(() => 1));
  });

  it('asks Docker for the newest position minus the lookback, never before the origin', () => {
    const c = new Cursor({ id: 'c' });
    expect(c.since()).toBe(''); // the whole log
    c.accept('stdout', '2026-11-24T10:00:05.000000007Z');
    c.accept('stderr', '2026-11-24T10:00:01.000000000Z');
    expect(c.since()).toBe(tsToSince(shiftTs('2026-11-24T10:00:05.000000007Z', -RESUME_LOOKBACK_MS)));
    expect(c.since()).toMatch(/\.000000007$/); // nanoseconds kept
    const late = new Cursor({ id: 'c', origin: '2026-11-24T10:00:04.500000000Z' });
    expect(late.since()).toBe(tsToSince('2026-11-24T10:00:04.500000000Z'));
    late.accept('stdout', '2026-11-24T10:00:05.000000007Z');
    expect(late.since()).toBe(tsToSince('2026-11-24T10:00:04.500000000Z'));
  });

  it('drops lines stamped before the origin (a first start at the end of the log)', () => {
    const origin = '2026-11-24T10:00:05.000000000Z';
    const c = new Cursor({ id: 'c', origin });
    expect(c.accept('stdout', '2026-11-24T10:00:04.999999999Z')).toBe(false);
    expect(c.accept('stdout', origin)).toBe(true);
    const log = nastyLog();
    const from = log[7]!.ts;
    const seen = countAll(log, [9], true, from);
    expect(seen).toEqual(log.map((e) => (e.ts >= from ? 1 : 0)));
  });

  it('resumes at the exact line: drops what each stream saw at the same timestamp, nothing else', () => {
    const T1 = '2026-11-24T10:00:00.000000001Z';
    const T2 = '2026-11-24T10:00:00.000000002Z';
    const c = new Cursor({ id: 'id' });
    for (const t of [T1, T2, T2]) expect(c.accept('stdout', t)).toBe(true);
    expect(c.position).toEqual({ id: 'id', origin: '', streams: { stdout: { ts: T2, count: 2 } } });
    const resumed = new Cursor(c.position);
    expect([T1, T2, T2, T2, '2026-11-24T10:00:00.000000003Z'].map((t) => resumed.accept('stdout', t))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
    // stderr never counted anything: its lines at T2 are new
    expect(resumed.accept('stderr', T2)).toBe(true);
  });

  it('formats timestamps for Docker', () => {
    expect(shiftTs('2026-11-24T10:00:01.000000042Z', -2000)).toBe('2026-11-24T09:59:59.000000042Z');
    expect(shiftTs('2026-11-24T10:00:01.5Z', 100)).toBe('2026-11-24T10:00:01.600000000Z');
    expect(nowTs(Date.parse('2026-11-24T10:00:01.234Z'))).toBe('2026-11-24T10:00:01.234000000Z');
  });
});
