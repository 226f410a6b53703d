import type { Config } from '../config/parse.js';
import type { ConfigProblem } from '../config/problems.js';
import type { ShardedConfig } from '../config/shard.js';
import type { DiscoveryStatus } from '../discovery/status.js';
import type { GatewayWatch } from '../gateway-state/gateway-watch.js';
import type { LogService } from '../logs/log-service.js';
import { probeTypeOf } from '../probes/table.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { VERSION } from '../version.js';
import type { AgentParts } from './agent-parts.js';
import { healthView, type HealthReport } from './health-view.js';
import {
  catalogView,
  statusView,
  type CatalogView,
  type ProbeElsewhere,
  type ShardStatus,
  type StatusDocument,
} from './status-view.js';

/** The last (re)load of the config: a failed one keeps the running config. */
export interface LastReload {
  at: number;
  ok: boolean;
  problems: ConfigProblem[];
}

/** What the agent's views read of it: the running generation and what outlives it. */
export interface AgentState {
  configPath: string;
  startedAt: number;
  /** When the running config was loaded. */
  loadedAt: number;
  lastReload: LastReload;
  sharded: ShardedConfig;
  scheduler: Scheduler;
  logs: LogService | undefined;
  /** The gateway watch (containers, versions); absent in views built without one. */
  gateway?: GatewayWatch;
  /** The targets' server lists (`discover`); absent in views built without them. */
  discovery?: () => DiscoveryStatus[];
  stopping: boolean;
  parts: AgentParts;
  /** Event loop delay above which /health answers 503. */
  maxEventLoopDelayMs: number;
}

export function agentHealth(s: AgentState): HealthReport {
  const { config } = s.sharded;
  const { eventLoop, records } = s.parts;
  return healthView({
    configPath: s.configPath,
    loadedAt: s.loadedAt,
    lastReload: s.lastReload,
    scheduler: s.scheduler.health(),
    stopping: s.stopping,
    eventLoop: { maxDelayMs: eventLoop.maxDelayMs(), limitMs: s.maxEventLoopDelayMs },
    ...(s.logs && { logs: s.logs.health(), originCorrelation: s.parts.logMatches.originCorrelation() }),
    targets: Object.keys(config.targets),
    probes: config.probes.map((p) => ({
      name: p.name,
      target: p.target,
      aboutClient: probeTypeOf(p.type)?.aboutClient === true,
    })),
    lastSuccess: (name) => records.store.peek(name)?.last?.success,
  });
}

/** The /status document, unmasked (the caller masks it). */
export function agentStatus(s: AgentState, now = Date.now()): StatusDocument {
  const { records, tracker, logMatches } = s.parts;
  return statusView({
    version: VERSION,
    now,
    startedAt: s.startedAt,
    configPath: s.configPath,
    loadedAt: s.loadedAt,
    lastReload: s.lastReload,
    config: s.sharded.config,
    shard: shardStatusOf(s.sharded),
    record: (name) => records.store.peek(name),
    inFlight: (name) => tracker.has(name),
    nextRun: (name) => s.scheduler.nextRun(name),
    ...(s.logs && { logs: { ...s.logs.status(), recentMatches: logMatches.recentMatches() } }),
    ...(s.gateway && { gateway: s.gateway.status() }),
    ...(s.discovery && { discovery: s.discovery() }),
  });
}

/** The last catalog each catalog probe of this replica saw. */
export function agentCatalogs(s: AgentState): CatalogView[] {
  return catalogView(s.sharded.config, (name) => s.parts.records.store.peek(name));
}

/** Which share of the probes this replica runs. */
export function shardStatusOf({ shard, config, ofProbes, tailsLogs }: ShardedConfig): ShardStatus {
  return { index: shard.index, total: shard.total, probes: config.probes.length, ofProbes, tailsLogs };
}

/**
 * A configured probe of another shard: where it runs. Undefined for this shard's probes and for
 * names not configured.
 */
export function probeElsewhereOf({ shard, shardOf }: ShardedConfig, name: string): ProbeElsewhere | undefined {
  const s = shardOf(name);
  return s === undefined || s === shard.index
    ? undefined
    : { probe: name, shard: s, total: shard.total, here: shard.index };
}

/** The MCP endpoint's access rules (`mcpServer`): its token (Origin and Host are the whole server's: `web`). */
export interface McpAccessRules {
  token: string | undefined;
}

/** The MCP endpoint's access rules; null: the endpoint is off. */
export function mcpAccessOf(config: Config): McpAccessRules | null {
  const { enabled, token } = config.mcpServer;
  return enabled ? { token: token || undefined } : null;
}

/** The HTTP server's access rules (`web`); `POST /-/reload` served with `--web.enable-lifecycle` or the config's. */
export interface WebAccessRules {
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
  lifecycle: boolean;
}

export function webAccessOf(config: Config, lifecycleFlag: boolean): WebAccessRules {
  const { allowedOrigins, allowedHosts, enableLifecycle } = config.web;
  return { allowedOrigins, allowedHosts, lifecycle: lifecycleFlag || enableLifecycle };
}
