import type { Logger } from 'pino';
import type { Probe } from '../config/parse.js';
import { createPhaseClock } from '../probes/net/phases.js';
import { probeTypeOf, type ProbeResult } from '../probes/table.js';
import type { ProbeOutput, Trigger } from '../probes/types.js';
import { runContext, type RunDeps } from './run-context.js';
import { RunDeadline, workSettled } from './run-deadline.js';
import { outcomeOf, unsupported } from './run-outcome.js';
import { assembleResult } from './run-result.js';

export type { RunDeps } from './run-context.js';

export interface RunHandle {
  /** Settles with the result as soon as the run ends or its time is up. */
  result: Promise<ProbeResult>;
  /** Settles when the probe's own work has really stopped (for no-overlap bookkeeping). */
  settled: Promise<void>;
}

/**
 * Runs one probe once: owns its timeout (aborting the signal), its per-run connections and
 * turning anything thrown into an outcome. Never rejects.
 */
export function runProbe(probe: Probe, deps: RunDeps, opts: { trigger: Trigger; cancel?: AbortSignal }): RunHandle {
  const startedAt = Date.now();
  const t0 = performance.now();
  const phases = createPhaseClock();
  const deadline = new RunDeadline(probe.timeoutMs, phases, opts.cancel);
  const logger = deps.probeLogger ?? probeLogger(deps.logger, probe);
  const freshConnection = probeTypeOf(probe.type)?.freshConnection === true;
  // A run's step log is for someone looking at that run (/probe, `mcpwatch probe`, the report);
  // nothing shows a scheduled run's, and keeping it with the probe's last result until the next
  // run was most of what each run left in V8's old space (~8 KiB of ~15, --trace-gc-nvp).
  const keepSteps = opts.trigger !== 'schedule';
  const run = runContext(probe, deps, { signal: deadline.signal, phases, logger, t0, keepSteps, freshConnection });

  const fn = probeTypeOf(probe.type)?.run;
  const work: Promise<ProbeOutput> = fn
    ? Promise.resolve().then(() => fn(probe, run.ctx))
    : Promise.resolve(unsupported(probe.type));

  const result = outcomeOf(work, deadline, deps.target).then(async (out): Promise<ProbeResult> => {
    const durationMs = performance.now() - t0;
    const phaseTimes = phases.snapshot();
    deadline.end();
    await run.close();
    const facts = { trigger: opts.trigger, startedAt, durationMs, phases: phaseTimes, steps: run.steps };
    const res = assembleResult(probe, out, { ...facts, tls: run.tls(), oauth: run.oauth?.facts }, deps.redactor);
    logger.debug({ outcome: res.outcome, durationMs: res.durationMs, reason: res.reason }, 'probe run finished');
    return res;
  });
  return { result, settled: workSettled(work, result, logger) };
}

/** A probe's child logger: its runs' log lines carry the probe, its type and its target. */
export function probeLogger(logger: Logger, probe: Probe): Logger {
  return logger.child({ probe: probe.name, type: probe.type, target: probe.target });
}
