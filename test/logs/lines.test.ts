import { describe, expect, it } from 'vitest';
import { LineAssembler, type LogLine, normalizeTs, stripAnsi, tsToMs, tsToSince } from '../../src/logs/lines.js';

/** One Docker message for a framed-mode assembler. */
const push = (a: LineAssembler, payload: Buffer, out: LogLine[]): void => a.pushPart(payload, 0, payload.length, out);

describe('tsToMs', () => {
  it('reads Docker timestamps to the millisecond', () => {
    expect(tsToMs('2026-11-24T10:11:22.800097038Z')).toBe(Date.parse('2026-11-24T10:11:22.800Z'));
    expect(tsToMs('2026-11-24T10:11:22Z')).toBe(Date.parse('2026-11-24T10:11:22Z'));
  });

  it('takes a timestamp it cannot read as now, never NaN (a NaN would throw where a match is formatted)', () => {
    const before = Date.now();
    for (const bad of ['garbage', '', 'xxxx-xx-xxTxx:xx:xx.123Z']) {
      const ms = tsToMs(bad);
      expect(ms, bad).toBeGreaterThanOrEqual(before);
      expect(ms, bad).toBeLessThanOrEqual(Date.now());
    }
    expect(() => new Date(tsToMs('garbage')).toISOString()).not.toThrow();
  });
});

describe('lines', () => {
  it('normalises Docker timestamps and turns them into `since`', () => {
    expect(normalizeTs('2026-11-24T10:11:22.8Z')).toBe('2026-11-24T10:11:22.800000000Z');
    expect(normalizeTs('2026-11-24T10:11:22Z')).toBe('2026-11-24T10:11:22.000000000Z');
    expect(normalizeTs('2026-11-24T10:11:22.800097038Z')).toBe('2026-11-24T10:11:22.800097038Z');
    expect(tsToSince('2026-11-24T10:11:22.800097038Z')).toBe(`${Date.parse('2026-11-24T10:11:22Z') / 1000}.800097038`);
  });

  it.each([
    ['\x1b[92m10:11:51 - LiteLLM Proxy:ERROR\x1b[0m: x', '10:11:51 - LiteLLM Proxy:ERROR: x'],
    ['\x1b[1;31mGive Feedback\x1b[0m', 'Give Feedback'],
    ['\x1b]0;title\x07text', 'text'],
    ['plain', 'plain'],
  ])('strips ANSI from %j', (raw, clean) => expect(stripAnsi(raw)).toBe(clean));

  it("joins a long line Docker split into 16 KiB messages, each with the line's timestamp", () => {
    const a = new LineAssembler('stdout', 100_000);
    const out: LogLine[] = [];
    const t = '2026-11-24T10:11:22.802638316Z';
    push(a, Buffer.from(`${t} ${'x'.repeat(16384)}`), out);
    push(a, Buffer.from(`${t} ${'y'.repeat(16384)}`), out);
    expect(out).toHaveLength(0);
    push(a, Buffer.from(`${t} zz\n`), out);
    expect(out).toHaveLength(1);
    expect(out[0]!.text).toBe(`${'x'.repeat(16384)}${'y'.repeat(16384)}zz`);
    expect(out[0]!.ts).toBe(t);
  });

  it('caps a 1 MB line: kept up to the cap, counted once', () => {
    const a = new LineAssembler('stdout', 64 * 1024);
    const out: LogLine[] = [];
    const t = '2026-11-24T10:11:22.802638316Z';
    for (let i = 0; i < 64; i++) push(a, Buffer.from(`${t} ${'x'.repeat(16384)}`), out);
    push(a, Buffer.from(`${t} end\n`), out);
    push(a, Buffer.from(`${t.replace('316Z', '317Z')} next\n`), out);
    expect(out.map((l) => [l.text.length, l.truncated])).toEqual([
      [64 * 1024, true],
      [4, false],
    ]);
  });

  it('reads TTY streams (raw, \\r\\n) split anywhere', () => {
    const raw = Buffer.from(
      '2026-11-24T10:11:43.365056398Z a\r\n2026-11-24T10:11:43.365086562Z \x1b[31mred\x1b[0m\r\n2026-11-24T10:11:43.368849981Z c\r\n',
    );
    for (let cut = 0; cut <= raw.length; cut++) {
      const a = new LineAssembler('stdout');
      const out: LogLine[] = [];
      a.pushRaw(raw.subarray(0, cut), out);
      a.pushRaw(raw.subarray(cut), out);
      a.flush(out);
      expect(
        out.map((l) => l.text),
        `cut at ${cut}`,
      ).toEqual(['a', 'red', 'c']);
    }
  });
});
