import { formatDuration } from '../config/duration.js';
import { runsOnRequest } from '../config/fields.js';
import type { Config, Probe } from '../config/parse.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import type { DiscoveryStatus } from '../discovery/status.js';
import type { GatewayStatus } from '../gateway-state/gateway-watch.js';
import { gatewayView, type GatewayView } from '../gateway-state/gateway-view.js';
import type { TargetKeysStatus } from '../gateway-state/key-watch.js';
import type { LogService } from '../logs/log-service.js';
import { probeTypeOf, type DetailsByType, type ProbeType } from '../probes/table.js';
import type {
  GatewayLog,
  OAuthFacts,
  Outcome,
  Phase,
  TlsFacts,
  TokenRequestFact,
  ToolChanges,
  Trigger,
} from '../probes/types.js';
import type { HistoryEntry, ProbeRecord } from '../scheduler/history.js';
import type { RecentMatch } from './log-matches.js';

/** A probe's last run as /status shows it. */
export interface LastRun<T extends ProbeType = ProbeType> {
  outcome: Outcome;
  success: boolean;
  reason: string;
  trigger: Trigger;
  startedAt: string;
  durationMs: number;
  phases: Partial<Record<Phase, number>>;
  details?: DetailsByType[T];
  /** A failed run: what the gateway logged about it. */
  gatewayLog?: GatewayLog;
  /** https targets: the TLS version and the certificates' subject, issuer and expiry (ISO times). */
  tls?: Omit<TlsFacts, 'notAfter' | 'earliestNotAfter'> & { notAfter: string; earliestNotAfter: string };
  /**
   * Targets with oauth2: the token endpoint, the client, where the run's token came from, its expiry and the run's
   * token requests (ISO times; never the token).
   */
  oauth?: Omit<OAuthFacts, 'expiresAt' | 'requests'> & {
    expiresAt?: string;
    requests: Array<Omit<TokenRequestFact, 'at'> & { at: string }>;
  };
}

interface ProbeStatusBase {
  name: string;
  target: string;
  /** The target's named key the probe runs as (config `key`): its name, never its value. */
  key?: string;
  /** `every 30s`, or `cron` and the expression. */
  schedule: string;
  timeout: string;
  inFlight: boolean;
  /** When the next scheduled run is due (absent while the scheduler is not running). */
  nextRunAt?: string;
  lastSuccessAt: string | null;
  runs: number;
  failures: number;
  skipped: number;
  history: Array<Omit<HistoryEntry, 'startedAt'> & { startedAt: string }>;
}

/** One probe in /status; `last.details` is typed by `type`. */
export type ProbeStatus = { [T in ProbeType]: ProbeStatusBase & { type: T; last?: LastRun<T> } }[ProbeType];

export type LogsStatus = ReturnType<LogService['status']> & { recentMatches: RecentMatch[] };

/**
 * Which share of the probes this replica runs (config `shard`, `--shard I/N`): `probes` of the
 * config's `ofProbes`; `tailsLogs`: whether it runs the config's log tailing (with several shards
 * only shard 0 does).
 */
export interface ShardStatus {
  index: number;
  total: number;
  probes: number;
  ofProbes: number;
  tailsLogs: boolean;
}

/** A configured probe that another replica runs (another shard's), for /probe and the MCP tools. */
export interface ProbeElsewhere {
  probe: string;
  /** The shard that runs it. */
  shard: number;
  total: number;
  /** This replica's shard. */
  here: number;
}

/** Pure: why this replica does not run a probe of another shard, and where it runs. */
export function elsewhereMessage(e: ProbeElsewhere): string {
  const here = `not on this replica (shard ${e.here} of ${e.total})`;
  return `probe "${e.probe}" runs on shard ${e.shard} of ${e.total}, ${here}: ask the replica of shard ${e.shard}`;
}

/** The /status document (and what the MCP tools read). */
export interface StatusDocument {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  config: {
    path: string;
    loadedAt: string;
    lastReload: { at: string; ok: boolean; problems: string[] };
  };
  shard: ShardStatus;
  probes: ProbeStatus[];
  logs?: LogsStatus;
  gateway?: GatewayView;
  /**
   * Targets with named keys: each key's lifetime as the gateway keeps it (GET /key/info asked with the key), or why it
   * is not known (`lifetimes` says once for the target when the gateway has no database).
   */
  keys?: TargetKeysStatus[];
  /** Targets with a `discover` block: the server list in use, where it came from and when, the last attempt. */
  discovery?: DiscoveryStatus[];
}

export interface StatusInput {
  version: string;
  now: number;
  startedAt: number;
  configPath: string;
  loadedAt: number;
  lastReload: { at: number; ok: boolean; problems: readonly ConfigProblem[] };
  /** This replica's part of the config (its shard's probes). */
  config: Config;
  shard: ShardStatus;
  record(probe: string): ProbeRecord | undefined;
  inFlight(probe: string): boolean;
  /** When the probe's next scheduled run is due (epoch ms), if known. */
  nextRun?(probe: string): number | undefined;
  logs?: LogsStatus;
  gateway?: GatewayStatus;
  discovery?: DiscoveryStatus[];
}

