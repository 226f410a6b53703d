import type { FastifyInstance } from 'fastify';
import { setLogger as setCronLogger } from 'node-cron';
import type { DestinationStream } from 'pino';
import { formatDuration } from './config/duration.js';
import { loadConfig } from './config/load.js';
import { formatProblem, type Config, type ConfigProblem, type Probe } from './config/parse.js';
import { parseListen } from './config/schema.js';
import { EventLoopMonitor } from './health/event-loop.js';
import { LogService } from './logs/log-service.js';
import { GuardCorrelator } from './correlate/guard.js';
import { overallStatus, type Check, type HealthReport } from './health/health.js';
import { Recorder } from './metrics/record.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { ProbeCancelledError } from './probes/errors.js';
import type { CatalogState } from './probes/mcp-catalog.js';
import type { ProbeResult } from './probes/types.js';
import { ResultStore } from './scheduler/history.js';
import { Limiter } from './scheduler/limiter.js';
import { Scheduler } from './scheduler/scheduler.js';
import { RunTracker } from './scheduler/tracker.js';
import { buildApp } from './server/app.js';
import { createLogger, type Logger } from './util/logger.js';
import { Redactor } from './util/redact.js';
import { VERSION } from './version.js';

export interface AgentOptions {
  configPath: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Where logs go (stdout by default); tests pass a stream. */
  logDestination?: DestinationStream;
  /** Overrides `listen` from the config (tests use port 0). */
  listen?: string;
  /** Event loop delay above which /health answers 503. */
  maxEventLoopDelayMs?: number;
  stallGraceMs?: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: ConfigProblem[],
    readonly path: string,
  ) {
    super(`invalid config ${path}:\n${problems.map(formatProblem).join('\n')}`);
  }
}

export interface ReloadResult {
  ok: boolean;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

interface ReloadState {
  at: number;
  ok: boolean;
  problems: ConfigProblem[];
}

/** The running agent: config, scheduler, metrics and the HTTP server, and their swaps on reload. */
export class Agent {
  readonly metrics: Metrics;
  readonly store = new ResultStore();
  readonly startedAt = Date.now();
  private readonly recorder: Recorder;
  private readonly limiter: Limiter;
  private readonly tracker = new RunTracker();
  private readonly eventLoop = new EventLoopMonitor();
  /** Tells auth errors the guard provoked from real ones (log origin). */
  private readonly guards = new GuardCorrelator();
  private scheduler: Scheduler;
  private logs: LogService | undefined;
  private app: FastifyInstance | undefined;
  private loadedAt = Date.now();
  private lastReload: ReloadState;
  private reloading: Promise<ReloadResult> = Promise.resolve({ ok: true, problems: [], warnings: [] });
  private stopping: Promise<void> | undefined;

  private constructor(
    private config: Config,
    readonly logger: Logger,
    readonly redactor: Redactor,
    private readonly opts: AgentOptions,
  ) {
    this.metrics = createMetrics();
    this.recorder = new Recorder(this.metrics);
    this.limiter = new Limiter(config.maxConcurrentProbes);
    this.lastReload = { at: Date.now(), ok: true, problems: [] };
    this.metrics.configReloadOk.set(1);
    this.metrics.configReloadTime.set(Date.now() / 1000);
    this.recorder.declare(config.probes);
    this.scheduler = this.newScheduler(config);
    if (config.logs) this.logs = this.newLogService(config.logs, config.stateDir);
  }

  private newLogService(logs: NonNullable<Config['logs']>, stateDir: string): LogService {
    const service = new LogService(logs, stateDir, this.metrics, this.logger.child({ component: 'logs' }), this.redactor);
    service.attribute = (container, match, rec) => this.guards.attribute(container, match, rec);
    return service;
  }

