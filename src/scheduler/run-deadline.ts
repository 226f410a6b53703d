import type { Logger } from 'pino';
import { ProbeTimeoutError, type Phase, type PhaseClock } from '../probes/types.js';

/** How long after its signal aborts a probe may still end with its own reason. */
export const ABORT_GRACE_MS = 100;
/**
 * A probe that still has not stopped this long after its run ended is abandoned: its next runs
 * are no longer held back by it (no-overlap would otherwise block that probe for good).
 */
export const ABANDON_AFTER_MS = 10_000;
/** Ends the run's own abort signal: one reason for all runs (an Error per run costs a stack trace). */
export const RUN_FINISHED = new Error('run finished');

/**
 * The time of one run: its signal aborts when the timeout is up or when `cancel` aborts (shutdown). The signal ends the
 * run on time even if a probe ignores it (`expired`); a probe that honours it gets a moment to end with its own, more
 * specific reason.
 */
export class RunDeadline {
  /** Rejects with the signal's reason ABORT_GRACE_MS after the signal aborted, unless the run ended first. */
  readonly expired: Promise<never>;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  /**
   * The phase the signal interrupted: by the time the error reaches us, a probe's `phases.run` has already ended that
   * phase.
   */
  private phaseAtAbort: Phase | undefined;

  constructor(
    timeoutMs: number,
    private readonly phases: PhaseClock,
    private readonly cancel?: AbortSignal,
  ) {
    const { signal } = this.controller;
    this.timer = setTimeout(() => this.controller.abort(new ProbeTimeoutError(timeoutMs)), timeoutMs);
    if (cancel?.aborted) this.onCancel();
    else cancel?.addEventListener('abort', this.onCancel, { once: true });
    this.expired = new Promise<never>((_, reject) => {
      // Once the run has ended, its own abort (RUN_FINISHED) must not start the grace timer: it would keep the whole
      // run alive for the grace period (at hundreds of runs a second, megabytes a second promoted to V8's old space).
      const later = (): void => {
        if (signal.reason !== RUN_FINISHED) setTimeout(() => reject(signal.reason), ABORT_GRACE_MS);
      };
      if (signal.aborted) later();
      else signal.addEventListener('abort', later, { once: true });
    });
    signal.addEventListener('abort', () => (this.phaseAtAbort = phases.current), { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The phase the run was in when its signal aborted, else the phase it is in. */
  phase(): Phase | undefined {
    return this.phaseAtAbort ?? this.phases.current;
  }

  /** The run has ended: no timeout or cancel any more, and its signal ends (what still listens to it lets go). */
  end(): void {
    clearTimeout(this.timer);
    this.cancel?.removeEventListener('abort', this.onCancel);
    if (!this.signal.aborted) this.controller.abort(RUN_FINISHED);
  }

  private readonly onCancel = (): void => this.controller.abort(this.cancel?.reason);
}

/**
 * Settles when a probe's own work has really stopped (for no-overlap bookkeeping), or ABANDON_AFTER_MS after its run
 * ended if it has not by then (a bug in the probe, logged).
 */
export function workSettled(work: Promise<unknown>, result: Promise<unknown>, logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    void work.then(
      () => resolve(),
      () => resolve(),
    );
    void result.then(() => {
      const t = setTimeout(() => {
        logger.error(
          { afterMs: ABANDON_AFTER_MS },
          'probe did not stop after its run ended: abandoning it (a bug in the probe)',
        );
        resolve();
      }, ABANDON_AFTER_MS);
      t.unref();
      void work.finally(() => clearTimeout(t)).catch(() => undefined);
    });
  });
}
