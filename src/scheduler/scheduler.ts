import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { runsOnRequest } from '../config/fields.js';
import type { Config, Probe } from '../config/parse.js';
import type { Target } from '../config/target.js';
import type { TokenSource } from '../probes/oauth/token-source.js';
import type { ProbeMemory, ProtocolMemory, Trigger } from '../probes/types.js';
import type { ProbeResult } from '../probes/table.js';
import type { Redactor } from '../util/redact.js';
import { probeLogger, runProbe, type RunDeps } from './run.js';
import type { RunLimits } from './run-limits.js';
import type { RunTracker } from './tracker.js';

const CANCELLED = 'the run was cancelled: mcpwatch is shutting down or reloading';

/** A probe whose tick is this late is reported as stalled (the scheduler no longer fires). */
export const DEFAULT_STALL_GRACE_MS = 30_000;

export interface SchedulerDeps {
  config: Config;
  logger: Logger;
  redactor: Redactor;
  /** Runs in flight at once: across all probes, and per target. */
  limiter: RunLimits;
  tracker: RunTracker;
  /** Called with every finished run, scheduled or manual. */
  onResult: (result: ProbeResult, probe: Probe) => void;
  /**
   * Adds what others know of a failed run (the gateway's log, which arrives a little later). The
   * run is recorded first (onResult) and is no longer in flight meanwhile, so a probe's cadence
   * does not change; `onAnnotated` gets the result with the addition, and `runNow` answers with
   * it. `signal` aborts when this scheduler stops (the addition then takes what is there).
   */
  annotateFailure?: (result: ProbeResult, probe: Probe, signal: AbortSignal) => Promise<ProbeResult>;
  onAnnotated?: (result: ProbeResult) => void;
  /** Called when a tick is skipped because the previous run of that probe is still in flight. */
  onSkip: (probe: Probe) => void;
  /** What a probe keeps between runs (ProbeContext.memory), by name. */
  memoryFor?: (name: string) => ProbeMemory;
  /** Where auth_guard runs announce their requests (log origin attribution). */
  guard?: RunDeps['guard'];
  /** The OAuth token of a target with oauth2 (shared by its probes, kept across reloads). */
  tokensFor?: (target: Target) => TokenSource | undefined;
  /** The targets' negotiated MCP eras (protocol: auto), shared by their probes and kept across reloads. */
  protocols?: ProtocolMemory;
  /** The servers a target's discovery lists now (ProbeContext.discovered); undefined when it does not discover. */
  discoveredOn?: (target: string) => readonly string[] | undefined;
  /**
   * Probes that ran under the previous config with the same definition: they keep their
   * cadence instead of running again right after a reload. Name → start of their last run.
   */
  carriedOver?: ReadonlyMap<string, number>;
  stallGraceMs?: number;
}

interface Slot {
  probe: Probe;
  logger: Logger;
  timer?: NodeJS.Timeout;
  task?: ScheduledTask;
  /** When the next tick is due (epoch ms; Infinity: the probe runs on request); the stall check compares against it. */
  nextDue: number;
  /** The last run asked for through `request` (/probe): when it started, and its result. */
  asked?: { at: number; result: Promise<ProbeResult | undefined> };
}

/** A run someone asks for over HTTP (/probe). */
export interface RunRequest {
  /** The run's timeout, when shorter than the probe's own (a scrape's timeout). */
  timeoutMs?: number;
  /** A run asked for less than this long ago answers again instead of a new run. */
  reuseWithinMs: number;
  /** Wait for a failed run's gateway log, as runNow does; false: answer as soon as the run ends. */
  withGatewayLog: boolean;
}

/** What a request answers: the run, and whether it was another's (`in_flight`: under way; `recent`: just asked for). */
export interface RunAnswer {
  result: ProbeResult;
  reused?: 'in_flight' | 'recent';
}

export interface SchedulerHealth {
  running: boolean;
  probes: number;
  inFlight: number;
  queued: number;
  oldestQueuedMs: number;
  /** The target whose own maxConcurrentProbes holds the run that has waited longest (unset: the limit of all). */
  queuedOn?: string;
  /** Probes whose tick is overdue by more than the grace period. */
  stalled: string[];
}

/** Owns time for one config generation: when each probe runs, never two runs of one probe at once. */
export class Scheduler {
  private readonly slots = new Map<string, Slot>();
  private running = false;
  /** Failed runs' results as annotateFailure completes them. */
  private readonly annotated = new WeakMap<ProbeResult, Promise<ProbeResult>>();
  /** Aborts the annotations under way when this scheduler stops. */
  private readonly stopped = new AbortController();

