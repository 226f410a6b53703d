import type { Logger } from 'pino';
import type { Probe, Target } from '../config/parse.js';
import { runDispatcher } from '../probes/net/connections.js';
import { freshRequests } from '../probes/net/fresh-request.js';
import { classifyError } from '../probes/net/failures.js';
import { createPhaseClock } from '../probes/net/phases.js';
import { hostPortOf } from '../probes/net/requests.js';
import type { TokenSource } from '../probes/oauth/token-source.js';
import { probeFnOf } from '../probes/table.js';
import {
  ProbeTimeoutError,
  type GuardAnnouncer,
  type ProbeContext,
  type ProbeMemory,
  type ProbeOutput,
  type ProbeResult,
  type Step,
  type TlsFacts,
  type Trigger,
} from '../probes/types.js';
import { settleWithin } from '../util/deadline.js';
import type { Redactor } from '../util/redact.js';

const MAX_STEPS = 200;
/** How long closing a run's connections may take before the run is reported anyway. */
const CLOSE_GRACE_MS = 1_000;
/**
 * A probe that still has not stopped this long after its run ended is abandoned: its next runs
 * are no longer held back by it (no-overlap would otherwise block that probe for good).
 */
export const ABANDON_AFTER_MS = 10_000;
/** How long after its signal aborts a probe may still end with its own reason. */
const ABORT_GRACE_MS = 100;

export interface RunDeps {
  target: Target;
  logger: Logger;
  redactor: Redactor;
  /** What the probe keeps between runs (ProbeContext.memory). */
  memory?: ProbeMemory;
  guard?: GuardAnnouncer;
  /** The probe's own child logger, made once (the scheduler keeps it); else one is made per run. */
  probeLogger?: Logger;
  /** Targets with oauth2: their token, shared by the target's probes. */
  oauth?: TokenSource;
}

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
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ProbeTimeoutError(probe.timeoutMs)), probe.timeoutMs);
  const onCancel = (): void => controller.abort(opts.cancel?.reason);
  if (opts.cancel?.aborted) onCancel();
  else opts.cancel?.addEventListener('abort', onCancel, { once: true });

  const phases = createPhaseClock();
  const steps: Step[] = [];
  // A run's step log is for someone looking at that run (/probe, `mcpwatch probe`, the report);
  // nothing shows a scheduled run's, and keeping it with the probe's last result until the next
  // run was most of what each run left in V8's old space (~8 KiB of ~15, --trace-gc-nvp).
  const keepSteps = opts.trigger !== 'schedule';
  const logger = deps.probeLogger ?? probeLogger(deps.logger, probe);
  let tls: TlsFacts | undefined;
  const onTls = (facts: TlsFacts): void => {
    tls ??= facts;
  };
  // Made when a probe first uses it: a plain http check sends its one request with `fresh`.
  let dispatcher: ReturnType<typeof runDispatcher> | undefined;
  const fresh = freshRequests(deps.target, phases, onTls);
  const step: ProbeContext['step'] = (msg, data) => {
    if (keepSteps && steps.length < MAX_STEPS)
      steps.push({ t: Math.round(performance.now() - t0), msg, ...(data && { data }) });
    logger.debug(data ?? {}, msg);
  };
  const oauth = deps.oauth?.forRun({
    signal: controller.signal,
    timeoutMs: probe.timeoutMs,
    redactor: deps.redactor,
    step,
  });
  const ctx: ProbeContext = {
    signal: controller.signal,
    timeoutMs: probe.timeoutMs,
    logger,
    target: deps.target,
    phases,
    get dispatcher() {
      return (dispatcher ??= runDispatcher(deps.target, phases, probe.timeoutMs, probe.type === 'http', onTls));
    },
    request: fresh.request,
    redactor: deps.redactor,
    memory: deps.memory ?? {},
    ...(deps.guard && { guard: deps.guard }),
    ...(oauth && { oauth }),
    step,
  };

  const fn = probeFnOf(probe.type);
  const work: Promise<ProbeOutput> = fn
    ? Promise.resolve().then(() => fn(probe, ctx))
    : Promise.resolve({ outcome: 'internal_error', reason: `probe type ${probe.type} is not supported by this build` });
  // The signal ends the run on time even if a probe ignores it; a probe that honours it gets a
  // moment to end with its own, more specific reason.
  // Once the run has ended, its own abort (RUN_FINISHED) must not start that grace timer: it would
  // keep the whole run alive for the grace period (at hundreds of runs a second, megabytes a
  // second promoted to V8's old space).
  let ended = false;
  const aborted = new Promise<never>((_, reject) => {
    const later = (): void => {
      if (!ended) setTimeout(() => reject(controller.signal.reason), ABORT_GRACE_MS);
    };
    if (controller.signal.aborted) later();
    else controller.signal.addEventListener('abort', later, { once: true });
  });
  // The phase the signal interrupted: by the time the error reaches us, a probe's `phases.run`
  // has already ended that phase.
  let phaseAtAbort: ProbeContext['phases']['current'];
  controller.signal.addEventListener('abort', () => (phaseAtAbort = phases.current), { once: true });
  const outcome = Promise.race([work, aborted]).catch((err: unknown) =>
    classifyError(err, {
      signal: controller.signal,
      phase: phaseAtAbort ?? phases.current,
      host: hostPortOf(deps.target),
    }),
  );

  const result = outcome.then(async (out): Promise<ProbeResult> => {
    ended = true;
    clearTimeout(timer);
    opts.cancel?.removeEventListener('abort', onCancel);
    const durationMs = performance.now() - t0;
    const phaseTimes = phases.snapshot();
    if (!controller.signal.aborted) controller.abort(RUN_FINISHED);
    fresh.close();
    if (dispatcher) await closeQuietly(dispatcher);
    const masked = deps.redactor.maskDeep({ reason: out.reason, details: out.details, steps });
    // The one place a result is assembled: its details are the ones its own probe type produced
    // (a ProbeFailure's details come from inside that probe), so they belong to `probe.type`.
    const res = {
      probe: probe.name,
      type: probe.type,
      target: probe.target,
      outcome: out.outcome,
      success: out.outcome === 'ok',
      reason: masked.reason,
      ...(masked.details && { details: masked.details }),
      trigger: opts.trigger,
      startedAt,
      durationMs: Math.round(durationMs * 1000) / 1000,
      phases: phaseTimes,
      steps: masked.steps,
      ...(tls && { tls }),
      ...(oauth && { oauth: structuredClone(oauth.facts) }),
    } as ProbeResult;
    logger.debug({ outcome: res.outcome, durationMs: res.durationMs, reason: res.reason }, 'probe run finished');
    return res;
  });
  const settled = new Promise<void>((resolve) => {
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
  return { result, settled };
}

/** A probe's child logger: its runs' log lines carry the probe, its type and its target. */
export function probeLogger(logger: Logger, probe: Probe): Logger {
  return logger.child({ probe: probe.name, type: probe.type, target: probe.target });
}

/** Ends the run's own abort signal: one reason for all runs (an Error per run costs a stack trace). */
const RUN_FINISHED = new Error('run finished');

/** Closes the run's connections: gracefully (nothing is in flight by now), forcibly if that hangs. */
async function closeQuietly(dispatcher: { close(): Promise<void>; destroy(): Promise<void> }): Promise<void> {
  if ((await settleWithin(dispatcher.close(), CLOSE_GRACE_MS)) !== 'fulfilled')
    void dispatcher.destroy().catch(() => undefined);
}
