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
  // Rounded to what is shown before choosing the unit, so 59,950 ms is "1m", not "60.0s".
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${tenths % 10 === 0 ? tenths / 10 : (tenths / 10).toFixed(1)}s`;
  const secs = Math.round(ms / 1000);
  if (secs >= 3600 && secs % 60 === 0) {
    const h = Math.floor(secs / 3600);
    const min = (secs % 3600) / 60;
    return min ? `${h}h${min}m` : `${h}h`;
  }
  const m = Math.floor(secs / 60);
  const rest = secs % 60;
  return rest ? `${m}m${rest}s` : `${m}m`;
}
