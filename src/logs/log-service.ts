import type { ContainerConfig, RawConfig } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import type { Redactor } from '../util/redact.js';
import { CursorStore } from './cursor-store.js';
import { DockerSource } from './docker-source.js';
import { containerRules } from './litellm-rules.js';
import type { LogRecord } from './records.js';
import type { Match } from './rules.js';
import { ContainerTailer, type TailerEvents } from './tailer.js';

/**
 * What the log service tells the rest of mcpwatch; it writes no metrics itself. The runtime
 * attributes matches (their origin), records them and keeps the recent ones.
 */
export interface LogSink {
  /** A container is followed from now on (its counters can start at 0). */
  containerAdded(container: string): void;
  /** A container is no longer followed (a reload removed or changed it). */
  containerRemoved(container: string): void;
  /** Lines read, per stream, once per chunk. */
  lines(container: string, stream: 'stdout' | 'stderr', n: number): void;
  /**
   * A record matched a rule, as soon as the match is made. Auth matches wait for the requester
   * to be known, so `rec.requesterIp` is set whenever LiteLLM logged one (a plain record's
   * `Requester IP Address:` line, a JSON record's `requester_ip`, an access line's client).
   */
  match(container: string, match: Match, rec: LogRecord): void;
  /** A record that matched is complete (its continuation lines joined). */
  recordEnd(container: string, rec: LogRecord, matched: readonly Match[]): void;
  tailUp(container: string, up: boolean): void;
  dockerUp(up: boolean): void;
}

export interface LogHealth {
  status: 'ok' | 'degraded';
  message?: string;
  dockerUp: boolean;
  endpoint: string;
  containers: Record<string, string>;
}

const PING_MS = 5_000;
/** A daemon that takes longer than this to answer a ping counts as away. */
const PING_TIMEOUT_MS = 4_000;
const EVENTS_BACKOFF_MAX_MS = 15_000;

type LogsConfig = NonNullable<RawConfig['logs']>;

/**
 * Follows the configured containers' logs and tells the sink what they say (lines, matches,
 * whether each tail and Docker are up). One Docker events stream wakes the tailers when their
 * containers start, stop or are re-created; Docker being away is a state, retried with backoff.
 */
export class LogService {
  private readonly docker: DockerSource;
  private readonly cursors: CursorStore;
  private tailers = new Map<string, ContainerTailer>();
  private dockerIsUp: boolean | undefined;
  private dockerError: string | undefined;
  private stopped = false;
  private eventsStream: { destroy(): void } | undefined;
  private eventsLoop: Promise<void> | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private wakeEvents: (() => void) | undefined;
  private pinging = false;
  private traceLines = false;

  constructor(
    private config: LogsConfig,
    stateDir: string,
    private readonly sink: LogSink,
    private readonly logger: Logger,
    private readonly redactor: Redactor,
  ) {
    this.docker = new DockerSource(config.docker);
    this.cursors = new CursorStore(stateDir);
  }

  start(): void {
    this.traceLines = this.logger.isLevelEnabled('trace');
    this.sink.dockerUp(false);
    for (const c of this.config.containers) this.addTailer(c);
    this.eventsLoop = this.followEvents();
    this.pingTimer = setInterval(() => void this.ping(), PING_MS);
    this.pingTimer.unref();
    void this.ping();
  }

  /** Applies a new config: containers added, removed or changed. (The socket path needs a restart.) */
  async reload(config: LogsConfig): Promise<void> {
    if (config.docker.socketPath !== this.config.docker.socketPath || config.docker.url !== this.config.docker.url) {
      this.logger.warn(
        { socketPath: config.docker.socketPath, url: config.docker.url },
        'logs.docker changed: restart mcpwatch for it to apply',
      );
    }
    this.config = { ...config, docker: this.config.docker };
    const wanted = new Map(config.containers.map((c) => [c.name, c]));
    for (const [name, t] of this.tailers) {
      const w = wanted.get(name);
      if (!w || JSON.stringify(w) !== JSON.stringify(t.config)) {
        await t.stop();
        this.tailers.delete(name);
        this.sink.containerRemoved(name);
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
    for (const t of this.tailers.values())
      this.logger.info({ container: t.name, lines: t.lines }, 'log tail stopped, cursor saved');
  }

  health(): LogHealth {
    const tails = [...this.tailers.values()];
    const down = tails.filter((t) => t.state !== 'following');
    const detail = {
      dockerUp: this.dockerIsUp === true,
      endpoint: this.docker.endpoint,
      containers: Object.fromEntries(tails.map((t) => [t.name, t.state])),
    };
    if (!this.dockerIsUp)
      return {
        status: 'degraded',
        message: `Docker API unreachable at ${this.docker.endpoint}: ${this.dockerError ?? 'no answer'} (retrying)`,
        ...detail,
      };
    if (down.length)
      return {
        status: 'degraded',
        message: `not following: ${down.map((t) => `${t.name} (${describe(t)})`).join(', ')}`,
        ...detail,
      };
    return { status: 'ok', ...detail };
  }

  status() {
    return {
      docker: {
        up: this.dockerIsUp === true,
        endpoint: this.docker.endpoint,
        ...(this.dockerError && !this.dockerIsUp && { error: this.dockerError }),
      },
      containers: [...this.tailers.values()].map((t) => ({
        name: t.name,
        state: t.state,
        id: t.containerId?.slice(0, 12) ?? null,
        lines: t.lines,
        ...(t.lastError && { error: this.redactor.mask(t.lastError) }),
      })),
    };
  }

  private addTailer(c: ContainerConfig): void {
    const rules = containerRules(c);
    const tailer = new ContainerTailer(c, {
      docker: this.docker,
      cursors: this.cursors,
      rules,
      events: this.tailerEvents(),
      logger: this.logger,
    });
    this.tailers.set(c.name, tailer);
    this.sink.containerAdded(c.name);
    tailer.start();
  }

  private tailerEvents(): TailerEvents {
    const traceLines = (): boolean => this.traceLines;
    return {
      lines: (container, stream, n) => this.sink.lines(container, stream, n),
      // logLevel trace: every line counted, by its Docker timestamp (not its text), to audit a count
      line: (container, line) => this.logger.trace({ container, stream: line.stream, ts: line.ts }, 'log line counted'),
      get wantsEachLine() {
        return traceLines();
      },
      match: (container, m, rec) => this.sink.match(container, m, rec),
      recordEnd: (container, rec, matched) => this.sink.recordEnd(container, rec, matched),
      up: (container, up) => this.sink.tailUp(container, up),
      dockerError: (err) => this.setDocker(false, (err as Error).message),
      dockerOk: () => this.setDocker(true),
    };
  }

  private setDocker(up: boolean, error?: string): void {
    if (!up) this.dockerError = error;
    if (this.dockerIsUp === up) return;
    const was = this.dockerIsUp;
    this.dockerIsUp = up;
    this.sink.dockerUp(up);
    if (up) {
      if (was === false) this.logger.info({ endpoint: this.docker.endpoint }, 'Docker API reachable again');
      for (const t of this.tailers.values()) t.wake();
      this.wakeEvents?.();
    } else if (was !== undefined)
      this.logger.warn({ endpoint: this.docker.endpoint, error }, 'Docker API unreachable: retrying');
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
