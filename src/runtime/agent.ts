import type { LoadResult } from '../config/load.js';
import type { Config } from '../config/parse.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import { secretsOf } from '../config/secrets.js';
import { forShard, type ShardedConfig } from '../config/shard.js';
import { TokenSources } from '../probes/oauth/token-source.js';
import { GuardCorrelator } from '../correlate/guard.js';
import { LogService } from '../logs/log-service.js';
import { LogRecorder } from '../metrics/log-recorder.js';
import { exposeBytes, type Format } from '../metrics/exposition.js';
import { ProbeRecorder } from '../metrics/probe-recorder.js';
import type { Metrics } from '../metrics/registry.js';
import { SelfRecorder } from '../metrics/self-recorder.js';
import { ProbeCancelledError, type ProbeResult } from '../probes/types.js';
import { ResultStore } from '../scheduler/history.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { Semaphore } from '../scheduler/semaphore.js';
import { RunTracker } from '../scheduler/tracker.js';
import { settleWithin } from '../util/deadline.js';
import { innermostMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { Redactor } from '../util/redact.js';
import { VERSION } from '../version.js';
import { EventLoopMonitor } from './event-loop.js';
import { healthView, type HealthReport } from './health-view.js';
import { LogEvidence } from './log-evidence.js';
import { LogMatches, type RecentMatch } from './log-matches.js';
import { planReload, type ReloadResult } from './reload-plan.js';
import {
  catalogView,
  statusView,
  type CatalogView,
  type ProbeElsewhere,
  type ShardStatus,
  type StatusDocument,
} from './status-view.js';
import { transitionLog } from './transitions.js';

const SHUTTING_DOWN: ReloadResult = {
  ok: false,
  problems: [{ path: '(agent)', message: 'shutting down' }],
  warnings: [],
};
/** How long a shutdown waits for a reload under way. */
const RELOAD_WAIT_MS = 5_000;

export interface AgentDeps {
  configPath: string;
  /** Reads the config file again (on reload). */
  load: () => Promise<LoadResult>;
  logger: Logger;
  redactor: Redactor;
  metrics: Metrics;
  /** Set when `listen` comes from the command line: a changed `listen` in the file is then no news. */
  listenFixed?: boolean;
  /** Event loop delay above which /health answers 503. */
  maxEventLoopDelayMs?: number;
  stallGraceMs?: number;
}

/**
 * The running agent: one config generation at a time (scheduler, log tailing) and its swap on
 * reload; what it knows of itself and of the probes' runs, for the HTTP routes and MCP tools.
 */
export class Agent {
  private readonly store = new ResultStore();
  readonly startedAt = Date.now();
  private readonly probeRecorder: ProbeRecorder;
  private readonly selfRecorder: SelfRecorder;
  private readonly semaphore: Semaphore;
  private readonly tracker = new RunTracker();
  private readonly eventLoop = new EventLoopMonitor();
  /** Tells auth errors the guard provoked from real ones (log origin). */
  private readonly guards = new GuardCorrelator();
  /** OAuth tokens of the targets with oauth2: one per target, kept across reloads that leave it alone. */
  private readonly tokens = new TokenSources();
  private readonly logMatches: LogMatches;
  /** The gateway's log about failed runs, while containers are followed. */
  private readonly evidence: LogEvidence;
  /** This replica's part of the loaded config (config `shard`): `config` is its config. */
  private sharded: ShardedConfig;
  /** What this replica runs: the shard's probes, and log tailing only where the shard tails the logs. */
  private config: Config;
  private scheduler: Scheduler;
  private logs: LogService | undefined;
  private loadedAt = Date.now();
  private lastReload: { at: number; ok: boolean; problems: ConfigProblem[] } = {
    at: Date.now(),
    ok: true,
    problems: [],
  };
  /** Reloads run one after another; one that throws does not stop the next. */
  private reloading: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(
    loaded: Config,
    private readonly deps: AgentDeps,
  ) {
    this.sharded = forShard(loaded);
    const config = (this.config = this.sharded.config);
    this.probeRecorder = new ProbeRecorder(deps.metrics);
    this.selfRecorder = new SelfRecorder(deps.metrics);
    this.logMatches = new LogMatches(this.guards, new LogRecorder(deps.metrics), deps.redactor);
    this.evidence = new LogEvidence(
      this.logMatches.records,
      () => (this.logs ? (this.config.logs?.containers.map((c) => c.name) ?? []) : []),
      deps.redactor,
    );
    this.semaphore = new Semaphore(config.maxConcurrentProbes);
    this.selfRecorder.configLoaded(true);
    this.selfRecorder.shard(this.sharded.shard);
    this.probeRecorder.declare(config.probes, oauthTargetsOf(config));
    this.scheduler = this.newScheduler(config);
    if (config.logs) this.logs = this.newLogService(config.logs, config.stateDir);
  }

  get redactor(): Redactor {
    return this.deps.redactor;
  }

  start(): void {
    this.eventLoop.start();
    this.scheduler.start();
    this.logs?.start();
  }

  /**
   * Reloads the config file. A bad file leaves the running config in place. Serialized; never
   * rejects: a reload that throws is a failed reload (reported, counted), and the next one runs.
   */
  reload(): Promise<ReloadResult> {
    const next = this.reloading.then(() => this.doReload()).catch((err: unknown) => this.reloadThrew(err));
    this.reloading = next;
    return next;
  }

  private reloadThrew(err: unknown): ReloadResult {
    const problems = [{ path: '(agent)', message: `reload failed: ${innermostMessage(err)}` }];
    this.lastReload = { at: Date.now(), ok: false, problems };
    this.selfRecorder.configLoaded(false);
    this.deps.logger.error({ err }, 'config reload failed');
    return { ok: false, problems, warnings: [] };
  }

  private async doReload(): Promise<ReloadResult> {
    if (this.stopping) return SHUTTING_DOWN;
    const { logger } = this.deps;
    const loaded = await this.deps.load();
    // stop() came while the file was read: nothing is swapped in after shutdown began.
    if (this.stopping) return SHUTTING_DOWN;
    if (!loaded.ok) {
      this.lastReload = { at: Date.now(), ok: false, problems: loaded.problems };
      this.selfRecorder.configLoaded(false);
      logger.error(
        { problems: loaded.problems.map(formatProblem) },
        'config reload failed: keeping the running config',
      );
      return { ok: false, problems: loaded.problems, warnings: [] };
    }
    const sharded = forShard(loaded.config);
    const next = sharded.config;
    this.deps.redactor.addSecrets(secretsOf(loaded.config));
    for (const w of loaded.warnings) logger.warn({ path: w.path }, `config: ${formatProblem(w)}`);
    const plan = planReload(this.config, next, (name) => this.store.peek(name)?.last?.startedAt, {
      listenFixed: this.deps.listenFixed ?? false,
    });
    for (const r of plan.restartNeeded)
      logger.warn(
        { [r.setting]: r.value, current: r.current },
        `${r.setting} changed: restart mcpwatch for it to apply`,
      );

    // Build the new generation, then swap: probes that did not change keep their cadence.
    for (const name of plan.reset) this.store.get(name).memory = {};
    const scheduler = this.newScheduler(next, plan.carriedOver);
    logger.level = next.logLevel;
    this.semaphore.setLimit(next.maxConcurrentProbes);
    this.probeRecorder.declare(next.probes, oauthTargetsOf(next));
    this.store.retain(new Set(next.probes.map((p) => p.name)));
    const old = this.scheduler;
    const stateDir = this.config.stateDir;
    const was = this.sharded.shard;
    this.sharded = sharded;
    this.config = next;
    this.selfRecorder.shard(sharded.shard);
    if (was.index !== sharded.shard.index || was.total !== sharded.shard.total) {
      logger.info(
        {
          shard: `${sharded.shard.index}/${sharded.shard.total}`,
          was: `${was.index}/${was.total}`,
          probes: next.probes.length,
          ofProbes: sharded.ofProbes,
          tailsLogs: sharded.tailsLogs,
        },
        'shard changed',
      );
    }
    this.scheduler = scheduler;
    await old.stop();
    scheduler.start();
    if (plan.logs === 'reload') await this.logs?.reload(next.logs!);
    else if (plan.logs === 'start') {
      this.logs = this.newLogService(next.logs!, stateDir);
      this.logs.start();
    } else if (plan.logs === 'stop') {
      await this.logs?.stop();
      this.logs = undefined;
    }

    this.loadedAt = Date.now();
    this.lastReload = { at: Date.now(), ok: true, problems: [] };
    this.selfRecorder.configLoaded(true);
    logger.info(
      {
        probes: next.probes.length,
        ...(sharded.shard.total > 1 && { ofProbes: sharded.ofProbes }),
        carriedOver: plan.carriedOver.size,
      },
      'config reloaded',
    );
    return { ok: true, problems: [], warnings: loaded.warnings };
  }

  /** Runs one configured probe now (for /probe and the MCP tool run_probe). */
  runProbe(name: string): Promise<ProbeResult> {
    return this.scheduler.runNow(name, 'manual');
  }

  /** The probes this replica runs (its shard's). */
  probeNames(): string[] {
    return this.config.probes.map((p) => p.name);
  }

  /**
   * A configured probe of another shard: where it runs. Undefined for this shard's probes and for names not configured.
   */
  probeElsewhere(name: string): ProbeElsewhere | undefined {
    const { shard, shardOf } = this.sharded;
    const s = shardOf(name);
    return s === undefined || s === shard.index
      ? undefined
      : { probe: name, shard: s, total: shard.total, here: shard.index };
  }

  /** Which share of the probes this replica runs. */
  shardStatus(): ShardStatus {
    const { shard, ofProbes, tailsLogs } = this.sharded;
    return { index: shard.index, total: shard.total, probes: this.config.probes.length, ofProbes, tailsLogs };
  }

  catalogs(): CatalogView[] {
    return catalogView(this.config, (name) => this.store.peek(name));
  }

  /** Recent log matches, newest first; undefined without log tailing. */
  recentLogMatches(): RecentMatch[] | undefined {
    return this.logs ? this.logMatches.recentMatches() : undefined;
  }

  health(): HealthReport {
    return healthView({
      configPath: this.deps.configPath,
      loadedAt: this.loadedAt,
      lastReload: this.lastReload,
      scheduler: this.scheduler.health(),
      stopping: this.stopping !== undefined,
      eventLoop: { maxDelayMs: this.eventLoop.maxDelayMs(), limitMs: this.deps.maxEventLoopDelayMs ?? 1_000 },
      ...(this.logs && { logs: this.logs.health() }),
      targets: Object.keys(this.config.targets),
      probes: this.config.probes,
      lastSuccess: (name) => this.store.peek(name)?.last?.success,
    });
  }

  status(): StatusDocument {
    return this.deps.redactor.maskDeep(
      statusView({
        version: VERSION,
        now: Date.now(),
        startedAt: this.startedAt,
        configPath: this.deps.configPath,
        loadedAt: this.loadedAt,
        lastReload: this.lastReload,
        config: this.config,
        shard: this.shardStatus(),
        record: (name) => this.store.peek(name),
        inFlight: (name) => this.tracker.has(name),
        ...(this.logs && { logs: { ...this.logs.status(), recentMatches: this.logMatches.recentMatches() } }),
      }),
    );
  }

  /** The metrics exposition, with the gauges that are read at scrape time refreshed. */
  scrape(format: Format): Promise<Buffer> {
    this.selfRecorder.runs(this.tracker.size, this.semaphore.queued);
    return exposeBytes(this.deps.metrics.registry, format);
  }

  /** The MCP endpoint's access rules, read per request so a reload applies; null: the endpoint is off. */
  mcpAccess(): {
    token: string | undefined;
    allowedOrigins: readonly string[];
    allowedHosts: readonly string[];
  } | null {
    const { enabled, token, allowedOrigins, allowedHosts } = this.config.mcpServer;
    return enabled ? { token: token || undefined, allowedOrigins, allowedHosts } : null;
  }

  /** Stops scheduling, aborts runs in flight, stops log tailing. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.deps.logger.info('shutting down');
      // A reload under way finishes first (it stops early once it sees this), so no scheduler it
      // swaps in outlives the shutdown.
      await settleWithin(this.reloading, RELOAD_WAIT_MS);
      await this.scheduler.stop();
      this.tracker.abortAll(new ProbeCancelledError('mcpwatch is shutting down'));
      await Promise.all([this.tracker.drain(3_000), this.logs?.stop()]);
      this.eventLoop.stop();
    })();
    return this.stopping;
  }

  private newLogService(logs: NonNullable<Config['logs']>, stateDir: string): LogService {
    return new LogService(
      logs,
      stateDir,
      this.logMatches,
      this.deps.logger.child({ component: 'logs' }),
      this.deps.redactor,
    );
  }

  private newScheduler(config: Config, carriedOver?: Map<string, number>): Scheduler {
    return new Scheduler({
      config,
      logger: this.deps.logger,
      redactor: this.deps.redactor,
      limiter: this.semaphore,
      tracker: this.tracker,
      onResult: (result) => {
        if (!this.probeRecorder.accepts(result)) return; // finished after a reload changed or removed the probe
        const t = transitionLog(this.store.peek(result.probe)?.last, result);
        this.deps.logger[t.level](t.fields, t.msg);
        this.store.add(result);
        this.probeRecorder.record(result);
      },
      memoryFor: (name) => this.store.get(name).memory,
      annotateFailure: (result, probe, signal) => this.evidence.annotate(result, probe, signal),
      onAnnotated: (result) => void this.store.amend(result),
      guard: this.guards,
      tokensFor: (target) => this.tokens.for(target),
      onSkip: (probe) => {
        this.store.skipped(probe.name);
        this.probeRecorder.skipped(probe);
      },
      ...(carriedOver && { carriedOver }),
      ...(this.deps.stallGraceMs !== undefined && { stallGraceMs: this.deps.stallGraceMs }),
    });
  }
}

/** The targets with an SSO gate (oauth2) that some probe uses: they have token series. */
function oauthTargetsOf(config: Config): string[] {
  return [...new Set(config.probes.map((p) => p.target))].filter((t) => config.targets[t]?.oauth2 !== undefined);
}
