import type { Probe } from '../config/parse.js';
import type { ProbeResult } from '../probes/table.js';
import type { OAuthFacts, ProbeOutput, Step, TlsFacts, Trigger } from '../probes/types.js';
import type { Redactor } from '../util/redact.js';

/** What is known of a run once it has ended, besides its outcome. */
export interface RunFacts {
  trigger: Trigger;
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
  phases: ProbeResult['phases'];
  steps: Step[];
  tls: TlsFacts | undefined;
  oauth: OAuthFacts | undefined;
}

/**
 * The one place a result is assembled, masked. Its details are the ones its own probe type produced (a ProbeFailure's
 * details come from inside that probe), so they belong to `probe.type`.
 */
export function assembleResult(probe: Probe, out: ProbeOutput, run: RunFacts, redactor: Redactor): ProbeResult {
  // A probe run as a named key of its target says which (the name only: its value is in no result).
  const key = 'key' in probe ? probe.key : undefined;
  const details = key !== undefined ? { ...out.details, key } : out.details;
  const masked = redactor.maskDeep({ reason: out.reason, details, steps: run.steps });
  return {
    probe: probe.name,
    type: probe.type,
    target: probe.target,
    outcome: out.outcome,
    success: out.outcome === 'ok',
    reason: masked.reason,
    ...(masked.details && { details: masked.details }),
    trigger: run.trigger,
    startedAt: run.startedAt,
    durationMs: Math.round(run.durationMs * 1000) / 1000,
    phases: run.phases,
    steps: masked.steps,
    ...(run.tls && { tls: run.tls }),
    ...(run.oauth && { oauth: structuredClone(run.oauth) }),
  } as ProbeResult;
}
