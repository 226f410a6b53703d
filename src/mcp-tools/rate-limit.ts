import type { ProbeResult } from '../probes/table.js';

export type RunDecision =
  { kind: 'run' } | { kind: 'cached'; result: ProbeResult; message: string } | { kind: 'limited'; message: string };

/**
 * Keeps `run_probe` from turning mcpwatch into a load generator: a probe run less than
 * `minIntervalMs` ago answers with that run, and at most `perMinute` runs start in any minute.
 */
export class RunRateLimiter {
  private readonly recent = new Map<string, ProbeResult>();
  private starts: number[] = [];

  constructor(
    private readonly minIntervalMs = 10_000,
    private readonly perMinute = 20,
    private readonly now: () => number = Date.now,
  ) {}

  take(name: string): RunDecision {
    const t = this.now();
    const last = this.recent.get(name);
    if (last && t - last.startedAt < this.minIntervalMs) {
      const ago = Math.round((t - last.startedAt) / 1000);
      const atMost = `at most one run per ${this.minIntervalMs / 1000} s`;
      return { kind: 'cached', result: last, message: `this probe ran ${ago} s ago: returning that run (${atMost})` };
    }
    this.starts = this.starts.filter((s) => t - s < 60_000);
    if (this.starts.length >= this.perMinute) {
      const wait = Math.ceil((60_000 - (t - this.starts[0]!)) / 1000);
      return { kind: 'limited', message: `${this.perMinute} probe runs in the last minute; try again in ${wait} s` };
    }
    this.starts.push(t);
    return { kind: 'run' };
  }

  remember(name: string, result: ProbeResult): void {
    this.recent.set(name, result);
  }
}
