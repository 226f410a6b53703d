import type { DestinationStream } from 'pino';
import { Registry } from 'prom-client';
import { redactedLogging } from './cli/prologue.js';
import { loadConfig, type LoadResult } from './config/load.js';
import { ConfigError, formatProblem } from './config/problems.js';
import { parseListen } from './config/fields.js';
import type { Shard } from './config/shard.js';
import type { WebSettings } from './config/web-config.js';
import { webSettingsOf } from './config/web-load.js';
import { createMetrics } from './metrics/registry.js';
import { preloadProbeRuns } from './probes/table.js';
import { Agent } from './runtime/agent.js';
import type { ReloadResult } from './runtime/reload-plan.js';
import { useCronLogger } from './scheduler/cron-logger.js';
import { buildApp } from './server/app.js';
import type { AgentPort } from './server/ports.js';
import { WebGate } from './server/web-gate.js';
import type { Logger } from './util/logger.js';
import { tuneHeapGrowth } from './util/heap.js';
import { VERSION } from './version.js';

/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 9_000;

export interface AgentOptions {
  configPath: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Where logs go (stdout by default); tests pass a stream. */
  logDestination?: DestinationStream;
  /** Overrides `listen` from the config (tests use port 0). */
  listen?: string;
  /** `--shard I/N`: overrides the config's `shard`, at start and on every reload. */
  shard?: Shard;
  /** `--web.enable-lifecycle`: serve `POST /-/reload` (else only the config's `web.enableLifecycle` does). */
  enableLifecycle?: boolean;
  /** `--web.config.file`: the web config (TLS, basic auth, headers), over MCPWATCH_WEB_CONFIG_FILE and the config's. */
  webConfigFile?: string;
  /** Event loop delay above which /health answers 503. */
  maxEventLoopDelayMs?: number;
  stallGraceMs?: number;
}

/** A started agent with its HTTP server. */
export interface RunningAgent {
  readonly agent: Agent;
  readonly logger: Logger;
  /** The address the HTTP server listens on. */
  address(): { host: string; port: number };
  reload(): Promise<ReloadResult>;
  /** Stops the agent and closes the server. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Wiring: config → redactor and logger → one metrics registry → the agent → the HTTP server.
 * Throws ConfigError on an invalid config.
 */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  // The web config is read with the config, and put in place when the agent swaps the config in (onReloaded).
  let web: WebGate | undefined;
  let nextWeb: WebSettings | null = null;
  const load = async (): Promise<LoadResult> => {
    const read = await loadConfig(opts.configPath, opts.env);
    if (!read.ok) return read;
    const w = await webSettingsOf(read.config, opts.webConfigFile, opts.env, web?.tls);
    if (!w.ok) return { ok: false, problems: w.problems, path: read.path };
    nextWeb = w.settings;
    const loaded = { ...read, warnings: [...read.warnings, ...w.warnings] };
    return opts.shard ? { ...loaded, config: { ...loaded.config, shard: { ...opts.shard } } } : loaded;
  };
  const loaded = await load();
  if (!loaded.ok) throw new ConfigError(loaded.problems, loaded.path);
  const { config } = loaded;
  const { redactor, logger } = redactedLogging(config, {
    level: config.logLevel,
    ...(opts.logDestination && { destination: opts.logDestination }),
  });
  useCronLogger(logger);
  const gate = (web = new WebGate(nextWeb, logger));
  logWebConfig(logger, nextWeb, 'web config loaded');
  for (const w of loaded.warnings) logger.warn({ path: w.path }, `config: ${formatProblem(w)}`);

  const metrics = createMetrics(new Registry());
  const agent = new Agent(config, {
    configPath: opts.configPath,
    load,
    logger,
    redactor,
    metrics,
    listenFixed: opts.listen !== undefined,
    enableLifecycle: opts.enableLifecycle === true,
    onReloaded: () => {
      gate.apply(nextWeb);
      logWebConfig(logger, nextWeb, 'web config applied');
    },
    ...(opts.maxEventLoopDelayMs !== undefined && { maxEventLoopDelayMs: opts.maxEventLoopDelayMs }),
    ...(opts.stallGraceMs !== undefined && { stallGraceMs: opts.stallGraceMs }),
  });
  const app = await buildApp({ agent: agent satisfies AgentPort, logger }, { web: gate });
  const listen = parseListen(opts.listen ?? config.listen)!;
  await app.listen({ host: listen.host, port: listen.port });
  // Every probe type's run loaded before the first runs (they start right away, and are timed).
  await preloadProbeRuns();
  agent.start();
  const shard = agent.shardStatus();
  logger.info(
    {
      version: VERSION,
      config: opts.configPath,
      probes: shard.probes,
      targets: Object.keys(config.targets).length,
      ...(shard.total > 1 && {
        shard: `${shard.index}/${shard.total}`,
        ofProbes: shard.ofProbes,
        tailsLogs: shard.tailsLogs,
      }),
    },
    'mcpwatch started',
  );

  let stopping: Promise<void> | undefined;
  return {
    agent,
    logger,
    address() {
      const addr = app.server.address();
      if (!addr || typeof addr === 'string') throw new Error('server not listening');
      return { host: addr.address, port: addr.port };
    },
    reload: () => agent.reload(),
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all([agent.stop(), app.close()]);
        logger.info('stopped');
      })()),
  };
}

/** What the web config turns on (never a hash or a key). */
function logWebConfig(logger: Logger, s: WebSettings | null, msg: string): void {
  if (!s) return;
  logger.info(
    {
      webConfig: s.file,
      tls: s.tls ? { clientAuth: s.tls.clientAuth, minVersion: s.tls.context.minVersion } : false,
      basicAuthUsers: Object.keys(s.users).length,
      headers: Object.keys(s.headers),
      ...(s.rateLimit && { rateLimit: s.rateLimit }),
    },
    msg,
  );
}

/**
 * Runs the agent as a process until SIGTERM/SIGINT; SIGHUP reloads the config.
 * Resolves with the exit code.
 */
export async function runAgentProcess(opts: AgentOptions): Promise<number> {
  const heapGrowingPercent = tuneHeapGrowth();
  let running: RunningAgent;
  try {
    running = await startAgent(opts);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mcpwatch: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`mcpwatch: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const { logger } = running;
  logger.debug({ heapGrowingPercent: heapGrowingPercent ?? 'given to node' }, 'V8 old-generation growth');

  return new Promise<number>((resolve) => {
    const onHup = (): void => {
      logger.info('SIGHUP: reloading the config');
      void running.reload();
    };
    const onStop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'stopping');
      process.off('SIGHUP', onHup);
      const deadline = setTimeout(() => {
        logger.error('shutdown took too long: exiting anyway');
        resolve(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      running.stop().then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', onStop);
    process.once('SIGINT', onStop);
  });
}
