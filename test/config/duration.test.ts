import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
  ])('%s → %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '10', 's', '10 s', '-1s', '1d', '0ms'])('rejects %j', (text) => expect(typeof parseDuration(text)).toBe('object'));
  it.each([
    [250, '250ms'],
    [15_000, '15s'],
    [1_500, '1.5s'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
  ])('formats %i', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
