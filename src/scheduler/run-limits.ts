import type { Config } from '../config/parse.js';
import { Semaphore } from './semaphore.js';

/** The limits a config sets: runs in flight across all probes, and against each target that sets its own. */
type LimitsOf = Pick<Config, 'maxConcurrentProbes' | 'targets'>;

/**
 * How many probe runs may be in flight at once: `maxConcurrentProbes` across all probes, and a target's own
 * `maxConcurrentProbes` against that target (a gateway that spends seconds of CPU on each MCP session, such as
 * LiteLLM 1.109+ starting its stdio servers for every list, is asked a few things at a time rather than all at once).
 * A run takes its target's slot first, then one of all: a run queued behind its own target holds no slot of all, so
 * one slow target does not hold up the others. Kept across reloads (`adopt`): runs in flight keep their slots.
 */
export class RunLimits {
  private readonly all: Semaphore;
  private readonly perTarget = new Map<string, Semaphore>();

  constructor(config: LimitsOf) {
    this.all = new Semaphore(config.maxConcurrentProbes);
    this.adopt(config);
  }

  /** The limits of a new config; a target whose limit went away is no longer held back. */
  adopt(config: LimitsOf): void {
    this.all.setLimit(config.maxConcurrentProbes);
    for (const [name, sem] of this.perTarget)
      if (config.targets[name]?.maxConcurrentProbes === undefined) sem.setLimit(Number.POSITIVE_INFINITY);
    for (const [name, t] of Object.entries(config.targets)) {
      const limit = t.maxConcurrentProbes;
      if (limit === undefined) continue;
      const sem = this.perTarget.get(name);
      if (sem) sem.setLimit(limit);
      else this.perTarget.set(name, new Semaphore(limit));
    }
  }

  /** Resolves with a release once the run has a slot of its target (when it has a limit) and one of all. */
  async acquire(target: string, signal?: AbortSignal): Promise<() => void> {
    const own = this.perTarget.get(target);
    const releaseOwn = own ? await own.acquire(signal) : undefined;
    try {
      const releaseAll = await this.all.acquire(signal);
      return () => {
        releaseAll();
        releaseOwn?.();
      };
    } catch (err) {
      releaseOwn?.();
      throw err;
    }
  }

  /** Runs waiting for a slot, of either kind. */
  get queued(): number {
    let n = this.all.queued;
    for (const sem of this.perTarget.values()) n += sem.queued;
    return n;
  }

  /**
   * How long the run that has waited longest has waited, in ms (0 when none), and the target whose own limit holds it
   * (none: the limit of all).
   */
  oldestWait(now = performance.now()): { ms: number; target?: string } {
    let oldest: { ms: number; target?: string } = { ms: this.all.oldestWaitMs(now) };
    for (const [target, sem] of this.perTarget) {
      const ms = sem.oldestWaitMs(now);
      if (ms > oldest.ms) oldest = { ms, target };
    }
    return oldest;
  }
}
