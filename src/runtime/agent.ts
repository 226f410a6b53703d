import type { LoadResult } from '../config/load.js';
import type { Config } from '../config/parse.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import { forShard, type ShardedConfig } from '../config/shard.js';
import { exposeBytes, type Format } from '../metrics/exposition.js';
import { ProbeCancelledError } from '../probes/types.js';
import { type ProbeResult } from '../probes/table.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { settleWithin } from '../util/deadline.js';
import { innermostMessage } from '../util/errors.js';
import type { Redactor } from '../util/redact.js';
import { AgentParts, type NextGeneration, type PartsDeps } from './agent-parts.js';
import * as views from './agent-views.js';
import type { HealthReport } from './health-view.js';
import type { RecentMatch } from './log-matches.js';
import type { GatewayWatch } from '../gateway-state/gateway-watch.js';
import { LogTailing } from './log-tailing.js';
import { logReloaded, logShardChange } from './reload-log.js';
import type { ReloadResult } from './reload-plan.js';
import type { CatalogView, ProbeElsewhere, ShardStatus, StatusDocument } from './status-view.js';

const SHUTTING_DOWN: ReloadResult = {
  ok: false,
  problems: [{ path: '(agent)', message: 'shutting down' }],
  warnings: [],
};
/** How long a shutdown waits for a reload under way. */
const RELOAD_WAIT_MS = 5_000;

export interface AgentDeps extends PartsDeps {
  configPath: string;
  /** Reads the config file again (on reload). */
  load: () => Promise<LoadResult>;
  /** Event loop delay above which /health answers 503. */
  maxEventLoopDelayMs?: number;
}

/**
 * The running agent: one config generation at a time (scheduler, log tailing) and its swap on
 * reload; what it knows of itself and of the probes' runs, for the HTTP routes and MCP tools.
 */
export class Agent {
  readonly startedAt = Date.now();
  private readonly parts: AgentParts;
  /** This replica's part of the loaded config (config `shard`): its `config` is what this replica runs. */
  private sharded: ShardedConfig;
  private scheduler: Scheduler;
  private readonly logs: LogTailing;
  /** The gateway itself: its containers' state, its version, its files not yet loaded. */
  private readonly gateway: GatewayWatch;
  /** When the running config was loaded. */
  private loadedAt = Date.now();
  /** The last reload, while it is one that failed (the running config is then the one loaded before). */
  private failedReload: views.LastReload | undefined;
  /** Reloads run one after another; one that throws does not stop the next. */
  private reloading: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(
    loaded: Config,
    private readonly deps: AgentDeps,
  ) {
    this.sharded = forShard(loaded);
    const { config } = this.sharded;
    const followed = (): string[] => (this.logs.running ? (this.config.logs?.containers.map((c) => c.name) ?? []) : []);
    const parts = (this.parts = new AgentParts(config, deps, followed));
    parts.self.configLoaded(true);
    parts.adopt(this.sharded);
    this.scheduler = parts.scheduler(config);
    this.logs = new LogTailing((logs, dir) => parts.logService(logs, dir), config.logs, config.stateDir);
    this.gateway = parts.gatewayWatch(this.sharded);
  }

  get redactor(): Redactor {
    return this.deps.redactor;
  }

  private get config(): Config {
    return this.sharded.config;
  }

