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

/**
 * Decides whether a matched record was provoked by mcpwatch itself (auth_guard) or not. Called
 * once per match, as soon as the match is made. Auth matches wait for the requester to be known,
 * so `rec.requesterIp` is set whenever LiteLLM logged one (a plain record's `Requester IP
 * Address:` line, a JSON record's `requester_ip`, an access line's client).
 */
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
/** A daemon that takes longer than this to answer a ping counts as away. */
const PING_TIMEOUT_MS = 4_000;
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
  /** Recent matches of records still open: completed (requester IP, more text) when the record ends. */
  private openRecent = new WeakMap<LogRecord, RecentMatch[]>();
  private dockerIsUp: boolean | undefined;
  private dockerError: string | undefined;
  private stopped = false;
  private eventsStream: { destroy(): void } | undefined;
  private eventsLoop: Promise<void> | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private wakeEvents: (() => void) | undefined;
  private pinging = false;
  private traceLines = false;
  attribute: OriginAttributor = () => 'external';

  constructor(
    private config: LogsConfig,
    stateDir: string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly redactor: Redactor,
  ) {
    this.docker = new DockerSource(config.docker);
    this.cursors = new CursorStore(stateDir);
  }

  start(): void {
    this.traceLines = this.logger.isLevelEnabled('trace');
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
    if (config.docker.socketPath !== this.config.docker.socketPath || config.docker.url !== this.config.docker.url) {
      this.logger.warn({ socketPath: config.docker.socketPath, url: config.docker.url }, 'logs.docker changed: restart mcpwatch for it to apply');
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
    for (const t of this.tailers.values()) this.logger.info({ container: t.name, lines: t.lines }, 'log tail stopped, cursor saved');
  }

  health(): Check {
    const tails = [...this.tailers.values()];
    const down = tails.filter((t) => t.state !== 'following');
    const detail = {
      dockerUp: this.dockerIsUp === true,
      endpoint: this.docker.endpoint,
      containers: Object.fromEntries(tails.map((t) => [t.name, t.state])),
    };
    if (!this.dockerIsUp) return { status: 'degraded', message: `Docker API unreachable at ${this.docker.endpoint}: ${this.dockerError ?? 'no answer'} (retrying)`, ...detail };
    if (down.length) return { status: 'degraded', message: `not following: ${down.map((t) => `${t.name} (${describe(t)})`).join(', ')}`, ...detail };
    return { status: 'ok', ...detail };
  }

  status() {
    return {
      docker: { up: this.dockerIsUp === true, endpoint: this.docker.endpoint, ...(this.dockerError && !this.dockerIsUp && { error: this.dockerError }) },
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
    const self = this;
    return {
      lines: (container, stream, n) => this.metrics.logLines.inc({ container, stream }, n),
      // logLevel trace: every line counted, by its Docker timestamp (not its text), to audit a count
      line: (container, line) => this.logger.trace({ container, stream: line.stream, ts: line.ts }, 'log line counted'),
      get wantsEachLine() {
        return self.traceLines;
      },
      match: (container, m, rec) => this.onMatch(container, m, rec),
      recordEnd: (_container, rec) => this.onRecordEnd(rec),
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
    const entry: RecentMatch = {
      at: new Date(at).toISOString(),
      container,
      category: m.category,
      kind: m.kind,
      origin,
      ...(rec.requesterIp && { requesterIp: rec.requesterIp }),
      ...(m.server && { server: m.server }),
      line: this.redactor.mask(firstLines(rec.text, 2, 500)),
    };
    this.recent.push(entry);
    if (this.recent.length > RECENT_MAX) this.recent.splice(0, this.recent.length - RECENT_MAX);
    const open = this.openRecent.get(rec);
    if (open) open.push(entry);
    else this.openRecent.set(rec, [entry]);
  }

  private onRecordEnd(rec: LogRecord): void {
    const entries = this.openRecent.get(rec);
    if (!entries) return;
    this.openRecent.delete(rec);
    const line = this.redactor.mask(firstLines(rec.text, 2, 500));
    for (const e of entries) {
      e.line = line;
      if (rec.requesterIp && !e.requesterIp) e.requesterIp = rec.requesterIp;
    }
  }

  private setDocker(up: boolean, error?: string): void {
    if (!up) this.dockerError = error;
    if (this.dockerIsUp === up) return;
    const was = this.dockerIsUp;
    this.dockerIsUp = up;
    this.metrics.dockerUp.set(up ? 1 : 0);
    if (up) {
      if (was === false) this.logger.info({ endpoint: this.docker.endpoint }, 'Docker API reachable again');
      for (const t of this.tailers.values()) t.wake();
      this.wakeEvents?.();
    } else if (was !== undefined) this.logger.warn({ endpoint: this.docker.endpoint, error }, 'Docker API unreachable: retrying');
  }

  private async ping(): Promise<void> {
    if (this.pinging) return;
    this.pinging = true;
    try {
      await this.docker.ping(PING_TIMEOUT_MS);
      this.setDocker(true);
    } catch (err) {
      this.setDocker(false, (err as Error).message);
    } finally {
      this.pinging = false;
    }
  }

  /** One events stream for all tailers, reconnected with backoff. */
  private async followEvents(): Promise<void> {
    let backoff = 500;
    while (!this.stopped) {
      try {
        const names = (): Set<string> => new Set(this.tailers.keys());
        const stream = await this.docker.events((e) => {
          if (!names().has(e.name)) return;
          this.logger.debug({ container: e.name, action: e.action, id: e.id.slice(0, 12) }, 'container event');
          this.tailers.get(e.name)?.wake();
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
