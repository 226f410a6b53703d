const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Parses `500ms`, `10s`, `5m`, `1h`, `1m30s` into milliseconds; returns an error message otherwise. */
export function parseDuration(text: string): number | { error: string } {
  const s = text.trim();
  if (!DURATION.test(s)) {
    return { error: `invalid duration "${text}" (expected a number with a unit: ms, s, m or h, e.g. 500ms, 10s, 5m)` };
  }
  let ms = 0;
  for (const m of s.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (!(ms > 0)) return { error: `duration "${text}" must be greater than zero` };
  return Math.round(ms);
}

/** 15000 → "15s", 90000 → "1m30s", 250 → "250ms": for reasons people read. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) {
    const s = ms / 1000;
    return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
  }
  if (ms >= 3_600_000 && ms % 60_000 === 0) {
    const h = Math.floor(ms / 3_600_000);
    const min = (ms % 3_600_000) / 60_000;
    return min ? `${h}h${min}m` : `${h}h`;
  }
  const m = Math.floor(ms / 60_000);
  const rest = Math.round((ms % 60_000) / 1000);
  return rest ? `${m}m${rest}s` : `${m}m`;
}
