import type { Readable } from 'node:stream';
import type { ContainerConfig } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { Cursor, nowTs } from './cursor.js';
import type { CursorStore } from './cursor-store.js';
import type { DockerSource } from './docker-source.js';
import type { LogLine } from './lines.js';
import { LogPipeline } from './pipeline.js';
import type { LogRecord } from './records.js';
import type { Match, RuleSet } from './rules.js';

export type TailState = 'starting' | 'waiting' | 'following' | 'stopped' | 'error';

export interface TailerEvents {
  /** Lines counted, per stream, once per chunk read (a counter update per line would cost more than the matching). */
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
  private readonly startedAt = Date.now();
  private wakeUp: (() => void) | undefined;
  /** A wake-up that came while not sleeping (during a Docker call): the next sleep is skipped. */
  private woken = false;
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
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
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
      this.woken = false;
      try {
        const c = await this.deps.docker.find(this.name);
        this.deps.events.dockerOk();
        backoff = BACKOFF_MIN_MS;
        if (!c) {
          this.setState('waiting');
          await this.sleep(RECHECK_MS);
          continue;
        }
        const cursor = await this.cursorFor(c.id, c.created);
        const since = cursor.since();
        const from = since ? { since } : { tail: 'all' as const };
        cursor.resume();
        this.containerId = c.id;
        // A container that is not running: what its log holds, then wait for it to start.
        const stream = await this.deps.docker.logs(c.id, from, c.running);
        this.deps.events.dockerOk();
        this.setState(c.running ? 'following' : 'stopped');
        if (c.running)
          this.deps.logger.info({ container: this.name, id: c.id.slice(0, 12), from }, 'following container log');
        await this.pump(stream, c.tty, cursor);
        if (this.stopped) break;
        // The log ended: the container stopped (or the daemon went away). Wait for it to come back.
        this.setState('stopped');
        const again = await this.deps.docker.find(this.name).catch(() => undefined);
        if (again?.running && again.id === c.id) continue;
        if (!again || again.id !== c.id || !again.running)
          await this.sleep(again && again.id !== c.id ? 0 : RECHECK_MS);
      } catch (err) {
        if (this.stopped) break;
        this.lastError = (err as Error).message;
        this.setState('error');
        // An answer with an error status (a container removed under us, a log driver that cannot
        // be read) is not Docker being away.
        if (isApiError(err)) this.deps.events.dockerOk();
        else this.deps.events.dockerError(err);
        this.deps.logger.debug({ err, container: this.name, retryInMs: backoff }, 'log tail failed');
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /**
   * The cursor for a container id: the stored one when it is this container's; the whole log
   * when the container is new to mcpwatch (re-created, or created while mcpwatch was watching
   * for it: all of its log is unseen); the end of the log on the very first start, for a
   * container that was already there (unless `from: beginning`).
   */
  private async cursorFor(id: string, created: number): Promise<Cursor> {
    if (this.cursor?.id === id) return this.cursor;
    const stored = await this.deps.cursors.load(this.name);
    let cursor: Cursor;
    if (stored && stored.id === id) cursor = new Cursor(stored);
    else if (stored || this.cursor || this.config.from === 'beginning' || created >= this.startedAt)
      cursor = new Cursor({ id });
    else cursor = new Cursor({ id, origin: nowTs() });
    this.cursor = cursor;
    this.deps.cursors.save(this.name, cursor.position);
    return cursor;
  }

  private pump(stream: Readable, tty: boolean, cursor: Cursor): Promise<void> {
    if (this.stopped) {
      // stop() came while the log was being opened
      stream.on('error', () => undefined);
      stream.destroy();
      return Promise.resolve();
    }
    this.stream = stream;
    const { events } = this.deps;
    const name = this.name;
    const counts = { stdout: 0, stderr: 0 };
    const flushCounts = (): void => {
      for (const s of ['stdout', 'stderr'] as const) {
        if (counts[s] === 0) continue;
        events.lines(name, s, counts[s]);
        counts[s] = 0;
      }
    };
    const pipeline = new LogPipeline(
      tty,
      this.deps.rules,
      cursor,
      {
        line: (line) => {
          this.lines++;
          counts[line.stream]++;
          if (events.wantsEachLine) events.line(name, line);
        },
        match: (m, rec) => events.match(name, m, rec),
        recordEnd: (rec, matched) => events.recordEnd(name, rec, matched),
      },
      undefined,
      RECORD_IDLE_MS,
    );
    // One timer for the records waiting for continuation lines, set for the earliest one due:
    // each stream is timed on its own, so a busy stdout does not hold a stderr record.
    let idle: NodeJS.Timeout | undefined;
    let idleAt: number | undefined;
    const schedule = (at: number | undefined): void => {
      if (at === idleAt) return;
      clearTimeout(idle);
      idleAt = at;
      if (at !== undefined) idle = setTimeout(onIdle, Math.max(0, at - Date.now()));
    };
    const onIdle = (): void => {
      idleAt = undefined;
      schedule(pipeline.flushIdle(Date.now()));
    };
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(idle);
        stream.removeAllListeners();
        stream.on('error', () => undefined); // a late socket error of a stream given up
        stream.destroy();
        this.stream = undefined;
        try {
          pipeline.end();
        } catch {
          // a corrupt tail end: what was counted stays counted
        }
        flushCounts();
        this.deps.cursors.save(name, cursor.position);
        if (err && !this.stopped) reject(err);
        else resolve();
      };
      // Docker delivers a busy log in many small chunks: the chunks that arrived in one turn of the
      // event loop are handled together, and the per-chunk work (counters, cursor, timer) done once.
      let pending: Buffer[] = [];
      let ended = false;
      const handle = (): void => {
        const chunks = pending;
        pending = [];
        if (ended) return;
        for (const chunk of chunks) {
          try {
            pipeline.push(chunk);
          } catch (err) {
            flushCounts();
            // A corrupt stream: drop this connection and resume from the cursor.
            this.deps.logger.warn({ err, container: name }, 'corrupt log stream: reconnecting');
            ended = true;
            done(err as Error);
            return;
          }
        }
        flushCounts();
        this.deps.cursors.save(name, cursor.position);
        schedule(pipeline.nextFlushAt());
      };
      stream.on('data', (chunk: Buffer) => {
        if (pending.push(chunk) === 1) setImmediate(handle);
      });
      // What arrived before the end is still counted, then the pipeline ends.
      const finish = (err?: Error): void => {
        handle();
        if (ended) return;
        ended = true;
        done(err);
      };
      stream.on('end', () => finish());
      stream.on('close', () => finish());
      stream.on('error', (err: Error) => finish(err));
    });
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

/** An error status from the Docker API (dockerode sets statusCode), as opposed to no answer at all. */
function isApiError(err: unknown): boolean {
  return typeof (err as { statusCode?: unknown } | null)?.statusCode === 'number';
}
