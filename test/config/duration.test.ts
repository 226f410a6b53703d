import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { duration } from '../../src/config/fields.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
  ])('%s → %i ms (parseDuration, and the config field `duration` alike)', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(duration.parse(text)).toBe(ms);
  });
  it.each(['', '10', 's', '10 s', '-1s', '1d', '0ms'])('rejects %j', (text) =>
    expect(typeof parseDuration(text)).toBe('object'),
  );
  it.each([
    [250, '250ms'],
    [15_000, '15s'],
    [1_500, '1.5s'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    // Rounded before the unit is chosen: never "1000ms", "60.0s" or "1m60s".
    [999.6, '1s'],
    [1_049, '1s'],
    [1_050, '1.1s'],
    [59_940, '59.9s'],
    [59_950, '1m'],
    [119_500, '2m'],
    [3_599_999, '1h'],
    [3_661_000, '61m1s'],
  ])('formats %d', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
