import { FrameDecoder, type StreamName } from './frames.js';
import { LineAssembler, tsToMs, type LogLine } from './lines.js';

/** Window in which repeated records of one MCP failure count once. */
export const MCP_DEDUPE_MS = 1_000;
import { RecordJoiner, type LogRecord } from './records.js';
import type { Match, RuleSet } from './rules.js';
import type { Cursor } from './cursor.js';

export interface PipelineSink {
  line(line: LogLine): void;
  match(match: Match, rec: LogRecord): void;
}

/**
 * Bytes of one container's log stream → lines → records → matches, synchronously. Lines already
 * counted (per the cursor) are dropped before anything else sees them. Pure: the caller does the
 * I/O and calls `flushIdle()` when the stream has been quiet for a moment, so that a record
 * waiting for continuation lines is not held forever.
 */
export class LogPipeline {
  private readonly frames = new FrameDecoder();
  private readonly assemblers: Record<StreamName, LineAssembler>;
  private readonly joiners: Record<StreamName, RecordJoiner>;
  private readonly startMatches = new WeakMap<LogRecord, Match[]>();
  /** Last time (log time, ms) each MCP failure was counted, by kind and server. */
  private readonly recentMcp = new Map<string, number>();
  private readonly lines: LogLine[] = [];

  constructor(
    private readonly tty: boolean,
    private readonly rules: RuleSet,
    private readonly cursor: Cursor,
    private readonly sink: PipelineSink,
    maxLineBytes?: number,
  ) {
    this.assemblers = { stdout: new LineAssembler('stdout', maxLineBytes), stderr: new LineAssembler('stderr', maxLineBytes) };
    const joiner = (): RecordJoiner =>
      new RecordJoiner({
        start: (rec) => {
          const ms = this.rules.atStart(rec);
          if (ms.length) this.startMatches.set(rec, ms);
          for (const m of ms) this.emit(m, rec);
        },
        end: (rec) => {
          for (const m of this.rules.atEnd(rec, this.startMatches.get(rec) ?? [])) this.emit(m, rec);
        },
      });
    this.joiners = { stdout: joiner(), stderr: joiner() };
  }

  /** Feeds a chunk of the Docker log stream. Throws FrameError on a corrupt stream. */
  push(chunk: Buffer): void {
    const out = this.lines;
    out.length = 0;
    if (this.tty) this.assemblers.stdout.pushRaw(chunk, out);
    else for (const f of this.frames.push(chunk)) this.assemblers[f.stream].pushMessage(f.payload, out);
    this.consume(out);
  }

  /** Ends records waiting for continuation lines. */
  flushIdle(): void {
    this.joiners.stdout.flush();
    this.joiners.stderr.flush();
  }

  /** The stream ended: lines without their end are complete now, records too. */
  end(): void {
    const out = this.lines;
    out.length = 0;
    this.assemblers.stdout.flush(out);
    this.assemblers.stderr.flush(out);
    this.consume(out);
    this.flushIdle();
  }

  get hasPendingRecord(): boolean {
    return this.joiners.stdout.pending || this.joiners.stderr.pending;
  }

  /**
   * One failing upstream call makes LiteLLM log several records (a warning, an error, the SDK's
   * own): the same MCP failure kind for the same server within a second counts once.
   */
  private emit(m: Match, rec: LogRecord): void {
    if (m.category === 'mcp') {
      const key = `${m.kind}/${m.server ?? ''}`;
      const at = rec.ts ? tsToMs(rec.ts) : Date.now();
      const last = this.recentMcp.get(key);
      if (last !== undefined && at - last < MCP_DEDUPE_MS && at >= last) return;
      this.recentMcp.set(key, at);
      if (this.recentMcp.size > 1000) this.recentMcp.clear();
    }
    this.sink.match(m, rec);
  }

  private consume(lines: LogLine[]): void {
    for (const line of lines) {
      if (!this.cursor.accept(line.ts)) continue;
      this.sink.line(line);
      this.joiners[line.stream].push(line);
    }
  }
}
