import type { Readable } from 'node:stream';
import type { ContainerConfig } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { Cursor } from './cursor.js';
import type { CursorStore } from './cursor-store.js';
import type { DockerSource } from './docker-source.js';
import { tsToSince, type LogLine } from './lines.js';
import { LogPipeline } from './pipeline.js';
import type { LogRecord } from './records.js';
import type { Match, RuleSet } from './rules.js';

export type TailState = 'starting' | 'waiting' | 'following' | 'stopped' | 'error';

export interface TailerEvents {
  line(container: string, line: LogLine): void;
  match(container: string, match: Match, rec: LogRecord): void;
  /** The tail is (1) or is not (0) following a running container. */
  up(container: string, up: boolean): void;
  /** A Docker API call failed (the service decides whether Docker is down). */
  dockerError(err: unknown): void;
  dockerOk(): void;
}

/** How long a record may wait for continuation lines once the stream is quiet. */
export const RECORD_IDLE_MS = 100;
/** Fallback re-check while waiting for a container, should an event be missed. */
const RECHECK_MS = 10_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;

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
  private stream: Readable | undefined;
  private cursor: Cursor | undefined;
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
  ) {}

  get name(): string {
    return this.config.name;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Something happened to a container of this name (an event), or Docker came back: look again now. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stream?.destroy();
    this.wake();
    await this.loop;
    if (this.cursor) this.deps.cursors.save(this.name, this.cursor.position);
    await this.deps.cursors.flush(this.name);
  }

  private async run(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!this.stopped) {
      try {
        const c = await this.deps.docker.find(this.name);
        this.deps.events.dockerOk();
        backoff = BACKOFF_MIN_MS;
        if (!c) {
          this.setState('waiting');
          await this.sleep(RECHECK_MS);
          continue;
        }
        const cursor = await this.cursorFor(c.id);
        const from = cursor.position.ts ? { since: tsToSince(cursor.position.ts) } : { tail: 'all' as const };
        cursor.resume();
        this.containerId = c.id;
        const stream = await this.deps.docker.logs(c.id, from);
        this.deps.events.dockerOk();
        this.setState(c.running ? 'following' : 'stopped');
        if (c.running) this.deps.logger.info({ container: this.name, id: c.id.slice(0, 12), from }, 'following container log');
        await this.pump(stream, c.tty, cursor);
        if (this.stopped) break;
        // The log ended: the container stopped (or the daemon went away). Wait for it to come back.
        this.setState('stopped');
        const again = await this.deps.docker.find(this.name).catch(() => undefined);
        if (again?.running && again.id === c.id) continue;
        if (!again || again.id !== c.id || !again.running) await this.sleep(again && again.id !== c.id ? 0 : RECHECK_MS);
      } catch (err) {
        if (this.stopped) break;
        this.lastError = (err as Error).message;
        this.setState('error');
        this.deps.events.dockerError(err);
        this.deps.logger.debug({ err, container: this.name, retryInMs: backoff }, 'log tail failed');
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /**
   * The cursor for a container id: the stored one when it is this container's; the whole log
   * when the container was re-created (a new log, all of it unseen); the end of the log on the
   * very first start (unless `from: beginning`).
   */
  private async cursorFor(id: string): Promise<Cursor> {
    if (this.cursor?.id === id) return this.cursor;
    const stored = await this.deps.cursors.load(this.name);
    let cursor: Cursor;
    if (stored && stored.id === id) cursor = new Cursor(id, stored);
    else if (stored || this.cursor || this.config.from === 'beginning') cursor = new Cursor(id);
    else cursor = new Cursor(id, { ts: nowTs(), count: 0 });
    this.cursor = cursor;
    this.deps.cursors.save(this.name, cursor.position);
    return cursor;
  }

  private pump(stream: Readable, tty: boolean, cursor: Cursor): Promise<void> {
    this.stream = stream;
    const { events } = this.deps;
    const name = this.name;
    const pipeline = new LogPipeline(tty, this.deps.rules, cursor, {
      line: (line) => {
        this.lines++;
        events.line(name, line);
      },
      match: (m, rec) => events.match(name, m, rec),
    });
    let idle: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(idle);
        stream.removeAllListeners();
        stream.destroy();
        this.stream = undefined;
        try {
          pipeline.end();
        } catch {
          // a corrupt tail end: what was counted stays counted
        }
        this.deps.cursors.save(name, cursor.position);
        if (err && !this.stopped) reject(err);
        else resolve();
      };
      stream.on('data', (chunk: Buffer) => {
        try {
          pipeline.push(chunk);
        } catch (err) {
          // A corrupt stream: drop this connection and resume from the cursor.
          this.deps.logger.warn({ err, container: name }, 'corrupt log stream: reconnecting');
          done(err as Error);
          return;
        }
        this.deps.cursors.save(name, cursor.position);
        clearTimeout(idle);
        if (pipeline.hasPendingRecord) idle = setTimeout(() => pipeline.flushIdle(), RECORD_IDLE_MS);
      });
      stream.on('end', () => done());
      stream.on('close', () => done());
      stream.on('error', (err: Error) => done(err));
    });
  }

  private setState(state: TailState): void {
    if (state !== 'error') this.lastError = undefined;
    if (state === this.state) return;
    this.state = state;
    this.deps.events.up(this.name, state === 'following');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        finish();
      };
    });
  }
}

/** Now, as a Docker timestamp (millisecond precision). */
function nowTs(): string {
  return `${new Date().toISOString().slice(0, 23)}000000Z`;
}
