import type { Config } from '../config/parse.js';
import type { ConfigProblem } from '../config/problems.js';
import { secretsOf } from '../config/secrets.js';
import { forShard, type ShardedConfig } from '../config/shard.js';
import { GuardCorrelator } from '../correlate/guard.js';
import { Discovery } from '../discovery/discovery.js';
import { GatewayWatch } from '../gateway-state/gateway-watch.js';
import { LogService } from '../logs/log-service.js';
import { DiscoveryRecorder } from '../metrics/discovery-recorder.js';
import { GatewayRecorder } from '../metrics/gateway-recorder.js';
import { LogRecorder } from '../metrics/log-recorder.js';
import type { Metrics } from '../metrics/registry.js';
import { SelfRecorder } from '../metrics/self-recorder.js';
import { EraMemory } from '../probes/mcp/eras.js';
import { TokenSources } from '../probes/oauth/token-source.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { RunLimits } from '../scheduler/run-limits.js';
import { RunTracker } from '../scheduler/tracker.js';
import type { Logger } from '../util/logger.js';
import type { Redactor } from '../util/redact.js';
import { EventLoopMonitor } from './event-loop.js';
import { LogEvidence } from './log-evidence.js';
import { LogMatches } from './log-matches.js';
import { logConfigWarnings, logRestartNeeded } from './reload-log.js';
import { planReload, type ReloadPlan } from './reload-plan.js';
import { RunRecords } from './run-records.js';

export interface PartsDeps {
  logger: Logger;
  redactor: Redactor;
  metrics: Metrics;
  stallGraceMs?: number;
  /** Set when `listen` comes from the command line: a changed `listen` in the file is then no news. */
  listenFixed?: boolean;
}

/** A config generation built beside the running one, ready to be swapped in. */
export interface NextGeneration {
  sharded: ShardedConfig;
  plan: ReloadPlan;
  scheduler: Scheduler;
}

/**
 * What outlives a config generation (the records of runs, the slots and runs in flight, the log's
 * matches, the OAuth tokens), and the pieces it builds for each config, wired to them: a
 * scheduler, a log service.
 */
export class AgentParts {
  readonly records: RunRecords;
  readonly self: SelfRecorder;
  readonly logMatches: LogMatches;
  readonly limits: RunLimits;
  readonly tracker = new RunTracker();
  readonly eventLoop = new EventLoopMonitor();
  /** Tells auth errors the guard provoked from real ones (log origin). */
  private readonly guards = new GuardCorrelator();
  /** OAuth tokens of the targets with oauth2: one per target, kept across reloads that leave it alone. */
  private readonly tokens = new TokenSources();
  /** The MCP era each target speaks (protocol: auto), negotiated once and remembered: one for the agent's life. */
  private readonly protocols = new EraMemory();
  /** The gateway's log about failed runs, while containers are followed. */
  private readonly evidence: LogEvidence;
  /** The targets' server lists, once made (discovery()): what a key's catalog is set against. */
  private lists: Discovery | undefined;

  /** `followed`: the containers whose log is followed now (none without log tailing). */
  constructor(
    config: Config,
    private readonly deps: PartsDeps,
    followed: () => readonly string[],
  ) {
    this.records = new RunRecords(deps.metrics, deps.logger);
    this.self = new SelfRecorder(deps.metrics);
    this.logMatches = new LogMatches(this.guards, new LogRecorder(deps.metrics), deps.redactor, (server) =>
      this.records.down.isDown(server),
    );
    this.evidence = new LogEvidence(this.logMatches.records, followed, deps.redactor);
    this.limits = new RunLimits(config);
  }

  /** What follows the running generation: the limit of runs, the probes' series, the shard's series. */
  adopt({ config, shard }: ShardedConfig): void {
    this.limits.adopt(config);
    // Before a replaced scheduler stops: its runs that end then are recorded only if their probe stayed the same.
    this.records.declare(config);
    this.self.shard(shard);
  }

  /** A scheduler for `config`; `carriedOver`: probes that keep their cadence across a reload. */
  scheduler(config: Config, carriedOver?: Map<string, number>): Scheduler {
    const { logger, redactor, stallGraceMs } = this.deps;
    const { records } = this;
    return new Scheduler({
      config,
      logger,
      redactor,
      limiter: this.limits,
      tracker: this.tracker,
      onResult: (result) => records.result(result),
      memoryFor: (name) => records.store.get(name).memory,
      annotateFailure: (result, probe, signal) => this.evidence.annotate(result, probe, signal),
      onAnnotated: (result) => void records.store.amend(result),
      guard: this.guards,
      tokensFor: (target) => this.tokens.for(target),
      protocols: this.protocols,
      discoveredOn: (target) => {
        const listed = this.lists?.listOf(target);
        const exclude = config.discover?.[target]?.exclude;
        return listed && exclude ? listed.filter((s) => !exclude.includes(s)) : undefined;
      },
      onSkip: (probe) => records.skipped(probe),
      ...(carriedOver && { carriedOver }),
      ...(stallGraceMs !== undefined && { stallGraceMs }),
    });
  }

  /**
   * The generation for a reloaded config, built while the `current` one runs on: its shard, its
   * plan, its scheduler (not started). The running generation is left alone.
   */
  nextGeneration(current: Config, loaded: Config, warnings: readonly ConfigProblem[]): NextGeneration {
    const { logger, redactor, listenFixed } = this.deps;
    const { records } = this;
    const sharded = forShard(loaded);
    redactor.addSecrets(secretsOf(loaded));
    logConfigWarnings(logger, warnings);
    const plan = planReload(current, sharded.config, (name) => records.lastStartOf(name), {
      listenFixed: listenFixed ?? false,
    });
    logRestartNeeded(logger, plan);
    // Probes that did not change keep their cadence (carriedOver); what changed ones remember is dropped.
    records.forget(plan.reset);
    return { sharded, plan, scheduler: this.scheduler(sharded.config, plan.carriedOver) };
  }

  logService(logs: NonNullable<Config['logs']>, stateDir: string): LogService {
    const { logger, redactor } = this.deps;
    return new LogService(logs, stateDir, this.logMatches, logger.child({ component: 'logs' }), redactor);
  }

  /**
   * The gateway's own facts (containers, versions, files not yet loaded) for the running config; one for the
   * agent's life, reloaded with the config. Versions are read by shard 0's replicas only.
   */
  gatewayWatch({ config, shard }: ShardedConfig): GatewayWatch {
    const { logger, metrics } = this.deps;
    return new GatewayWatch(config, new GatewayRecorder(metrics), logger.child({ component: 'gateway' }), {
      readVersions: shard.index === 0,
      marks: this.guards,
    });
  }

  /**
   * The gateways' server lists (targets' `discover`), for the agent's life: read with the targets' tokens and
   * protocols, reported to the metrics; `onChange` when a list changed.
   */
  discovery(config: Config, onChange: () => void): Discovery {
    const { logger, redactor, metrics } = this.deps;
    return (this.lists = new Discovery(config, {
      logger: logger.child({ component: 'discovery' }),
      redactor,
      sink: new DiscoveryRecorder(metrics),
      tokensFor: (target) => this.tokens.for(target),
      protocols: this.protocols,
      onChange,
    }));
  }

  /** The gauges read at scrape time. */
  refreshGauges(): void {
    this.self.runs(this.tracker.size, this.limits.queued);
  }
}
