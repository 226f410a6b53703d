import { describe, expect, it } from 'vitest';
import { restLine, wrap } from '../../src/probes/details-lines.js';

describe('restLine', () => {
  it('nothing left: no line', () => {
    expect(restLine({})).toEqual([]);
  });

  it('what is left, as JSON on one line', () => {
    expect(restLine({ status: 401, body: 'no' })).toEqual(['details:  {"status":401,"body":"no"}']);
  });
});

describe('wrap', () => {
  it('a short list fits on the head line, comma-separated', () => {
    expect(wrap('tools:    ', ['a', 'b', 'c'])).toEqual(['tools:    a, b, c']);
  });

  it('no items: the head alone, trimmed', () => {
    expect(wrap('tools:    ', [])).toEqual(['tools:']);
  });

  it('a long list wraps at the width, continuation lines indented under the first item', () => {
    const items = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    expect(wrap('head: ', items, 20)).toEqual(['head: alpha, bravo,', '      charlie,', '      delta, echo']);
  });

  it('no line is longer than the width unless one item is', () => {
    const items = Array.from({ length: 40 }, (_, i) => `server-tool_${i}`);
    const lines = wrap('tools:    ', items, 60);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toBe(`tools: ${items.join(', ')}`);
  });

  it('an item longer than the width stays on the head line rather than leaving it empty', () => {
    expect(wrap('t: ', ['a-very-long-tool-name'], 10)).toEqual(['t: a-very-long-tool-name']);
  });

  it('the default width is 100', () => {
    const items = Array.from({ length: 30 }, (_, i) => `tool_${i}`);
    const lines = wrap('tools:    ', items);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expect(lines[0]!.length).toBeGreaterThan(90);
  });
});
