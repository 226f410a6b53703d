import { formatDuration } from '../config/duration.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import type { LogHealth } from '../logs/log-service.js';
import type { SchedulerHealth } from '../scheduler/scheduler.js';

export type CheckStatus = 'ok' | 'degraded' | 'fail';
export type HealthStatus = 'ok' | 'degraded' | 'unhealthy';

export interface Check {
  status: CheckStatus;
  message?: string;
  [k: string]: unknown;
}

export interface HealthReport {
  status: HealthStatus;
  checks: Record<string, Check>;
  /** Findings about what mcpwatch watches (failing probes per target). They never make mcpwatch unhealthy. */
  targets: Record<string, TargetHealth>;
}

/** One target in /health: its gateway's probes, and apart from them those of clients' own config files. */
export interface TargetHealth {
  /** False when a probe that tests the gateway failed its last run: a client's probe never counts. */
  up: boolean;
  /** The probes that test the gateway (catalog, call, guard, plain HTTP checks), and those failing. */
  probes: number;
  failing: string[];
  /** The probes of clients' own config files for this target (a type with `aboutClient`), and those failing. */
  clients: { probes: number; failing: string[] };
}

/**
 * Overall status from the checks: any `fail` makes mcpwatch unhealthy (503: restart it), any
 * `degraded` is degraded (200: it works, partly). Gateway findings are reported beside, not
 * counted: a gateway that is down is what mcpwatch is there to notice, not mcpwatch failing.
 */
export function overallStatus(checks: Record<string, Check>): HealthStatus {
  const statuses = Object.values(checks).map((c) => c.status);
  if (statuses.includes('fail')) return 'unhealthy';
  if (statuses.includes('degraded')) return 'degraded';
  return 'ok';
}

export function httpStatusFor(status: HealthStatus): number {
  return status === 'unhealthy' ? 503 : 200;
}

export interface HealthInput {
  configPath: string;
  /** When the running config was loaded (epoch ms). */
  loadedAt: number;
  /** The last (re)load: a failed one keeps the running config and degrades the health. */
  lastReload: { ok: boolean; problems: readonly ConfigProblem[] };
  scheduler: SchedulerHealth;
  /** Shutting down: a scheduler that does not run is then expected. */
  stopping: boolean;
  eventLoop: { maxDelayMs: number; limitMs: number };
  logs?: LogHealth;
  /** Per followed container, whether the guard's marked access lines reach its log (none: not judged yet). */
  originCorrelation?: ReadonlyMap<string, boolean>;
  targets: readonly string[];
  /** `aboutClient`: the probe tests a client's config file, not the gateway (its type's trait). */
  probes: ReadonlyArray<{ name: string; target: string; aboutClient?: boolean }>;
  /** Whether each probe's last run succeeded (undefined: it has not run). */
  lastSuccess(probe: string): boolean | undefined;
}

/** Runs that wait this long for a slot degrade mcpwatch (too many probes for maxConcurrentProbes). */
const QUEUE_DEGRADED_MS = 60_000;

/** Pure: /health from what the agent knows about itself. */
export function healthView(input: HealthInput): HealthReport {
  const checks: Record<string, Check> = {};
  const loadedAt = new Date(input.loadedAt).toISOString();
  checks.config = input.lastReload.ok
    ? { status: 'ok', path: input.configPath, loadedAt }
    : {
        status: 'degraded',
        message: 'the last reload failed: running the previous config',
        path: input.configPath,
        loadedAt,
        problems: input.lastReload.problems.map(formatProblem),
      };

  const sched = input.scheduler;
  checks.scheduler =
    sched.stalled.length > 0
      ? { status: 'fail', message: `probes overdue: ${sched.stalled.join(', ')}`, ...sched }
      : !sched.running && !input.stopping
        ? { status: 'fail', message: 'scheduler not running', ...sched }
        : sched.oldestQueuedMs > QUEUE_DEGRADED_MS
          ? {
              status: 'degraded',
              message:
                sched.queuedOn === undefined
                  ? `runs wait ${formatDuration(sched.oldestQueuedMs)} for a slot: raise maxConcurrentProbes`
                  : `runs of target ${sched.queuedOn} wait ${formatDuration(sched.oldestQueuedMs)} for a slot: ` +
                    `raise targets.${sched.queuedOn}.maxConcurrentProbes, or run its probes less often`,
              ...sched,
            }
          : { status: 'ok', ...sched };

  const { maxDelayMs, limitMs } = input.eventLoop;
  checks.eventLoop =
    maxDelayMs > limitMs
      ? {
          status: 'fail',
          message: `event loop blocked for ${formatDuration(maxDelayMs)} (limit ${formatDuration(limitMs)})`,
          maxDelayMs,
        }
      : { status: 'ok', maxDelayMs };

  if (input.logs) checks.logs = withOriginCorrelation({ ...input.logs }, input.originCorrelation);

  return { status: overallStatus(checks), checks, targets: targetsHealth(input) };
}

/** The environment variable by which LiteLLM drops access lines (1.110+): the usual reason they are missing. */
const ACCESS_LOG_ENV = 'LITELLM_DISABLE_ACCESS_LOG_PATHS';

/**
 * The logs check, degraded while the guard's marked requests leave no access line in a followed container's log:
 * the origin of its auth errors cannot be told (every one would be counted as a real client's).
 */
function withOriginCorrelation(logs: Check & LogHealth, correlation?: ReadonlyMap<string, boolean>): Check {
  const missing = [...(correlation ?? [])].filter(([, ok]) => !ok).map(([c]) => c);
  if (missing.length === 0) return logs;
  const why =
    `no access line of the guard's requests in the log of ${missing.join(', ')}: the origin of auth errors cannot ` +
    `be told there (is ${ACCESS_LOG_ENV} set to the MCP path?)`;
  return {
    ...logs,
    status: 'degraded',
    message: logs.message ? `${logs.message}; ${why}` : why,
    originCorrelation: Object.fromEntries(correlation ?? []),
  };
}

/** Pure: each target up or down by its gateway's probes; clients' probes counted apart, never marking it down. */
export function targetsHealth(input: Pick<HealthInput, 'targets' | 'probes' | 'lastSuccess'>): HealthReport['targets'] {
  const targets: HealthReport['targets'] = {};
  for (const name of input.targets)
    targets[name] = { up: true, probes: 0, failing: [], clients: { probes: 0, failing: [] } };
  /** Targets some gateway probe of which succeeded in its last run: the gateway answers. */
  const answering = new Set<string>();
  for (const p of input.probes) {
    const t = targets[p.target];
    if (!t) continue;
    const part = p.aboutClient ? t.clients : t;
    part.probes++;
    const success = input.lastSuccess(p.name);
    if (success === true && !p.aboutClient) answering.add(p.target);
    if (success === false) part.failing.push(p.name);
  }
  // Down only when every gateway probe that ran failed: one upstream server down fails its catalog and calls, while
  // the gateway itself still answers (the failing probes say what fails).
  for (const [name, t] of Object.entries(targets)) t.up = t.failing.length === 0 || answering.has(name);
  return targets;
}
