import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DueTimer } from '../../src/logs/due-timer.js';

describe('DueTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires at the time set, then at the time onDue gives, until it gives none', () => {
    const fired: number[] = [];
    const next = [1_300, undefined];
    const t = new DueTimer(() => {
      fired.push(Date.now());
      return next.shift();
    });
    t.set(1_200);
    vi.advanceTimersByTime(199);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([1_200]);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([1_200, 1_300]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('moves to a new time; the same time again keeps the timer; a time past fires at once', () => {
    const fired: number[] = [];
    const t = new DueTimer(() => void fired.push(Date.now()));
    t.set(1_500);
    t.set(1_100);
    t.set(1_100);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(500);
    expect(fired).toEqual([1_100]);
    t.set(500);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual([1_100, 1_500]);
  });

  it('clear and set(undefined) stop it; it can be set again after', () => {
    const fired: number[] = [];
    const t = new DueTimer(() => void fired.push(Date.now()));
    t.set(1_100);
    t.clear();
    t.set(1_200);
    t.set(undefined);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([]);
    t.set(2_100);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([2_100]);
  });
});