  constructor(private readonly deps: SchedulerDeps) {
    for (const probe of deps.config.probes) {
      this.slots.set(probe.name, { probe, logger: probeLogger(deps.logger, probe), nextDue: Date.now() });
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = Date.now();
    for (const slot of this.slots.values()) {
      const { probe } = slot;
      const lastStart = this.deps.carriedOver?.get(probe.name);
      if (runsOnRequest(probe.scheduleSpec)) {
        // Never run from here: only request() and runNow() start its runs (Prometheus schedules it through /probe).
        slot.nextDue = Infinity;
      } else if (probe.scheduleSpec.kind === 'every') {
        const interval = probe.scheduleSpec.ms;
        // A first run right away, unless the same probe ran recently under the previous config;
        // then each probe keeps its own phase in the interval, so that many probes with one
        // interval do not all fire in the same millisecond and queue behind each other.
        const delay = lastStart === undefined ? 0 : Math.max(0, lastStart + interval - now);
        this.armEvery(slot, now + delay, interval, lastStart === undefined ? phaseOf(probe.name, interval) : 0);
      } else {
        const task = cron.createTask(probe.scheduleSpec.expr, () => this.onCronTick(slot), {
          name: `probe:${probe.name}`,
        });
        slot.task = task;
        void task.start();
        slot.nextDue = task.getNextRun()?.getTime() ?? now;
        if (lastStart === undefined) this.tick(slot);
      }
    }
    this.deps.logger.info({ probes: this.slots.size }, 'scheduler started');
  }

  /** Stops scheduling. Runs in flight are left to the tracker (aborted on shutdown, finished on reload). */
  async stop(): Promise<void> {
    this.stopped.abort();
    if (!this.running) return;
    this.running = false;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      if (slot.task) await slot.task.destroy();
    }
  }

  /**
   * Runs a probe now (for /probe and the MCP tool). If it is already in flight, waits for that
   * run instead of starting a second one.
   */
  async runNow(name: string, trigger: Trigger = 'manual'): Promise<ProbeResult> {
    const slot = this.slotOf(name);
    const pending = this.deps.tracker.current(name);
    const result = await (pending ?? this.launch(slot, trigger));
    if (!result) throw new Error(CANCELLED);
    return (await this.annotated.get(result)) ?? result;
  }

  /**
   * Runs a probe on request (/probe), at most once per `reuseWithinMs`: a run in flight (scheduled or asked for)
   * is joined, and a run asked for less than that long ago answers again; either says so (`reused`). A new run
   * gets `timeoutMs` when it is shorter than the probe's own. This generation's memory: a reload starts afresh.
   */
  async request(name: string, req: RunRequest): Promise<RunAnswer> {
    const slot = this.slotOf(name);
    const pending = this.deps.tracker.current(name);
    const asked = slot.asked;
    let run: Promise<ProbeResult | undefined>;
    let reused: RunAnswer['reused'];
    if (pending) [run, reused] = [pending, 'in_flight'];
    else if (asked && Date.now() - asked.at < req.reuseWithinMs) [run, reused] = [asked.result, 'recent'];
    else {
      run = this.launch(slot, 'manual', req.timeoutMs);
      slot.asked = { at: Date.now(), result: run };
    }
    const result = await run;
    if (!result) {
      if (slot.asked?.result === run) slot.asked = undefined;
      throw new Error(CANCELLED);
    }
    const answer = req.withGatewayLog ? ((await this.annotated.get(result)) ?? result) : result;
    return { result: answer, ...(reused && { reused }) };
  }

  /**
   * When the probe's next scheduled run is due (epoch ms); undefined when this scheduler is not running, and for a
   * probe that runs only on request (`schedule: on_request`).
   */
  nextRun(name: string): number | undefined {
    const due = this.running ? this.slots.get(name)?.nextDue : undefined;
    return due === Infinity ? undefined : due;
  }

