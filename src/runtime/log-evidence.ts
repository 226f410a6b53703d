import type { Probe } from '../config/parse.js';
import { evidenceWindow, gatewayLog, subjectOf } from '../correlate/evidence.js';
import type { RecordRing } from '../logs/record-ring.js';
import type { ProbeResult } from '../probes/table.js';
import type { Redactor } from '../util/redact.js';

/**
 * A record reaches mcpwatch a little after it was logged (Docker's stream, the record joiner
 * waiting for continuation lines): the window is read once the log has moved past its end, or
 * this long after its end when the gateway logs nothing more.
 */
export const DELIVERY_SLACK_MS = 500;
const POLL_MS = 50;

/**
 * Adds the gateway's log to a failed run's result, from the records the log service keeps of the
 * followed containers. Waits (at most the window's tail and the delivery slack) for the records
 * logged just after the run; a cancelled wait adds what is there.
 */
export class LogEvidence {
  constructor(
    private readonly ring: RecordRing,
    private readonly containers: () => readonly string[],
    private readonly redactor: Redactor,
    private readonly now: () => number = Date.now,
  ) {}

  async annotate(result: ProbeResult, probe: Probe, signal?: AbortSignal): Promise<ProbeResult> {
    if (result.success) return result;
    const containers = this.containers();
    if (containers.length === 0) return result;
    const span = evidenceWindow(result);
    await this.caughtUp(containers, span.to, signal);
    const windows = containers.map((container) => ({
      container,
      window: this.ring.window(container, span.from, span.to),
    }));
    return { ...result, gatewayLog: gatewayLog(windows, subjectOf(probe, result), span, this.redactor) };
  }

  /** Until every container's log has passed `until`, or `until` plus the slack has passed. */
  private caughtUp(containers: readonly string[], until: number, signal?: AbortSignal): Promise<void> {
    const done = (): boolean =>
      signal?.aborted === true ||
      this.now() >= until + DELIVERY_SLACK_MS ||
      containers.every((c) => this.ring.latestAt(c) > until);
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        if (!done()) return;
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, POLL_MS);
      const onAbort = (): void => {
        clearInterval(timer);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