  start(): void {
    this.parts.eventLoop.start();
    this.scheduler.start();
    this.logs.start();
    this.gateway.start();
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

  private async doReload(): Promise<ReloadResult> {
    if (this.stopping) return SHUTTING_DOWN;
    const loaded = await this.deps.load();
    // stop() came while the file was read: nothing is swapped in after shutdown began.
    if (this.stopping) return SHUTTING_DOWN;
    if (!loaded.ok) {
      const failed = this.reloadFailed(loaded.problems);
      const problems = loaded.problems.map(formatProblem);
      this.deps.logger.error({ problems }, 'config reload failed: keeping the running config');
      return failed;
    }
    await this.swap(this.parts.nextGeneration(this.config, loaded.config, loaded.warnings));
    return { ok: true, problems: [], warnings: loaded.warnings };
  }

  private reloadThrew(err: unknown): ReloadResult {
    const failed = this.reloadFailed([{ path: '(agent)', message: `reload failed: ${innermostMessage(err)}` }]);
    this.deps.logger.error({ err }, 'config reload failed');
    return failed;
  }

  private reloadFailed(problems: ConfigProblem[]): ReloadResult {
    this.failedReload = { at: Date.now(), ok: false, problems };
    this.parts.self.configLoaded(false);
    return { ok: false, problems, warnings: [] };
  }

  /** Puts the next generation in place of the running one, then stops the old scheduler and starts the new. */
  private async swap({ sharded, plan, scheduler }: NextGeneration): Promise<void> {
    const { logger } = this.deps;
    const next = sharded.config;
    logger.level = next.logLevel;
    this.parts.adopt(sharded);
    const old = { scheduler: this.scheduler, stateDir: this.config.stateDir, shard: this.sharded.shard };
    this.sharded = sharded;
    logShardChange(logger, old.shard, sharded);
    this.scheduler = scheduler;
    await old.scheduler.stop();
    scheduler.start();
    // stateDir is read at start-up only (a change needs a restart): the running one stays.
    await this.logs.apply(plan.logs, next.logs, old.stateDir);
    this.gateway.reload(next);
    this.loadedAt = Date.now();
    this.failedReload = undefined;
    this.parts.self.configLoaded(true);
    logReloaded(logger, sharded, plan.carriedOver.size);
  }

  /** Runs one configured probe now (for /probe and the MCP tool run_probe). */
  runProbe(name: string): Promise<ProbeResult> {
    return this.scheduler.runNow(name, 'manual');
  }

  /** The probes this replica runs (its shard's). */
  probeNames(): string[] {
    return this.config.probes.map((p) => p.name);
  }

  /** Where another shard's probe runs; undefined for this shard's probes and for names not configured. */
  probeElsewhere(name: string): ProbeElsewhere | undefined {
    return views.probeElsewhereOf(this.sharded, name);
  }

  /** Which share of the probes this replica runs. */
  shardStatus(): ShardStatus {
    return views.shardStatusOf(this.sharded);
  }

  catalogs(): CatalogView[] {
    return views.agentCatalogs(this.state());
  }

  /** Recent log matches, newest first; undefined without log tailing. */
  recentLogMatches(): RecentMatch[] | undefined {
    return this.logs.running ? this.parts.logMatches.recentMatches() : undefined;
  }

  health(): HealthReport {
    return views.agentHealth(this.state());
  }

  status(): StatusDocument {
    return this.deps.redactor.maskDeep(views.agentStatus(this.state()));
  }

  /** The metrics exposition, with the gauges that are read at scrape time refreshed. */
  scrape(format: Format): Promise<Buffer> {
    this.parts.refreshGauges();
    return exposeBytes(this.deps.metrics.registry, format);
  }

  /** The MCP endpoint's access rules, read per request so a reload applies; null: the endpoint is off. */
  mcpAccess(): views.McpAccessRules | null {
    return views.mcpAccessOf(this.config);
  }

  /** Stops scheduling, aborts runs in flight, stops log tailing. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.deps.logger.info('shutting down');
      // A reload under way finishes first (it stops early once it sees this), so no scheduler it
      // swaps in outlives the shutdown.
      await settleWithin(this.reloading, RELOAD_WAIT_MS);
      await this.scheduler.stop();
      const { tracker, eventLoop } = this.parts;
      tracker.abortAll(new ProbeCancelledError('mcpwatch is shutting down'));
      await Promise.all([tracker.drain(3_000), this.logs.stop(), this.gateway.stop()]);
      eventLoop.stop();
    })();
    return this.stopping;
  }

  private state(): views.AgentState {
    return {
      configPath: this.deps.configPath,
      startedAt: this.startedAt,
      loadedAt: this.loadedAt,
      lastReload: this.failedReload ?? { at: this.loadedAt, ok: true, problems: [] },
      sharded: this.sharded,
      scheduler: this.scheduler,
      logs: this.logs.running,
      gateway: this.gateway,
      stopping: this.stopping !== undefined,
      parts: this.parts,
      maxEventLoopDelayMs: this.deps.maxEventLoopDelayMs ?? 1_000,
    };
  }
}