  /** Loads the config, starts the server and the scheduler. Throws ConfigError on an invalid config. */
  static async start(opts: AgentOptions): Promise<Agent> {
    const loaded = await loadConfig(opts.configPath, opts.env);
    if (!loaded.ok) throw new ConfigError(loaded.problems, loaded.path);
    const redactor = new Redactor();
    addConfigSecrets(redactor, loaded.config);
    const logger = createLogger({ level: loaded.config.logLevel, redactor, ...(opts.logDestination && { destination: opts.logDestination }) });
    setCronLogger(cronLogger(logger));
    for (const w of loaded.warnings) logger.warn({ path: w.path }, `config: ${formatProblem(w)}`);

    const agent = new Agent(loaded.config, logger, redactor, opts);
    await agent.listen();
    agent.eventLoop.start();
    agent.scheduler.start();
    agent.logs?.start();
    logger.info({ version: VERSION, config: opts.configPath, probes: loaded.config.probes.length, targets: Object.keys(loaded.config.targets).length }, 'mcpwatch started');
    return agent;
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** The address the HTTP server listens on. */
  address(): { host: string; port: number } {
    const addr = this.app?.server.address();
    if (!addr || typeof addr === 'string') throw new Error('server not listening');
    return { host: addr.address, port: addr.port };
  }

  /** Reloads the config file. A bad file leaves the running config in place. Serialized. */
  reload(): Promise<ReloadResult> {
    this.reloading = this.reloading.then(() => this.doReload());
    return this.reloading;
  }

  private async doReload(): Promise<ReloadResult> {
    if (this.stopping) return { ok: false, problems: [{ path: '(agent)', message: 'shutting down' }], warnings: [] };
    const loaded = await loadConfig(this.opts.configPath, this.opts.env);
    if (!loaded.ok) {
      this.lastReload = { at: Date.now(), ok: false, problems: loaded.problems };
      this.metrics.configReloadOk.set(0);
      this.logger.error({ problems: loaded.problems.map(formatProblem) }, 'config reload failed: keeping the running config');
      return { ok: false, problems: loaded.problems, warnings: [] };
    }
    const next = loaded.config;
    addConfigSecrets(this.redactor, next);
    for (const w of loaded.warnings) this.logger.warn({ path: w.path }, `config: ${formatProblem(w)}`);
    if (next.listen !== this.config.listen && this.opts.listen === undefined) {
      this.logger.warn({ listen: next.listen, current: this.config.listen }, 'listen changed: restart mcpwatch for it to apply');
    }
    if (next.stateDir !== this.config.stateDir) this.logger.warn({ stateDir: next.stateDir }, 'stateDir changed: restart mcpwatch for it to apply');

    // Build the new generation, then swap: probes that did not change keep their cadence.
    const carriedOver = new Map<string, number>();
    for (const probe of next.probes) {
      const old = this.config.probes.find((p) => p.name === probe.name);
      const last = this.store.peek(probe.name)?.last;
      if (old && sameProbe(old, probe, this.config, next)) {
        if (last) carriedOver.set(probe.name, last.startedAt);
      } else if (old) {
        // A changed probe starts afresh: its old catalog is no baseline for the new definition.
        this.store.get(probe.name).state = {};
      }
    }
    const scheduler = this.newScheduler(next, carriedOver);
    this.logger.level = next.logLevel;
    this.limiter.setLimit(next.maxConcurrentProbes);
    this.recorder.declare(next.probes);
    this.store.retain(new Set(next.probes.map((p) => p.name)));
    const old = this.scheduler;
    const stateDir = this.config.stateDir;
    this.config = next;
    this.scheduler = scheduler;
    await old.stop();
    scheduler.start();
    if (next.logs) {
      if (this.logs) await this.logs.reload(next.logs);
      else {
        this.logs = this.newLogService(next.logs, stateDir);
        this.logs.start();
      }
    } else if (this.logs) {
      await this.logs.stop();
      this.logs = undefined;
    }

    this.loadedAt = Date.now();
    this.lastReload = { at: Date.now(), ok: true, problems: [] };
    this.metrics.configReloadOk.set(1);
    this.metrics.configReloadTime.set(Date.now() / 1000);
    this.logger.info({ probes: next.probes.length, carriedOver: carriedOver.size }, 'config reloaded');
    return { ok: true, problems: [], warnings: loaded.warnings };
  }

  /** Runs one configured probe now (for /probe). */
  runProbe(name: string): Promise<ProbeResult> {
    return this.scheduler.runNow(name, 'manual');
  }

  /** The last catalog each mcp_catalog probe saw, with the last change (for the MCP tool get_catalog). */
  catalogs(): Array<Record<string, unknown>> {
    return this.config.probes
      .filter((p) => p.type === 'mcp_catalog')
      .map((p) => {
        const rec = this.store.peek(p.name);
        const state = (rec?.state ?? {}) as CatalogState;
        return {
          probe: p.name,
          target: p.target,
          servers: 'servers' in p ? p.servers : [],
          seenAt: state.snapshot ? iso(state.snapshot.at) : null,
          fingerprint: state.snapshot?.fingerprint ?? null,
          toolsPerServer: state.toolsPerServer ?? {},
          tools: state.tools ?? [],
          lastChange: state.lastChange ? { ...state.lastChange, at: iso(state.lastChange.at) } : null,
          lastOutcome: rec?.last?.outcome ?? null,
        };
      });
  }

  /** Recent log matches, newest first (for the MCP tool get_recent_auth_errors); undefined without log tailing. */
  get recentLogMatches(): (() => ReturnType<LogService['recentMatches']>) | undefined {
    const logs = this.logs;
    return logs && (() => logs.recentMatches());
  }

  probeNames(): string[] {
    return this.config.probes.map((p) => p.name);
  }

  health(): HealthReport {
    const checks: Record<string, Check> = {};
    checks.config = this.lastReload.ok
      ? { status: 'ok', path: this.opts.configPath, loadedAt: iso(this.loadedAt) }
      : {
          status: 'degraded',
          message: 'the last reload failed: running the previous config',
          path: this.opts.configPath,
          loadedAt: iso(this.loadedAt),
          problems: this.lastReload.problems.map(formatProblem),
        };

    const sched = this.scheduler.health();
    checks.scheduler =
      sched.stalled.length > 0
        ? { status: 'fail', message: `probes overdue: ${sched.stalled.join(', ')}`, ...sched }
        : !sched.running && !this.stopping
          ? { status: 'fail', message: 'scheduler not running', ...sched }
          : sched.oldestQueuedMs > 60_000
            ? { status: 'degraded', message: `runs wait ${formatDuration(sched.oldestQueuedMs)} for a slot: raise maxConcurrentProbes`, ...sched }
            : { status: 'ok', ...sched };

    const delay = this.eventLoop.maxDelayMs();
    const maxDelay = this.opts.maxEventLoopDelayMs ?? 1_000;
    checks.eventLoop =
      delay > maxDelay
        ? { status: 'fail', message: `event loop blocked for ${formatDuration(delay)} (limit ${formatDuration(maxDelay)})`, maxDelayMs: delay }
        : { status: 'ok', maxDelayMs: delay };

    if (this.logs) checks.logs = this.logs.health();

    const targets: HealthReport['targets'] = {};
    for (const name of Object.keys(this.config.targets)) targets[name] = { up: true, probes: 0, failing: [] };
    for (const p of this.config.probes) {
      const t = targets[p.target]!;
      t.probes++;
      const last = this.store.peek(p.name)?.last;
      if (last && !last.success) {
        t.failing.push(p.name);
        t.up = false;
      }
    }
    return { status: overallStatus(checks), checks, targets };
  }

  status() {
    const now = Date.now();
    return this.redactor.maskDeep({
      version: VERSION,
      startedAt: iso(this.startedAt),
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      config: {
        path: this.opts.configPath,
        loadedAt: iso(this.loadedAt),
        lastReload: { at: iso(this.lastReload.at), ok: this.lastReload.ok, problems: this.lastReload.problems.map(formatProblem) },
      },
      probes: this.config.probes.map((p) => {
        const rec = this.store.peek(p.name);
        const last = rec?.last;
        return {
          name: p.name,
          type: p.type,
          target: p.target,
          schedule: p.scheduleSpec.kind === 'every' ? `every ${formatDuration(p.scheduleSpec.ms)}` : `cron ${p.scheduleSpec.expr}`,
          timeout: formatDuration(p.timeoutMs),
          inFlight: this.tracker.has(p.name),
          last: last && {
            outcome: last.outcome,
            success: last.success,
            reason: last.reason,
            trigger: last.trigger,
            startedAt: iso(last.startedAt),
            durationMs: last.durationMs,
            phases: last.phases,
            ...(last.details && { details: last.details }),
          },
          lastSuccessAt: rec?.lastSuccessAt !== undefined ? iso(rec.lastSuccessAt) : null,
          runs: rec?.runs ?? 0,
          failures: rec?.failures ?? 0,
          skipped: rec?.skipped ?? 0,
          history: (rec?.history ?? []).map((h) => ({ ...h, startedAt: iso(h.startedAt) })),
        };
      }),
      ...(this.logs && { logs: this.logs.status() }),
    });
  }

  /** Stops scheduling, aborts runs in flight, closes the server. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info('shutting down');
      await this.scheduler.stop();
      this.tracker.abortAll(new ProbeCancelledError('mcpwatch is shutting down'));
      await Promise.all([this.tracker.drain(3_000), this.app?.close(), this.logs?.stop()]);
      this.eventLoop.stop();
      this.logger.info('stopped');
    })();
    return this.stopping;
  }

  private newScheduler(config: Config, carriedOver?: Map<string, number>): Scheduler {
    return new Scheduler({
      config,
      logger: this.logger,
      redactor: this.redactor,
      limiter: this.limiter,
      tracker: this.tracker,
      onResult: (result) => {
        if (!this.recorder.accepts(result)) return; // finished after a reload changed or removed the probe
        this.logTransition(result);
        this.store.add(result);
        this.recorder.record(result);
      },
      stateFor: (name) => this.store.get(name).state,
      guard: { begin: (check) => this.guards.begin(check) },
      onSkip: (probe) => {
        this.store.skipped(probe.name);
        this.recorder.skipped(probe);
      },
      ...(carriedOver && { carriedOver }),
      ...(this.opts.stallGraceMs !== undefined && { stallGraceMs: this.opts.stallGraceMs }),
    });
  }

  /** Logs when a probe's outcome changes, not every run of a probe that keeps failing. */
  private logTransition(result: ProbeResult): void {
    const prev = this.store.peek(result.probe)?.last;
    const fields = { probe: result.probe, target: result.target, type: result.type, outcome: result.outcome, durationMs: result.durationMs };
    if (!prev || prev.outcome !== result.outcome) {
      if (result.success) this.logger.info(fields, prev ? `probe recovered (was ${prev.outcome})` : 'probe ok');
      else this.logger.warn(fields, `probe failing: ${result.outcome}: ${result.reason}`);
    } else this.logger.debug({ ...fields, reason: result.reason }, 'probe run');
  }

  private async listen(): Promise<void> {
    const listen = parseListen(this.opts.listen ?? this.config.listen)!;
    this.app = await buildApp({ agent: this, logger: this.logger });
    await this.app.listen({ host: listen.host, port: listen.port });
  }

  /** For /metrics: gauges that are read rather than pushed. */
  refreshGauges(): void {
    this.metrics.probesInFlight.set(this.tracker.size);
    this.metrics.probesQueued.set(this.limiter.queued);
  }
}

function sameProbe(a: Probe, b: Probe, ca: Config, cb: Config): boolean {
  return JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(ca.targets[a.target]) === JSON.stringify(cb.targets[b.target]);
}

function addConfigSecrets(redactor: Redactor, config: Config): void {
  for (const t of Object.values(config.targets)) {
    redactor.addSecrets([t.apiKey, t.tlsFiles?.key]);
    for (const [k, v] of Object.entries(t.headers)) if (/auth|token|key|secret|cookie/i.test(k)) redactor.addSecrets([v]);
  }
  for (const p of config.probes) {
    if ('headers' in p) for (const [k, v] of Object.entries(p.headers)) if (/auth|token|key|secret|cookie/i.test(k)) redactor.addSecrets([v]);
  }
  redactor.addSecrets([config.mcpServer.token]);
}

function cronLogger(logger: Logger) {
  const log = logger.child({ component: 'node-cron' });
  return {
    info: (m: string) => log.debug(m),
    warn: (m: string) => log.warn(m),
    error: (m: string | Error, err?: Error) => log.error({ err: err ?? (m instanceof Error ? m : undefined) }, String(m)),
    debug: (m: string | Error) => log.debug(String(m)),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
