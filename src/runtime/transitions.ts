import type { ProbeResult } from '../probes/table.js';

export interface TransitionLog {
  level: 'info' | 'warn' | 'debug';
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * Pure: how a run is logged. A change of outcome is logged (a failure as a warning, a recovery
 * as info); a probe that keeps its outcome only at debug, not on every run.
 */
export function transitionLog(prev: ProbeResult | undefined, result: ProbeResult): TransitionLog {
  const fields = {
    probe: result.probe,
    target: result.target,
    type: result.type,
    outcome: result.outcome,
    durationMs: result.durationMs,
  };
  if (!prev || prev.outcome !== result.outcome) {
    if (result.success)
      return { level: 'info', msg: prev ? `probe recovered (was ${prev.outcome})` : 'probe ok', fields };
    return { level: 'warn', msg: `probe failing: ${result.outcome}: ${result.reason}`, fields };
  }
  return { level: 'debug', msg: 'probe run', fields: { ...fields, reason: result.reason } };
}