/** How many of the recent log matches /status lists. */
export const STATUS_RECENT_MATCHES = 50;

/** Pure: the /status document (unmasked: the caller masks it). */
export function statusView(input: StatusInput): StatusDocument {
  return {
    version: input.version,
    startedAt: iso(input.startedAt),
    uptimeSeconds: Math.round((input.now - input.startedAt) / 1000),
    config: {
      path: input.configPath,
      loadedAt: iso(input.loadedAt),
      lastReload: {
        at: iso(input.lastReload.at),
        ok: input.lastReload.ok,
        problems: input.lastReload.problems.map(formatProblem),
      },
    },
    shard: input.shard,
    probes: input.config.probes.map((p) =>
      probeStatus(p, input.record(p.name), input.inFlight(p.name), input.nextRun?.(p.name)),
    ),
    ...(input.logs && {
      logs: { ...input.logs, recentMatches: input.logs.recentMatches.slice(0, STATUS_RECENT_MATCHES) },
    }),
    ...(input.gateway &&
      (input.gateway.containers.length > 0 || input.gateway.versions.length > 0) && {
        gateway: gatewayView(input.gateway),
      }),
    ...(input.gateway?.keys && input.gateway.keys.length > 0 && { keys: input.gateway.keys }),
    ...(input.discovery && input.discovery.length > 0 && { discovery: input.discovery }),
  };
}

function probeStatus(
  p: Probe,
  rec: ProbeRecord | undefined,
  inFlight: boolean,
  nextRun: number | undefined,
): ProbeStatus {
  const last = rec?.last;
  return {
    name: p.name,
    type: p.type,
    target: p.target,
    ...('key' in p && p.key !== undefined && { key: p.key }),
    schedule:
      p.scheduleSpec.kind === 'every'
        ? `every ${formatDuration(p.scheduleSpec.ms)}`
        : runsOnRequest(p.scheduleSpec)
          ? 'on request'
          : `cron ${p.scheduleSpec.expr}`,
    timeout: formatDuration(p.timeoutMs),
    inFlight,
    ...(nextRun !== undefined && { nextRunAt: iso(nextRun) }),
    last: last && {
      outcome: last.outcome,
      success: last.success,
      reason: last.reason,
      trigger: last.trigger,
      startedAt: iso(last.startedAt),
      durationMs: last.durationMs,
      phases: last.phases,
      ...(last.details && { details: last.details }),
      ...(last.gatewayLog && { gatewayLog: last.gatewayLog }),
      ...(last.tls && {
        tls: { ...last.tls, notAfter: iso(last.tls.notAfter), earliestNotAfter: iso(last.tls.earliestNotAfter) },
      }),
      ...(last.oauth && { oauth: oauthView(last.oauth) }),
    },
    lastSuccessAt: rec?.lastSuccessAt !== undefined ? iso(rec.lastSuccessAt) : null,
    runs: rec?.runs ?? 0,
    failures: rec?.failures ?? 0,
    skipped: rec?.skipped ?? 0,
    history: (rec?.history ?? []).map((h) => ({ ...h, startedAt: iso(h.startedAt) })),
  } as ProbeStatus;
}

/** The last catalog an mcp_catalog probe saw, with the last change (for the MCP tool get_catalog). */
export interface CatalogView {
  probe: string;
  target: string;
  servers: string[];
  seenAt: string | null;
  fingerprint: string | null;
  toolsPerServer: Record<string, number>;
  tools: string[];
  /** `changes`: per tool, what changed (`description`, `annotations`…), when the catalog knew it. */
  lastChange: {
    at: string;
    added: string[];
    removed: string[];
    changedSchemas: string[];
    changes?: ToolChanges;
  } | null;
  lastOutcome: Outcome | null;
}

/** Pure: every catalog probe's last catalog. */
export function catalogView(config: Config, record: (probe: string) => ProbeRecord | undefined): CatalogView[] {
  const out: CatalogView[] = [];
  for (const p of config.probes) {
    if (!probeTypeOf(p.type)?.readsCatalog) continue;
    const rec = record(p.name);
    const c = rec?.memory.catalog ?? {};
    out.push({
      probe: p.name,
      target: p.target,
      servers: 'servers' in p ? p.servers : [],
      seenAt: c.snapshot ? iso(c.snapshot.at) : null,
      fingerprint: c.snapshot?.fingerprint ?? null,
      toolsPerServer: c.toolsPerServer ?? {},
      tools: c.tools ?? [],
      lastChange: c.lastChange ? { ...c.lastChange, at: iso(c.lastChange.at) } : null,
      lastOutcome: rec?.last?.outcome ?? null,
    });
  }
  return out;
}

export { gatewayView, type GatewayView };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function oauthView(o: OAuthFacts): NonNullable<LastRun['oauth']> {
  const { expiresAt, requests, ...rest } = o;
  return {
    ...rest,
    ...(expiresAt !== undefined && { expiresAt: iso(expiresAt) }),
    requests: requests.map((r) => ({ ...r, at: iso(r.at) })),
  };
}
