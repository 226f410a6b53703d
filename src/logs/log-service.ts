import type { Check } from '../health/health.js';
import type { Metrics } from '../metrics/registry.js';
import type { Logger } from '../util/logger.js';
import type { Redactor } from '../util/redact.js';
import type { ContainerConfig, RawConfig } from '../config/schema.js';
import { CursorStore } from './cursor-store.js';
import { DockerSource } from './docker-source.js';
import { tsToMs } from './lines.js';
import { AUTH_KINDS, litellmRules, MCP_KINDS } from './litellm-rules.js';
import type { LogRecord } from './records.js';
import { extraRule, RuleSet, type Match } from './rules.js';
import { ContainerTailer, type TailerEvents } from './tailer.js';

export type Origin = 'probe' | 'external';

/** Decides whether a matched record was provoked by mcpwatch itself (auth_guard) or not. */
export type OriginAttributor = (container: string, match: Match, rec: LogRecord) => Origin;

export interface RecentMatch {
  at: string;
  container: string;
  category: string;
  kind: string;
  origin: Origin;
  requesterIp?: string;
  server?: string;
  /** The record's first lines, keys masked. */
  line: string;
}

const RECENT_MAX = 200;
const PING_MS = 5_000;
const EVENTS_BACKOFF_MAX_MS = 15_000;

type LogsConfig = NonNullable<RawConfig['logs']>;

/**
 * Follows the configured containers' logs and turns what they say into metrics and recent
 * matches. One Docker events stream wakes the tailers when their containers start, stop or are
 * re-created; Docker being away is a state (mcpwatch_docker_up 0), retried with backoff.
 */
export class LogService {
  private readonly docker: DockerSource;
  private readonly cursors: CursorStore;
  private tailers = new Map<string, ContainerTailer>();
  private recent: RecentMatch[] = [];
  private dockerIsUp: boolean | undefined;
  private dockerError: string | undefined;
  private stopped = false;
  private eventsStream: { destroy(): void } | undefined;
  private eventsLoop: Promise<void> | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private wakeEvents: (() => void) | undefined;
  attribute: OriginAttributor = () => 'external';

  constructor(
    private config: LogsConfig,
    stateDir: string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly redactor: Redactor,
  ) {
    this.docker = new DockerSource(config.docker.socketPath);
    this.cursors = new CursorStore(stateDir);
  }

  start(): void {
    if (!this.metrics.registry.getSingleMetric('mcpwatch_docker_up')) this.metrics.registry.registerMetric(this.metrics.dockerUp);
    this.metrics.dockerUp.set(0);
    for (const c of this.config.containers) this.addTailer(c);
    this.eventsLoop = this.followEvents();
    this.pingTimer = setInterval(() => void this.ping(), PING_MS);
    this.pingTimer.unref();
    void this.ping();
  }

