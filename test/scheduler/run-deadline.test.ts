import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPhaseClock } from '../../src/probes/net/phases.js';
import { ProbeTimeoutError } from '../../src/probes/types.js';
import {
  ABANDON_AFTER_MS,
  ABORT_GRACE_MS,
  RUN_FINISHED,
  RunDeadline,
  workSettled,
} from '../../src/scheduler/run-deadline.js';

/** How a promise stands now: 'pending', 'resolved' or the reason it rejected with. */
function state(p: Promise<unknown>): () => unknown {
  let s: unknown = 'pending';
  p.then(
    () => (s = 'resolved'),
    (err: unknown) => (s = err),
  );
  return () => s;
}

describe('RunDeadline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts its signal when the time is up; `expired` follows a grace period later', async () => {
    const d = new RunDeadline(300, createPhaseClock());
    const expired = state(d.expired);
    await vi.advanceTimersByTimeAsync(299);
    expect(d.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(d.signal.reason).toBeInstanceOf(ProbeTimeoutError);
    expect((d.signal.reason as ProbeTimeoutError).timeoutMs).toBe(300);
    await vi.advanceTimersByTimeAsync(ABORT_GRACE_MS - 1);
    expect(expired()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(expired()).toBe(d.signal.reason);
  });

  it('aborts with the reason of `cancel`, also of one aborted already', async () => {
    const cancel = new AbortController();
    const d = new RunDeadline(10_000, createPhaseClock(), cancel.signal);
    void d.expired.catch(() => undefined);
    cancel.abort('shutting down');
    expect(d.signal.reason).toBe('shutting down');
    const before = new AbortController();
    before.abort('reloading');
    const e = new RunDeadline(10_000, createPhaseClock(), before.signal);
    expect(e.signal.reason).toBe('reloading');
    const expired = state(e.expired);
    await vi.advanceTimersByTimeAsync(ABORT_GRACE_MS);
    expect(expired()).toBe('reloading');
  });

  it('end: no timeout or cancel any more, its signal ends with RUN_FINISHED, and no grace timer is left', async () => {
    const cancel = new AbortController();
    const d = new RunDeadline(300, createPhaseClock(), cancel.signal);
    const expired = state(d.expired);
    d.end();
    expect(d.signal.reason).toBe(RUN_FINISHED);
    expect(vi.getTimerCount()).toBe(0);
    cancel.abort('late');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(d.signal.reason).toBe(RUN_FINISHED);
    expect(expired()).toBe('pending');
  });

  it('end after a timeout keeps the timeout as the reason', async () => {
    const d = new RunDeadline(100, createPhaseClock());
    void d.expired.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(100);
    d.end();
    expect(d.signal.reason).toBeInstanceOf(ProbeTimeoutError);
  });

  it('phase: the one the signal interrupted, else the current one', async () => {
    const phases = createPhaseClock();
    const d = new RunDeadline(100, phases);
    void d.expired.catch(() => undefined);
    phases.start('connect');
    expect(d.phase()).toBe('connect');
    phases.start('initialize');
    await vi.advanceTimersByTimeAsync(100);
    phases.end(); // the probe's `phases.run` ends the phase before its error reaches the run
    expect(d.phase()).toBe('initialize');
  });
});

describe('workSettled', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const logger = () => ({ error: vi.fn() });

  it.each([
    ['resolves', () => Promise.resolve()],
    ['rejects', () => Promise.reject(new Error('boom'))],
  ])('settles when the work %s', async (_name, work) => {
    const log = logger();
    const settled = state(workSettled(work(), new Promise(() => undefined), log as never));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled()).toBe('resolved');
    expect(log.error).not.toHaveBeenCalled();
  });

  it('abandons work that has not stopped ABANDON_AFTER_MS after the run ended, and says so', async () => {
    const log = logger();
    const settled = state(workSettled(new Promise(() => undefined), Promise.resolve(), log as never));
    await vi.advanceTimersByTimeAsync(ABANDON_AFTER_MS - 1);
    expect(settled()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(settled()).toBe('resolved');
    expect(log.error).toHaveBeenCalledWith(
      { afterMs: ABANDON_AFTER_MS },
      'probe did not stop after its run ended: abandoning it (a bug in the probe)',
    );
  });

  it('work that stops late, but in time, is not abandoned', async () => {
    const log = logger();
    let stop!: () => void;
    const work = new Promise<void>((r) => (stop = r));
    const settled = state(workSettled(work, Promise.resolve(), log as never));
    await vi.advanceTimersByTimeAsync(ABANDON_AFTER_MS / 2);
    stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled()).toBe('resolved');
    expect(vi.getTimerCount()).toBe(0);
    expect(log.error).not.toHaveBeenCalled();
  });
});
