import type { Target } from '../config/target.js';
import { classifyError } from '../probes/net/failures.js';
import { hostPortOf } from '../probes/net/requests.js';
import type { ProbeOutput } from '../probes/types.js';
import type { RunDeadline } from './run-deadline.js';

/**
 * A run's outcome: what its probe returned, or anything it threw turned into an outcome with a reason (also when the
 * deadline ends a probe that ignores its signal). Never rejects.
 */
export function outcomeOf(work: Promise<ProbeOutput>, deadline: RunDeadline, target: Target): Promise<ProbeOutput> {
  return Promise.race([work, deadline.expired]).catch((err: unknown) =>
    classifyError(err, { signal: deadline.signal, phase: deadline.phase(), host: hostPortOf(target) }),
  );
}

/** The outcome of a run of a probe type this build does not have. */
export function unsupported(type: string): ProbeOutput {
  return { outcome: 'internal_error', reason: `probe type ${type} is not supported by this build` };
}
