import type { Phase, PhaseClock } from '../types.js';

export function createPhaseClock(now: () => number = () => performance.now()): PhaseClock {
  const totals: Partial<Record<Phase, number>> = {};
  let current: Phase | undefined;
  let last: Phase | undefined;
  let since = 0;
  const add = (phase: Phase, ms: number): void => {
    totals[phase] = (totals[phase] ?? 0) + ms;
  };
  const clock: PhaseClock = {
    get current() {
      return current;
    },
    get last() {
      return last;
    },
    start(phase) {
      if (current) clock.end();
      current = phase;
      last = phase;
      since = now();
    },
    end() {
      if (!current) return;
      add(current, now() - since);
      current = undefined;
    },
    add,
    async run(phase, fn) {
      clock.start(phase);
      try {
        return await fn();
      } finally {
        if (current === phase) clock.end();
      }
    },
    snapshot() {
      const out: Partial<Record<Phase, number>> = { ...totals };
      if (current) out[current] = (out[current] ?? 0) + (now() - since);
      for (const k of Object.keys(out) as Phase[]) out[k] = Math.round(out[k]! * 1000) / 1000;
      return out;
    },
  };
  return clock;
}
