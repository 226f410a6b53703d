import type { Readable } from 'node:stream';
import { ChunkBatch } from './chunk-batch.js';
import type { Cursor } from './cursor.js';
import { DueTimer } from './due-timer.js';
import type { StreamName } from './frames.js';
import type { LogLine } from './lines.js';
import { LogPipeline } from './pipeline.js';
import type { LogRecord } from './records.js';
import type { Match, RuleSet } from './rules.js';

/** How long a record may wait for continuation lines once the stream is quiet. */
export const RECORD_IDLE_MS = 100;

const STREAMS = ['stdout', 'stderr'] as const;

/** What one read of a container's log tells its tail. */
export interface ReadSink {
  /** Each line counted (called per line: keep it cheap). */
  line(line: LogLine): void;
  /** Lines counted per stream, once per batch of chunks (a counter update per line costs more than the matching). */
  lines(stream: StreamName, n: number): void;
  match(match: Match, rec: LogRecord): void;
  recordEnd(rec: LogRecord, matched: readonly Match[]): void;
  /** After each batch of chunks and at the end: the cursor has moved (the tail saves it). */
  cursorMoved(): void;
  /** A corrupt chunk: the read ends with its error, and the tail reconnects from the cursor. */
  corrupt(err: unknown): void;
}

/**
 * One read of a container's log: the chunks of one connection through the pipeline, the records waiting for
 * continuation lines ended once their stream is quiet, and what was counted handed on per batch. `done` resolves when
 * the stream ends and rejects with the stream's error or a corrupt chunk's: either way, what was read stays counted.
 */
export class LogRead {
  readonly done: Promise<void>;
  /** The stream, while the read is on: the read is over once it no longer holds it. */
  private stream: Readable | undefined;
  private readonly pipeline: LogPipeline;
  private readonly batch = new ChunkBatch((chunks) => this.handle(chunks));
  /** One timer for the records waiting for continuation lines, set for the earliest one due. */
  private readonly idle: DueTimer;
  /** Lines counted since they were last handed on. */
  private readonly counts = { stdout: 0, stderr: 0 };
  private settle!: (err?: Error) => void;

  constructor(
    stream: Readable,
    tty: boolean,
    rules: RuleSet,
    cursor: Cursor,
    private readonly sink: ReadSink,
  ) {
    this.stream = stream;
    const sinkOfPipeline = {
      line: (line: LogLine): void => {
        this.counts[line.stream]++;
        sink.line(line);
      },
      match: (m: Match, rec: LogRecord): void => sink.match(m, rec),
      recordEnd: (rec: LogRecord, matched: readonly Match[]): void => sink.recordEnd(rec, matched),
    };
    this.pipeline = new LogPipeline(tty, rules, cursor, sinkOfPipeline, undefined, RECORD_IDLE_MS);
    // Each stream is timed on its own, so a busy stdout does not hold a stderr record.
    this.idle = new DueTimer(() => this.pipeline.flushIdle(Date.now()));
    this.done = new Promise<void>((resolve, reject) => (this.settle = (err) => (err ? reject(err) : resolve())));
    stream.on('data', (chunk: Buffer) => this.batch.add(chunk));
    stream.on('end', () => this.finish());
    stream.on('close', () => this.finish());
    stream.on('error', (err: Error) => this.finish(err));
  }

  /** Ends the read now (the tail stops): `done` settles once the stream has closed. */
  cancel(): void {
    this.stream?.destroy();
  }

  private handle(chunks: Buffer[]): void {
    if (!this.stream) return;
    for (const chunk of chunks) {
      try {
        this.pipeline.push(chunk);
      } catch (err) {
        this.flushCounts();
        this.sink.corrupt(err);
        this.end(err as Error);
        return;
      }
    }
    this.flushCounts();
    this.sink.cursorMoved();
    this.idle.set(this.pipeline.nextFlushAt());
  }

  /** The stream ended, closed or failed: what arrived before is still counted, then the pipeline ends. */
  private finish(err?: Error): void {
    this.batch.drain();
    this.end(err);
  }

  private end(err?: Error): void {
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    this.idle.clear();
    stream.removeAllListeners();
    discard(stream);
    try {
      this.pipeline.end();
    } catch {
      // a corrupt tail end: what was counted stays counted
    }
    this.flushCounts();
    this.sink.cursorMoved();
    this.settle(err);
  }

  private flushCounts(): void {
    for (const s of STREAMS) {
      if (this.counts[s] === 0) continue;
      this.sink.lines(s, this.counts[s]);
      this.counts[s] = 0;
    }
  }
}

/** Destroys a stream given up on; a late socket error of it is ignored. */
export function discard(stream: Readable): void {
  stream.on('error', () => undefined);
  stream.destroy();
}