  /** Applies a new config: containers added, removed or changed. (The socket path needs a restart.) */
  async reload(config: LogsConfig): Promise<void> {
    if (config.docker.socketPath !== this.config.docker.socketPath) {
      this.logger.warn({ socketPath: config.docker.socketPath }, 'logs.docker.socketPath changed: restart mcpwatch for it to apply');
    }
    this.config = { ...config, docker: this.config.docker };
    const wanted = new Map(config.containers.map((c) => [c.name, c]));
    for (const [name, t] of this.tailers) {
      const w = wanted.get(name);
      if (!w || JSON.stringify(w) !== JSON.stringify(t.config)) {
        await t.stop();
        this.tailers.delete(name);
        this.metrics.logTailUp.remove({ container: name });
      }
    }
    for (const c of config.containers) if (!this.tailers.has(c.name)) this.addTailer(c);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pingTimer);
    this.eventsStream?.destroy();
    this.wakeEvents?.();
    await Promise.all([...this.tailers.values()].map((t) => t.stop()));
    await this.eventsLoop;
    await this.cursors.flush();
  }

  health(): Check {
    const tails = [...this.tailers.values()];
    const down = tails.filter((t) => t.state !== 'following');
    const detail = {
      dockerUp: this.dockerIsUp === true,
      socketPath: this.config.docker.socketPath,
      containers: Object.fromEntries(tails.map((t) => [t.name, t.state])),
    };
    if (!this.dockerIsUp) return { status: 'degraded', message: `Docker API unreachable at ${this.config.docker.socketPath}: ${this.dockerError ?? 'no answer'} (retrying)`, ...detail };
    if (down.length) return { status: 'degraded', message: `not following: ${down.map((t) => `${t.name} (${describe(t)})`).join(', ')}`, ...detail };
    return { status: 'ok', ...detail };
  }

  status() {
    return {
      docker: { up: this.dockerIsUp === true, socketPath: this.config.docker.socketPath, ...(this.dockerError && !this.dockerIsUp && { error: this.dockerError }) },
      containers: [...this.tailers.values()].map((t) => ({ name: t.name, state: t.state, id: t.containerId?.slice(0, 12) ?? null, lines: t.lines, ...(t.lastError && { error: this.redactor.mask(t.lastError) }) })),
      recentMatches: this.recentMatches().slice(0, 50),
    };
  }

  /** Newest first. */
  recentMatches(): RecentMatch[] {
    return [...this.recent].reverse();
  }

  private addTailer(c: ContainerConfig): void {
    const rules = new RuleSet([...c.extraRules.map(extraRule), ...(c.rules.includes('litellm') ? litellmRules() : [])]);
    const tailer = new ContainerTailer(c, { docker: this.docker, cursors: this.cursors, rules, events: this.tailerEvents(), logger: this.logger });
    this.tailers.set(c.name, tailer);
    this.metrics.logTailUp.set({ container: c.name }, 0);
    // Counters of the built-in kinds start at 0, so increase() and alerts work from the first error.
    for (const origin of ['external', 'probe'] as const) {
      for (const kind of AUTH_KINDS) this.metrics.logMatches.inc({ container: c.name, category: 'auth', kind, origin }, 0);
      for (const kind of MCP_KINDS) this.metrics.logMatches.inc({ container: c.name, category: 'mcp', kind, origin }, 0);
    }
    tailer.start();
  }

  private tailerEvents(): TailerEvents {
    return {
      line: (container, line) => this.metrics.logLines.inc({ container, stream: line.stream }),
      match: (container, m, rec) => this.onMatch(container, m, rec),
      up: (container, up) => this.metrics.logTailUp.set({ container }, up ? 1 : 0),
      dockerError: (err) => this.setDocker(false, (err as Error).message),
      dockerOk: () => this.setDocker(true),
    };
  }

  private onMatch(container: string, m: Match, rec: LogRecord): void {
    const origin = this.attribute(container, m, rec);
    this.metrics.logMatches.inc({ container, category: m.category, kind: m.kind, origin });
    const at = rec.ts ? tsToMs(rec.ts) : Date.now();
    this.metrics.logLastMatch.set({ container, category: m.category, kind: m.kind }, at / 1000);
    this.recent.push({
      at: new Date(at).toISOString(),
      container,
      category: m.category,
      kind: m.kind,
      origin,
      ...(rec.requesterIp && { requesterIp: rec.requesterIp }),
      ...(m.server && { server: m.server }),
      line: this.redactor.mask(firstLines(rec.text, 2, 500)),
    });
    if (this.recent.length > RECENT_MAX) this.recent.splice(0, this.recent.length - RECENT_MAX);
  }

  private setDocker(up: boolean, error?: string): void {
    if (!up) this.dockerError = error;
    if (this.dockerIsUp === up) return;
    const was = this.dockerIsUp;
    this.dockerIsUp = up;
    this.metrics.dockerUp.set(up ? 1 : 0);
    if (up) {
      if (was === false) this.logger.info({ socketPath: this.config.docker.socketPath }, 'Docker API reachable again');
      for (const t of this.tailers.values()) t.wake();
      this.wakeEvents?.();
    } else if (was !== undefined) this.logger.warn({ socketPath: this.config.docker.socketPath, error }, 'Docker API unreachable: retrying');
  }

  private async ping(): Promise<void> {
    try {
      await this.docker.ping();
      this.setDocker(true);
    } catch (err) {
      this.setDocker(false, (err as Error).message);
    }
  }

  /** One events stream for all tailers, reconnected with backoff. */
  private async followEvents(): Promise<void> {
    let backoff = 500;
    while (!this.stopped) {
      try {
        const names = (): Set<string> => new Set(this.tailers.keys());
        const stream = await this.docker.events((e) => {
          if (names().has(e.name)) this.tailers.get(e.name)?.wake();
        });
        this.eventsStream = stream;
        this.setDocker(true);
        backoff = 500;
        // Events may have been missed while the stream was down: every tailer looks again.
        for (const t of this.tailers.values()) t.wake();
        await new Promise<void>((resolve) => {
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', () => resolve());
        });
        this.eventsStream = undefined;
      } catch (err) {
        this.setDocker(false, (err as Error).message);
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff);
        this.wakeEvents = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeEvents = undefined;
      backoff = Math.min(backoff * 2, EVENTS_BACKOFF_MAX_MS);
    }
  }
}

function describe(t: ContainerTailer): string {
  if (t.state === 'waiting') return 'no container by that name yet';
  if (t.state === 'stopped') return 'container not running';
  if (t.state === 'error') return t.lastError ?? 'error';
  return t.state;
}

function firstLines(text: string, n: number, max: number): string {
  const out = text.split('\n', n).join('\n');
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
