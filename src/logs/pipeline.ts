import type { Cursor } from './cursor.js';
import { FrameDecoder, FrameError, type StreamName } from './frames.js';
import { LineAssembler, tsToMs, type LogLine } from './lines.js';
import { acceptsContinuation, EchoPairs, RecordJoiner, type LogRecord } from './records.js';
import type { Match, RuleSet } from './rules.js';

/** Window in which repeated records of one MCP failure count once. */
export const MCP_DEDUPE_MS = 1_000;

export interface PipelineSink {
  line(line: LogLine): void;
  match(match: Match, rec: LogRecord): void;
  /**
   * A record is complete (its continuation lines joined), with everything its rules matched: what was matched at its
   * start can be completed.
   */
  recordEnd?(rec: LogRecord, matched: readonly Match[]): void;
}

const STREAMS = ['stdout', 'stderr'] as const;

interface RecordState {
  matched: readonly Match[];
  requesterDone: boolean;
}

/**
 * Bytes of one container's log stream → lines → records → matches, synchronously. Lines already
 * counted (per the cursor) are dropped before anything else sees them. Pure: the caller does the
 * I/O and calls `flushIdle(now)` at `nextFlushAt()`, so that a record waiting for continuation
 * lines is ended once its stream has been quiet for `idleMs` (lines of the other stream do not
 * hold it: each stream is timed on its own).
 */
export class LogPipeline {
  private readonly frames = new FrameDecoder();
  private readonly assemblers: Record<StreamName, LineAssembler>;
  private readonly joiners: Record<StreamName, RecordJoiner>;
  /** What each open record has matched so far. */
  private readonly records = new WeakMap<LogRecord, RecordState>();
  /** The state of the one-line record being handled (started and ended in one go). */
  private standalone: RecordState | undefined;
  /** Last time (log time, ms) each MCP failure was counted, by kind and server. */
  private readonly recentMcp = new Map<string, number>();
  private readonly lines: LogLine[] = [];
  private readonly onFrame = (stream: StreamName, buf: Buffer, start: number, end: number): void =>
    this.assemblers[stream].pushPart(buf, start, end, this.lines);
  /** When each stream last gave a line (caller's clock). */
  private readonly lastLineAt: Record<StreamName, number> = { stdout: 0, stderr: 0 };

  constructor(
    private readonly tty: boolean,
    private readonly rules: RuleSet,
    private readonly cursor: Cursor,
    private readonly sink: PipelineSink,
    maxLineBytes?: number,
    readonly idleMs = 100,
  ) {
    this.assemblers = {
      stdout: new LineAssembler('stdout', maxLineBytes),
      stderr: new LineAssembler('stderr', maxLineBytes),
    };
    const echoes = new EchoPairs();
    const atRequester = (rec: LogRecord, st: RecordState): void => {
      if (st.requesterDone) return;
      st.requesterDone = true;
      const more = this.rules.atRequester(rec, st.matched);
      if (more.length === 0) return;
      st.matched = [...st.matched, ...more];
      for (const m of more) this.emit(m, rec);
    };
    const recordSink = {
      start: (rec: LogRecord): void => {
        const st: RecordState = { matched: this.rules.atStart(rec), requesterDone: false };
        const continues = acceptsContinuation(rec);
        // Most records are one line (access lines, JSON): they end right away, no map needed.
        if (continues) this.records.set(rec, st);
        else this.standalone = st;
        for (const m of st.matched) this.emit(m, rec);
        // The requester is known now, or no continuation line can tell it later.
        if (rec.requesterIp !== undefined || !continues) atRequester(rec, st);
      },
      requester: (rec: LogRecord): void => {
        const st = this.records.get(rec);
        if (st) atRequester(rec, st);
      },
      end: (rec: LogRecord): void => {
        let st: RecordState | undefined;
        if (this.standalone && !acceptsContinuation(rec)) st = this.standalone;
        else {
          st = this.records.get(rec);
          this.records.delete(rec);
        }
        this.standalone = undefined;
        st ??= { matched: [], requesterDone: false };
        atRequester(rec, st);
        const more = this.rules.atEnd(rec, st.matched);
        for (const m of more) this.emit(m, rec);
        this.sink.recordEnd?.(rec, more.length ? [...st.matched, ...more] : st.matched);
      },
    };
    const joiner = (): RecordJoiner => new RecordJoiner(recordSink, echoes);
    this.joiners = { stdout: joiner(), stderr: joiner() };
  }

  /** Feeds a chunk of the Docker log stream. Throws FrameError on a corrupt stream. */
  push(chunk: Buffer, now = Date.now()): void {
    const out = this.lines;
    out.length = 0;
    if (this.tty) this.assemblers.stdout.pushRaw(chunk, out);
    else {
      try {
        this.frames.decode(chunk, this.onFrame);
      } catch (err) {
        // The lines before the corruption are real: count them, then give up on this stream.
        if (err instanceof FrameError) this.consume(out, now);
        throw err;
      }
    }
    this.consume(out, now);
  }

  /**
   * Ends the records whose stream has been quiet for `idleMs` (all of them without `now`).
   * Returns when to call again (`nextFlushAt()`).
   */
  flushIdle(now?: number): number | undefined {
    for (const s of STREAMS)
      if (this.joiners[s].pending && (now === undefined || now - this.lastLineAt[s] >= this.idleMs))
        this.joiners[s].flush();
    return this.nextFlushAt();
  }

  /** When the earliest record waiting for continuation lines is due to end, if one is waiting. */
  nextFlushAt(): number | undefined {
    let at: number | undefined;
    for (const s of STREAMS) {
      if (!this.joiners[s].pending) continue;
      const due = this.lastLineAt[s] + this.idleMs;
      if (at === undefined || due < at) at = due;
    }
    return at;
  }

  /** The stream ended: lines without their end are complete now, records too. */
  end(now = Date.now()): void {
    const out = this.lines;
    out.length = 0;
    this.assemblers.stdout.flush(out);
    this.assemblers.stderr.flush(out);
    this.consume(out, now);
    this.flushIdle();
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

  private consume(lines: LogLine[], now: number): void {
    for (const line of lines) {
      if (!this.cursor.accept(line.stream, line.ts)) continue;
      this.lastLineAt[line.stream] = now;
      this.sink.line(line);
      this.joiners[line.stream].push(line);
    }
  }
}
