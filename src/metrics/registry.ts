import { collectDefaultMetrics, Counter, Gauge, type Metric, Registry } from 'prom-client';
import { VERSION } from '../version.js';
import type { FamilyPorts } from '../probes/probe-type.js';
import { PROBE_TYPES, probeTypeOf, type ProbeType } from '../probes/table.js';
import { SeriesCounter, SeriesGauge, SeriesHistogram } from './families.js';

const PROBE_LABELS = ['probe', 'target', 'type'] as const;
const NAMED_LIKE_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * Every metric mcpwatch exports, created once at start-up on one Registry. Nothing registers
 * per run or per reload; series of removed probes are removed by label.
 */
// eslint-disable-next-line max-lines-per-function -- a plain list of declarations: every family, once
export function createMetrics(registry: Registry, opts: { defaultMetrics?: boolean } = {}) {
  const registers = [registry];

  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // prom-client also exports the sums of nodejs_active_{handles,requests,resources}{type} as
    // gauges named *_total, which is a counter's name: `promtool check metrics` refuses them, and
    // the series by type already sum to the same.
    for (const name of NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
  }

  // The probe families render their own text (families.ts); they register on the same registry.
  const own = <T extends SeriesGauge | SeriesCounter | SeriesHistogram>(f: T): T => {
    registry.registerMetric(f as unknown as Metric);
    return f;
  };

  const m = {
    registry,

    // Probe results
    probeSuccess: own(
      new SeriesGauge({
        name: 'mcp_probe_success',
        help: 'Whether the last run of the probe succeeded (1) or not (0).',
        labelNames: PROBE_LABELS,
      }),
    ),
    probeDuration: own(
      new SeriesHistogram({
        name: 'mcp_probe_duration_seconds',
        help: 'Duration of probe runs.',
        labelNames: PROBE_LABELS,
        // Ten buckets: enough for p50/p95 from 10 ms to 30 s; each bucket is a series per probe.
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      }),
    ),
    probeLastDuration: own(
      new SeriesGauge({
        name: 'mcp_probe_last_duration_seconds',
        help: 'Duration of the last run of the probe.',
        labelNames: PROBE_LABELS,
      }),
    ),
    probeRuns: own(
      new SeriesCounter({
        name: 'mcp_probe_runs_total',
        help: 'Probe runs by outcome.',
        labelNames: [...PROBE_LABELS, 'outcome'] as const,
      }),
    ),
    probeLastRun: own(
      new SeriesGauge({
        name: 'mcp_probe_last_run_timestamp_seconds',
        help: 'When the last run of the probe ended (Unix time).',
        labelNames: PROBE_LABELS,
      }),
    ),
    probeLastSuccess: own(
      new SeriesGauge({
        name: 'mcp_probe_last_success_timestamp_seconds',
        help: 'When the last successful run of the probe ended (Unix time).',
        labelNames: PROBE_LABELS,
      }),
    ),
    probePhase: own(
      new SeriesGauge({
        name: 'mcp_probe_phase_duration_seconds',
        help: 'Duration of each phase of the last run of the probe.',
        labelNames: [...PROBE_LABELS, 'phase'] as const,
      }),
    ),
    probeFailStreak: own(
      new SeriesGauge({
        name: 'mcp_probe_consecutive_failures',
        help: 'Failed runs of the probe in a row (0 after a success).',
        labelNames: PROBE_LABELS,
      }),
    ),
    probeProtocol: own(
      new SeriesGauge({
        name: 'mcp_probe_protocol_info',
        help:
          "The MCP protocol the probe's last run that got that far spoke (1): era modern or legacy, " +
          'and the revision.',
        labelNames: ['probe', 'target', 'era', 'version'] as const,
      }),
    ),
    probeKey: own(
      new SeriesGauge({
        name: 'mcp_probe_key_info',
        help: "The target's named key the probe runs as (1; config key): its name, never its value.",
        labelNames: ['probe', 'target', 'key'] as const,
      }),
    ),
    tlsCertExpiry: own(
      new SeriesGauge({
        name: 'mcp_probe_tls_cert_expiry_timestamp_seconds',
        help:
          "The notAfter of the leaf certificate the probe's https target presented on its last TLS connection " +
          '(Unix time).',
        labelNames: PROBE_LABELS,
      }),
    ),
    tlsEarliestExpiry: own(
      new SeriesGauge({
        name: 'mcp_probe_tls_earliest_expiry_timestamp_seconds',
        help: "The earliest notAfter in the certificate chain of the probe's https target, leaf to root (Unix time).",
        labelNames: PROBE_LABELS,
      }),
    ),
    oauthTokenRequests: new Counter({
      name: 'mcp_oauth_token_requests_total',
      help:
        "Requests to the token endpoint of a target's SSO gate (oauth2 client credentials), by outcome: " +
        'ok, rejected (the endpoint refused the client), error (it failed or could not be reached).',
      labelNames: ['target', 'outcome'] as const,
      registers,
    }),
    oauthTokenExpiry: new Gauge({
      name: 'mcp_oauth_token_expiry_timestamp_seconds',
      help: "When the access token a target's probes use expires (Unix time); it is renewed shortly before.",
      labelNames: ['target'] as const,
      registers,
    }),
    probeSkipped: own(
      new SeriesCounter({
        name: 'mcpwatch_probe_skipped_runs_total',
        help: 'Scheduled runs skipped because the previous run of the probe was still in flight.',
        labelNames: PROBE_LABELS,
      }),
    ),

    // Each probe type's own families (src/probes/<type>/series.ts), by type
    typeFamilies: typeFamilies(own),

    // Log tailing
    logLines: new Counter({
      name: 'mcpwatch_log_lines_total',
      help: 'Log lines read from each container, by stream.',
      labelNames: ['container', 'stream'] as const,
      registers,
    }),
    logMatches: new Counter({
      name: 'mcpwatch_log_matches_total',
      help:
        'Log records matched by a rule (auth, MCP and HTTP errors), by kind; ' +
        'origin=probe for errors mcpwatch itself provoked; cause=server_down for MCP errors about a server found down.',
      labelNames: ['container', 'category', 'kind', 'origin', 'cause'] as const,
      registers,
    }),
    logLastMatch: new Gauge({
      name: 'mcpwatch_log_last_match_timestamp_seconds',
      help: 'When the last record of each kind was matched (log time).',
      labelNames: ['container', 'category', 'kind'] as const,
      registers,
    }),
    logTailUp: new Gauge({
      name: 'mcpwatch_log_tail_up',
      help: 'Whether the log of the container is being followed (1) or not (0).',
      labelNames: ['container'] as const,
      registers,
    }),
    // Registered only once log tailing is configured: without it, a 0 would raise a false alert.
    dockerUp: new Gauge({
      name: 'mcpwatch_docker_up',
      help: 'Whether the Docker API answers (1) or not (0).',
      registers: [],
    }),

    // The gateway itself: its containers (Docker), its version, its files not yet loaded
    ...gatewayFamilies(registers),
    // The gateways' server lists (a target's discover block)
    ...discoveryFamilies(registers),

    // Self
    buildInfo: new Gauge({
      name: 'mcpwatch_build_info',
      help: 'mcpwatch version and the Node.js runtime it runs on.',
      labelNames: ['version', 'node_version'] as const,
      registers,
    }),
    configReloadOk: new Gauge({
      name: 'mcpwatch_config_last_reload_successful',
      help: 'Whether the last config (re)load succeeded (1) or not (0).',
      registers,
    }),
    configReloadTime: new Gauge({
      name: 'mcpwatch_config_last_reload_success_timestamp_seconds',
      help: 'When the config was last loaded successfully (Unix time).',
      registers,
    }),
    probesInFlight: new Gauge({ name: 'mcpwatch_probes_in_flight', help: 'Probe runs in flight now.', registers }),
    probesQueued: new Gauge({
      name: 'mcpwatch_probes_queued',
      help: 'Probe runs waiting for a slot (maxConcurrentProbes).',
      registers,
    }),
    shardInfo: new Gauge({
      name: 'mcpwatch_shard_info',
      help:
        'The share of the probes this replica runs: those whose name hashes to index, of total ' +
        '(config shard, --shard).',
      labelNames: ['index', 'total'] as const,
      registers,
    }),
  };
  m.buildInfo.set({ version: VERSION, node_version: process.version }, 1);
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** The families a probe type records, ready to write, by type (types that record none are absent). */
export type TypeFamilies = Partial<Record<ProbeType, FamilyPorts<Record<string, never>>>>;

/** Each probe type's families, made from its definition and registered with the others. */
function typeFamilies(own: <T extends SeriesGauge | SeriesCounter>(f: T) => T): TypeFamilies {
  const out: TypeFamilies = {};
  for (const type of PROBE_TYPES) {
    const defs = probeTypeOf(type)?.series?.families;
    if (!defs) continue;
    const ports: Record<string, SeriesGauge | SeriesCounter> = {};
    for (const [key, d] of Object.entries(defs)) {
      const opts = { name: d.name, help: d.help, labelNames: [...PROBE_LABELS, ...d.labels] };
      ports[key] = own(d.kind === 'gauge' ? new SeriesGauge(opts) : new SeriesCounter(opts));
    }
    out[type] = ports as FamilyPorts<Record<string, never>>;
  }
  return out;
}

/** The gateway's own families: each followed container's state, which version each target runs, restarts pending. */
function gatewayFamilies(registers: Registry[]) {
  const container = ['container'] as const;
  return {
    containerRunning: new Gauge({
      name: 'mcp_gateway_container_running',
      help: 'Whether the followed container runs (1) or not (0: stopped, restarting, paused or not there).',
      labelNames: container,
      registers,
    }),
    containerRestarts: new Counter({
      name: 'mcp_gateway_container_restarts_total',
      help: "Restarts of the followed container: Docker's RestartCount at the first look, then each start after a run.",
      labelNames: container,
      registers,
    }),
    containerExitCode: new Gauge({
      name: 'mcp_gateway_container_last_exit_code',
      help: 'The exit code of the last exit of the followed container (137: killed, as by an OOM kill or docker kill).',
      labelNames: container,
      registers,
    }),
    containerOomKills: new Counter({
      name: 'mcp_gateway_container_oom_kills_total',
      help: 'Exits of the followed container that Docker reports as OOM kills.',
      labelNames: container,
      registers,
    }),
    containerHealth: new Gauge({
      name: 'mcp_gateway_container_health',
      help: "The followed container's HEALTHCHECK status: 1 for the current one of starting, healthy, unhealthy, none.",
      labelNames: ['container', 'status'] as const,
      registers,
    }),
    containerStarted: new Gauge({
      name: 'mcp_gateway_container_started_timestamp_seconds',
      help: 'When the followed container last started (Unix time).',
      labelNames: container,
      registers,
    }),
    restartPending: new Gauge({
      name: 'mcp_gateway_restart_pending',
      help: "1 when a watched file (the gateway's config, an env file) changed after the container started.",
      labelNames: container,
      registers,
    }),
    gatewayBuildInfo: new Gauge({
      name: 'mcp_gateway_build_info',
      help: 'Always 1: the version a target runs, and where it was read (readiness, openapi, image).',
      labelNames: ['target', 'version', 'source'] as const,
      registers,
    }),
    // Each named key of a target, as the gateway keeps it (GET /key/info asked with the key itself)
    keyExpiry: new Gauge({
      name: 'mcp_key_expiry_timestamp_seconds',
      help: "When the target's named key expires (Unix time), as the gateway says; absent when it never expires.",
      labelNames: ['target', 'key'] as const,
      registers,
    }),
    keyBudgetRemaining: new Gauge({
      name: 'mcp_key_budget_remaining',
      help: "What is left of the named key's budget (max_budget - spend, LiteLLM: USD); absent when unlimited.",
      labelNames: ['target', 'key'] as const,
      registers,
    }),
    keyBudgetMax: new Gauge({
      name: 'mcp_key_budget_max',
      help: "The named key's budget (max_budget, LiteLLM: USD); absent when unlimited.",
      labelNames: ['target', 'key'] as const,
      registers,
    }),
    keyBlocked: new Gauge({
      name: 'mcp_key_blocked',
      help: 'Whether the gateway has blocked the named key (1) or not (0).',
      labelNames: ['target', 'key'] as const,
      registers,
    }),
  };
}

/** Discovery: each discovered target's server list, read from its gateway (shard 0's replicas report it). */
function discoveryFamilies(registers: Registry[]) {
  const target = ['target'] as const;
  return {
    discoverySuccess: new Gauge({
      name: 'mcp_discovery_success',
      help: "Whether the last read of the target's server list succeeded (1) or not (0: the last list known is kept).",
      labelNames: target,
      registers,
    }),
    discoveryServers: new Gauge({
      name: 'mcp_discovery_servers',
      help: 'How many MCP servers the target lists (the list in use).',
      labelNames: target,
      registers,
    }),
    discoveryServerInfo: new Gauge({
      name: 'mcp_discovery_server_info',
      help: 'Always 1: one series per MCP server the target lists (the list in use).',
      labelNames: ['target', 'server'] as const,
      registers,
    }),
    discoveryChanges: new Counter({
      name: 'mcp_discovery_changes_total',
      help: "Servers that appeared in (added) or left (removed) the target's list, between two lists read.",
      labelNames: ['target', 'change'] as const,
      registers,
    }),
  };
}
