import type { Config } from '../config/parse.js';
import type { ConfigProblem } from '../config/problems.js';
import type { ShardedConfig } from '../config/shard.js';
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
    ...(s.logs && { logs: s.logs.health() }),
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
    ...(s.logs && { logs: { ...s.logs.status(), recentMatches: logMatches.recentMatches() } }),
    ...(s.gateway && { gateway: s.gateway.status() }),
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

/** The MCP endpoint's access rules (`mcpServer`). */
export interface McpAccessRules {
  token: string | undefined;
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
}

/** The MCP endpoint's access rules; null: the endpoint is off. */
export function mcpAccessOf(config: Config): McpAccessRules | null {
  const { enabled, token, allowedOrigins, allowedHosts } = config.mcpServer;
  return enabled ? { token: token || undefined, allowedOrigins, allowedHosts } : null;
}
