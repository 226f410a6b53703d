import type { ContainerConfig } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import type { CursorStore } from './cursor-store.js';
import type { ContainerInfo, DockerSource } from './docker-source.js';
import type { LogLine } from './lines.js';
import { discard, LogRead, type ReadSink } from './log-read.js';
import { Backoff, isApiError, RECHECK_MS, waitAfterEnd } from './reconnect.js';
import type { LogRecord } from './records.js';
import type { Match, RuleSet } from './rules.js';
import { TailCursor } from './tail-cursor.js';

export type TailState = 'starting' | 'waiting' | 'following' | 'stopped' | 'error';

export interface TailerEvents {
  /** Lines counted, per stream, once per batch of chunks read (see LogRead). */
  lines(container: string, stream: 'stdout' | 'stderr', n: number): void;
  /** Each line, for trace logging; only called when `wantsEachLine`. */
  line(container: string, line: LogLine): void;
  readonly wantsEachLine?: boolean;
  match(container: string, match: Match, rec: LogRecord): void;
  /** A record that matched at its start is complete (its requester line joined). */
  recordEnd(container: string, rec: LogRecord, matched: readonly Match[]): void;
  /** The tail is (1) or is not (0) following a running container. */
  up(container: string, up: boolean): void;
  /** A Docker API call failed (the service decides whether Docker is down). */
  dockerError(err: unknown): void;
  /** Docker answered (possibly with an error status: it is up). */
  dockerOk(): void;
}

/**
 * Follows one container by name, across restarts, re-creation (new id) and Docker daemon
 * restarts, resuming from its cursor each time so no line is lost or counted twice.
 */
export class ContainerTailer {
  state: TailState = 'starting';
  containerId: string | undefined;
  lastError: string | undefined;
  lines = 0;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  /** A wake-up that came while not sleeping (during a Docker call): the next sleep is skipped. */
  private woken = false;
  private readonly cursor: TailCursor;
  /** The read of the log under way, if one is. */
  private read: LogRead | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    readonly config: ContainerConfig,
    private readonly deps: {
      docker: DockerSource;
      cursors: CursorStore;
      rules: RuleSet;
      events: TailerEvents;
      logger: Logger;
    },
  ) {
    this.cursor = new TailCursor(config, deps.cursors);
  }

  get name(): string {
    return this.config.name;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Something happened to a container of this name (an event), or Docker came back: look again now. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.read?.cancel();
    this.wake();
    await this.loop;
    await this.cursor.close();
  }

  private async run(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped) {
      this.woken = false;
      try {
        const c = await this.deps.docker.find(this.name);
        this.deps.events.dockerOk();
        backoff.reset();
        if (!c) {
          this.setState('waiting');
          await this.sleep(RECHECK_MS);
          continue;
        }
        await this.follow(c);
        if (this.stopped) break;
        // The log ended: the container stopped (or the daemon went away). Wait for it to come back.
        this.setState('stopped');
        const again = await this.deps.docker.find(this.name).catch(() => undefined);
        const wait = waitAfterEnd(c.id, again);
        if (wait !== undefined) await this.sleep(wait);
      } catch (err) {
        if (this.stopped) break;
        await this.failed(err, backoff.next());
      }
    }
  }

  /** Reads the container's log from the cursor until the log ends (a running container's: when it stops). */
  private async follow(c: ContainerInfo): Promise<void> {
    const { cursor, from } = await this.cursor.open(c.id, c.created);
    this.containerId = c.id;
    // A container that is not running: what its log holds, then wait for it to start.
    const stream = await this.deps.docker.logs(c.id, from, c.running);
    this.deps.events.dockerOk();
    this.setState(c.running ? 'following' : 'stopped');
    if (c.running)
      this.deps.logger.info({ container: this.name, id: c.id.slice(0, 12), from }, 'following container log');
    // stop() came while the log was being opened
    if (this.stopped) return discard(stream);
    this.read = new LogRead(stream, c.tty, this.deps.rules, cursor, this.readSink());
    try {
      await this.read.done;
    } finally {
      this.read = undefined;
    }
  }

  private readSink(): ReadSink {
    const { events, logger } = this.deps;
    const name = this.name;
    return {
      line: (line) => {
        this.lines++;
        if (events.wantsEachLine) events.line(name, line);
      },
      lines: (stream, n) => events.lines(name, stream, n),
      match: (m, rec) => events.match(name, m, rec),
      recordEnd: (rec, matched) => events.recordEnd(name, rec, matched),
      cursorMoved: () => this.cursor.save(),
      // A corrupt stream: this connection is dropped and the tail resumes from the cursor.
      corrupt: (err) => logger.warn({ err, container: name }, 'corrupt log stream: reconnecting'),
    };
  }

  private async failed(err: unknown, retryInMs: number): Promise<void> {
    this.lastError = (err as Error).message;
    this.setState('error');
    // An answer with an error status (a container removed under us, a log driver that cannot
    // be read) is not Docker being away.
    if (isApiError(err)) this.deps.events.dockerOk();
    else this.deps.events.dockerError(err);
    this.deps.logger.debug({ err, container: this.name, retryInMs }, 'log tail failed');
    await this.sleep(retryInMs);
  }

  private setState(state: TailState): void {
    if (state !== 'error') this.lastError = undefined;
    if (state === this.state) return;
    this.deps.logger.debug(
      { container: this.name, state, was: this.state, id: this.containerId?.slice(0, 12) },
      'log tail state',
    );
    this.state = state;
    this.deps.events.up(this.name, state === 'following');
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(t);
        // Also when the time is up: a wake-up that comes later must set `woken`, not call
        // this finished sleep's (it would be lost while a Docker call is under way).
        if (this.wakeUp === wakeUp) this.wakeUp = undefined;
        resolve();
      };
      const wakeUp = (): void => finish();
      const t = setTimeout(finish, ms);
      this.wakeUp = wakeUp;
    });
  }
}
