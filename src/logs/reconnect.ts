import type { ContainerInfo } from './docker-source.js';

/** Fallback re-check while waiting for a container, should an event be missed. */
export const RECHECK_MS = 10_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;

/**
 * A container's log ended (it stopped, or the daemon went away) and the container was looked up again: how long to
 * wait before looking again (undefined: at once). An event, or Docker coming back, cuts a wait short.
 */
export function waitAfterEnd(id: string, again: Pick<ContainerInfo, 'id' | 'running'> | undefined): number | undefined {
  // Re-created: a new log, all of it unseen.
  if (again && again.id !== id) return 0;
  // Running again already (a restart), or the stream broke while it ran: resume from the cursor.
  if (again?.running) return undefined;
  // Stopped or removed: wait for it to come back.
  return RECHECK_MS;
}

/** The wait before the next try after a failure: doubling up to a limit, from the start again after a success. */
export class Backoff {
  private ms = BACKOFF_MIN_MS;

  reset(): void {
    this.ms = BACKOFF_MIN_MS;
  }

  next(): number {
    const ms = this.ms;
    this.ms = Math.min(ms * 2, BACKOFF_MAX_MS);
    return ms;
  }
}

/** An error status from the Docker API (dockerode sets statusCode), as opposed to no answer at all. */
export function isApiError(err: unknown): boolean {
  return typeof (err as { statusCode?: unknown } | null)?.statusCode === 'number';
}