  private slotOf(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`unknown probe "${name}"`);
    return slot;
  }

  health(now = Date.now()): SchedulerHealth {
    const grace = this.deps.stallGraceMs ?? DEFAULT_STALL_GRACE_MS;
    const stalled: string[] = [];
    if (this.running)
      for (const slot of this.slots.values()) if (now > slot.nextDue + grace) stalled.push(slot.probe.name);
    const oldest = this.deps.limiter.oldestWait();
    return {
      running: this.running,
      probes: this.slots.size,
      inFlight: this.deps.tracker.size,
      queued: this.deps.limiter.queued,
      oldestQueuedMs: Math.round(oldest.ms),
      ...(oldest.target !== undefined && { queuedOn: oldest.target }),
      stalled,
    };
  }

  private annotate(res: ProbeResult, probe: Probe): void {
    const { annotateFailure, onAnnotated, logger } = this.deps;
    if (!annotateFailure) return;
    const done = annotateFailure(res, probe, this.stopped.signal).then(
      (a) => {
        try {
          onAnnotated?.(a);
        } catch (err) {
          logger.error({ err, probe: probe.name }, 'recording the gateway log of a failed run failed');
        }
        return a;
      },
      (err: unknown) => {
        logger.error({ err, probe: probe.name }, 'adding the gateway log to a failed run failed');
        return res;
      },
    );
    this.annotated.set(res, done);
  }

  /** Drift-free interval timer: the k-th tick is due at first + k·interval; late ticks skip ahead. */
  private armEvery(slot: Slot, dueAt: number, interval: number, phase = 0): void {
    slot.nextDue = dueAt;
    slot.timer = setTimeout(
      () => {
        if (!this.running) return;
        const now = Date.now();
        let next = dueAt + interval + phase;
        if (next <= now) next = now + interval - ((now - dueAt) % interval);
        this.armEvery(slot, next, interval);
        this.tick(slot);
      },
      Math.max(0, dueAt - Date.now()),
    );
  }

  private onCronTick(slot: Slot): void {
    if (!this.running) return;
    slot.nextDue = slot.task?.getNextRun()?.getTime() ?? Date.now();
    this.tick(slot);
  }

  private tick(slot: Slot): void {
    const { probe } = slot;
    if (this.deps.tracker.has(probe.name)) {
      this.deps.logger.warn(
        { probe: probe.name },
        'previous run still in flight: skipping this tick (is the timeout longer than the interval?)',
      );
      this.deps.onSkip(probe);
      return;
    }
    void this.launch(slot, 'schedule');
  }

  /** Starts a run; `timeoutMs` shortens the probe's own timeout for this run only. */
  private launch(slot: Slot, trigger: Trigger, timeoutMs?: number): Promise<ProbeResult | undefined> {
    const { probe } = slot;
    const spec = timeoutMs !== undefined && timeoutMs < probe.timeoutMs ? { ...probe, timeoutMs } : probe;
    const target = this.deps.config.targets[probe.target]!;
    const oauth = this.deps.tokensFor?.(target);
    return this.deps.tracker.start(probe.name, (cancel) => {
      let settle!: () => void;
      const settled = new Promise<void>((r) => (settle = r));
      const result = (async (): Promise<ProbeResult | undefined> => {
        let release: (() => void) | undefined;
        try {
          // The timeout clock starts when the run gets its slots, not while it queues.
          release = await this.deps.limiter.acquire(probe.target, cancel);
        } catch {
          settle();
          return undefined;
        }
        const handle = runProbe(
          spec,
          {
            target,
            logger: this.deps.logger,
            probeLogger: slot.logger,
            redactor: this.deps.redactor,
            ...(this.deps.memoryFor && { memory: this.deps.memoryFor(probe.name) }),
            stateDir: this.deps.config.stateDir,
            ...(this.deps.guard && { guard: this.deps.guard }),
            ...(this.deps.protocols && { protocols: this.deps.protocols }),
            ...discoveredOf(this.deps.discoveredOn, probe.target),
            ...(oauth && { oauth }),
          },
          { trigger, cancel },
        );
        void handle.settled.then(() => {
          release!();
          settle();
        });
        const res = await handle.result;
        if (cancel.aborted) return undefined; // cut short by shutdown: not a finding about the gateway
        try {
          this.deps.onResult(res, probe);
        } catch (err) {
          this.deps.logger.error({ err, probe: probe.name }, 'recording a probe result failed');
        }
        if (!res.success) this.annotate(res, probe);
        return res;
      })();
      return { result, settled };
    });
  }
}

/** A stable offset in [0, interval) from the probe's name (FNV-1a), at most 10 s. */
export function phaseOf(name: string, interval: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % Math.min(interval, 10_000);
}

/** `{ discovered }` for a run of a probe of `target`, when the target discovers. */
function discoveredOf(on: SchedulerDeps['discoveredOn'], target: string): { discovered?: readonly string[] } {
  const list = on?.(target);
  return list ? { discovered: list } : {};
}
