import type { ProbeResult } from '../probes/table.js';
import { settleWithin } from '../util/deadline.js';

interface Run {
  result: Promise<ProbeResult | undefined>;
  settled: Promise<void>;
  controller: AbortController;
}

/**
 * The runs in flight, by probe name. Shared by the scheduler of every config generation, so
 * a probe never runs twice at once, not even across a reload, and shutdown can abort them all.
 */
export class RunTracker {
  private readonly runs = new Map<string, Run>();

  has(name: string): boolean {
    return this.runs.has(name);
  }

  get size(): number {
    return this.runs.size;
  }

  current(name: string): Promise<ProbeResult | undefined> | undefined {
    return this.runs.get(name)?.result;
  }

  /**
   * Registers a run. `fn` gets the run's cancel signal and returns the result promise and the
   * promise that settles when its work has really stopped; the entry lives until then.
   */
  start(
    name: string,
    fn: (cancel: AbortSignal) => { result: Promise<ProbeResult | undefined>; settled: Promise<void> },
  ): Promise<ProbeResult | undefined> {
    const controller = new AbortController();
    const { result, settled } = fn(controller.signal);
    const run: Run = { result, settled, controller };
    this.runs.set(name, run);
    void settled.finally(() => {
      if (this.runs.get(name) === run) this.runs.delete(name);
    });
    return result;
  }

  abortAll(reason: Error): void {
    for (const run of this.runs.values()) run.controller.abort(reason);
  }

  /** Waits until no run is in flight, or the time is up; true when all stopped. */
  async drain(timeoutMs: number): Promise<boolean> {
    return (await settleWithin(Promise.all([...this.runs.values()].map((r) => r.settled)), timeoutMs)) === 'fulfilled';
  }
}
