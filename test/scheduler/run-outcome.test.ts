import { describe, expect, it } from 'vitest';
import type { Target } from '../../src/config/target.js';
import { createPhaseClock } from '../../src/probes/net/phases.js';
import { type PhaseClock, ProbeCancelledError, ProbeFailure, type ProbeOutput } from '../../src/probes/types.js';
import { ABORT_GRACE_MS, RunDeadline } from '../../src/scheduler/run-deadline.js';
import { outcomeOf, unsupported } from '../../src/scheduler/run-outcome.js';

const target = { url: 'http://127.0.0.1:4000' } as Target;

/** The outcome of a run whose probe does `work` with the deadline's signal (timeout 50 ms unless said). */
async function outcome(
  work: (signal: AbortSignal, phases: PhaseClock) => Promise<ProbeOutput>,
  timeoutMs = 50,
  cancel?: AbortSignal,
): Promise<ProbeOutput> {
  const phases = createPhaseClock();
  const deadline = new RunDeadline(timeoutMs, phases, cancel);
  try {
    return await outcomeOf(
      Promise.resolve().then(() => work(deadline.signal, phases)),
      deadline,
      target,
    );
  } finally {
    deadline.end();
  }
}

const never = (): Promise<ProbeOutput> => new Promise(() => undefined);
/** A probe that honours its signal: it fails with the signal's reason. */
const honours = (signal: AbortSignal): Promise<ProbeOutput> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

describe('outcomeOf', () => {
  it.each([
    ['what the probe returned', async () => ({ outcome: 'ok', reason: 'fine' }), { outcome: 'ok', reason: 'fine' }],
    [
      'a ProbeFailure: its outcome, reason and details',
      async () => {
        throw new ProbeFailure('http_error', 'HTTP 500', { status: 500 } as never);
      },
      { outcome: 'http_error', reason: 'HTTP 500', details: { status: 500 } },
    ],
    [
      'an error it did not mean to throw',
      async () => {
        throw new TypeError('cannot read properties of undefined');
      },
      { outcome: 'internal_error', reason: 'probe failed unexpectedly: cannot read properties of undefined' },
    ],
    [
      'something thrown that is not an Error',
      async () => {
        throw 'a string, not an Error';
      },
      { outcome: 'internal_error', reason: 'probe failed unexpectedly: a string, not an Error' },
    ],
    [
      'a connection refused, with the host',
      async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      {
        outcome: 'connect_error',
        reason: 'connection refused by 127.0.0.1:4000: is the gateway running and listening there? (ECONNREFUSED)',
      },
    ],
  ] as const)('%s', async (_name, work, want) => {
    expect(await outcome(work as () => Promise<ProbeOutput>)).toEqual(want);
  });

  it('a probe that honours its signal ends at its timeout, with the phase it was in', async () => {
    const t0 = performance.now();
    const out = await outcome((signal, phases) => {
      phases.start('initialize');
      return honours(signal);
    });
    expect(out).toEqual({ outcome: 'timeout', reason: 'timeout after 50ms in initialize' });
    expect(performance.now() - t0).toBeLessThan(50 + ABORT_GRACE_MS);
  });

  it('a probe that ignores its signal still ends, a grace period after its timeout', async () => {
    const t0 = performance.now();
    expect(await outcome(never)).toEqual({ outcome: 'timeout', reason: 'timeout after 50ms' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50 + ABORT_GRACE_MS - 5);
  });

  it('a probe may end with its own reason within the grace period', async () => {
    const out = await outcome(
      (signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () =>
            setTimeout(() => resolve({ outcome: 'http_error', reason: 'own' }), 10),
          ),
        ),
    );
    expect(out).toEqual({ outcome: 'http_error', reason: 'own' });
  });

  it('a run cut short by shutdown says so', async () => {
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new ProbeCancelledError('shutting down')), 10);
    expect(await outcome(honours, 10_000, cancel.signal)).toEqual({
      outcome: 'timeout',
      reason: 'cancelled: shutting down',
    });
  });
});

describe('unsupported', () => {
  it('names the type this build does not have', () => {
    expect(unsupported('nope')).toEqual({
      outcome: 'internal_error',
      reason: 'probe type nope is not supported by this build',
    });
  });
});
