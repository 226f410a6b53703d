import type { LoadResult } from '../config/load.js';
import type { Config } from '../config/parse.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import { forShard, type ShardedConfig } from '../config/shard.js';
import type { Discovery } from '../discovery/discovery.js';
import { withDiscovered } from '../discovery/expand.js';
import { exposeBytes, type Format } from '../metrics/exposition.js';
import { ProbeCancelledError } from '../probes/types.js';
import { type ProbeResult } from '../probes/table.js';
import type { RunAnswer, RunRequest, Scheduler } from '../scheduler/scheduler.js';
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
  /** `--web.enable-lifecycle`: `POST /-/reload` is served whatever the config's `web.enableLifecycle` says. */
  enableLifecycle?: boolean;
  /** Called once a reload's config is in place (main puts the web config's certificates, users and headers in). */
  onReloaded?: () => void;
}

/**
 * The running agent: one config generation at a time (scheduler, log tailing) and its swap on
 * reload; what it knows of itself and of the probes' runs, for the HTTP routes and MCP tools.
 */
export class Agent {
  readonly startedAt = Date.now();
  private readonly parts: AgentParts;
  /** The config as loaded (every shard's probes, none discovered). */
  private loaded: Config;
  /** The targets' server lists (`discover`): their probes are added to the loaded config's. */
  private readonly discovery: Discovery;
  /**
   * This replica's part of the loaded config and of the discovered probes (config `shard`): its `config` is what this
   * replica runs.
   */
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
  /** start() has run: the scheduler runs (until stop()). */
  private started = false;

  constructor(
    loaded: Config,
    private readonly deps: AgentDeps,
  ) {
    const followed = (): string[] => (this.logs.running ? (this.config.logs?.containers.map((c) => c.name) ?? []) : []);
    const parts = (this.parts = new AgentParts(loaded, deps, followed));
    this.loaded = loaded;
    // The lists kept in stateDir are known at once: their servers are probed from the start.
    this.discovery = parts.discovery(loaded, () => this.rediscovered());
    this.sharded = forShard(withDiscovered(loaded, this.discovery.lists()));
    const { config } = this.sharded;
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
    this.discovery.start();
    this.started = true;
  }

  /** Ready (`/-/ready`): a config loaded (one always is, once constructed) and the scheduler started, not stopping. */
  readiness(): { ready: true } | { ready: false; reason: 'starting' | 'stopping' } {
    if (this.stopping) return { ready: false, reason: 'stopping' };
    return this.started ? { ready: true } : { ready: false, reason: 'starting' };
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
    // Discovered targets keep their lists: their probes are made again with the new templates.
    this.discovery.configure(loaded.config);
    const effective = withDiscovered(loaded.config, this.discovery.lists());
    const next = this.parts.nextGeneration(this.config, effective, loaded.warnings);
    this.loaded = loaded.config;
    await this.swap(next);
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
    this.deps.onReloaded?.();
  }

  /**
   * A target's server list changed: its discovered probes are made again from the running config, as a reload of the
   * probe set (probes that stay keep their cadence and memory; those gone lose their series). Serialized with reloads.
   */
  private rediscovered(): void {
    const next = this.reloading
      .then(() => this.applyDiscovered())
      .catch((err: unknown) => this.deps.logger.error({ err }, 'applying the discovered servers failed'));
    this.reloading = next;
  }

  private async applyDiscovered(): Promise<void> {
    if (this.stopping) return;
    const effective = withDiscovered(this.loaded, this.discovery.lists());
    const { sharded, scheduler } = this.parts.nextGeneration(this.config, effective, []);
    this.parts.adopt(sharded);
    const old = this.scheduler;
    this.sharded = sharded;
    this.scheduler = scheduler;
    await old.stop();
    scheduler.start();
  }

  /** Runs one configured probe now (for /probe and the MCP tool run_probe). */
  runProbe(name: string): Promise<ProbeResult> {
    return this.scheduler.runNow(name, 'manual');
  }

  /** Runs a probe on request (/probe): a shorter timeout when asked, at most once per `reuseWithinMs`. */
  requestRun(name: string, req: RunRequest): Promise<RunAnswer> {
    return this.scheduler.request(name, req);
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

  /** Who may use any route (`web`), and whether `POST /-/reload` is served; read per request so a reload applies. */
  webAccess(): views.WebAccessRules {
    return views.webAccessOf(this.config, this.deps.enableLifecycle === true);
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
      await Promise.all([tracker.drain(3_000), this.logs.stop(), this.gateway.stop(), this.discovery.stop()]);
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
      discovery: () => this.discovery.status(this.loaded),
      stopping: this.stopping !== undefined,
      parts: this.parts,
      maxEventLoopDelayMs: this.deps.maxEventLoopDelayMs ?? 1_000,
    };
  }
}
