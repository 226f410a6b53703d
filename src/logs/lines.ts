import { StringDecoder } from 'node:string_decoder';
import type { StreamName } from './frames.js';

/** A log line as mcpwatch counts it: one line the container wrote, however Docker delivered it. */
export interface LogLine {
  stream: StreamName;
  /** Docker's timestamp (RFC 3339, nanoseconds), normalised by `normalizeTs`. */
  ts: string;
  /** The text without its timestamp, line ending and ANSI colour codes; at most `maxLineBytes`. */
  text: string;
  /** The line was longer than the cap: the rest was dropped (the line still counts once). */
  truncated: boolean;
}

/** Longest line kept for matching; longer lines are cut (a 1 MB line costs 64 KiB, counts once). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

// CSI sequences (colours, cursor moves) and OSC sequences (titles, links).
// eslint-disable-next-line no-control-regex -- these sequences are made of control characters (ESC, BEL)
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function stripAnsi(s: string): string {
  return s.includes('\x1b') ? s.replace(ANSI, '') : s;
}

/**
 * Docker's RFC3339Nano trims trailing zeros (`.8Z`); the cursor compares timestamps, so they are
 * brought to one form: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
 */
export function normalizeTs(ts: string): string {
  if (ts.length === 30 && ts.charCodeAt(19) === 46 /* . */) return ts; // already nanoseconds: the usual case
  const dot = ts.indexOf('.');
  if (dot < 0) return ts.endsWith('Z') ? `${ts.slice(0, -1)}.000000000Z` : ts;
  const frac = ts.slice(dot + 1, ts.length - 1);
  return frac.length === 9 ? ts : `${ts.slice(0, dot)}.${frac.padEnd(9, '0').slice(0, 9)}Z`;
}

/** `2026-11-24T10:11:22.800097038Z` → `1795774282.800097038`, Docker's `since` at full precision. */
export function tsToSince(ts: string): string {
  const n = normalizeTs(ts);
  const secs = Math.floor(Date.parse(`${n.slice(0, 19)}Z`) / 1000);
  return `${secs}.${n.slice(20, 29)}`;
}

/**
 * Epoch milliseconds of a Docker timestamp; one that cannot be read is taken as now (never NaN, which would throw where
 * it is formatted).
 */
export function tsToMs(ts: string): number {
  // Called per record: the seconds are parsed once per second of log, the milliseconds by hand.
  const secs = ts.slice(0, 19);
  if (secs !== lastSecs) {
    lastSecs = secs;
    lastSecsMs = Date.parse(`${secs}Z`);
  }
  const c = ts.charCodeAt(19) === 46 /* . */ ? ts : '';
  const ms = c ? (ts.charCodeAt(20) - 48) * 100 + (ts.charCodeAt(21) - 48) * 10 + (ts.charCodeAt(22) - 48) : 0;
  if (Number.isNaN(lastSecsMs)) return Date.now();
  return lastSecsMs + (Number.isFinite(ms) && ms >= 0 && ms < 1000 ? ms : 0);
}
let lastSecs = '';
let lastSecsMs = NaN;

const TS_END = 35; // a timestamp prefix is at most 30 characters and a space

function splitTimestamp(s: string): [string, string] {
  const sp = s.indexOf(' ');
  if (sp > 0 && sp <= TS_END && s.charCodeAt(4) === 45 /* - */ && s.charCodeAt(sp - 1) === 90 /* Z */)
    return [normalizeTs(s.slice(0, sp)), s.slice(sp + 1)];
  return ['', s];
}

interface PartialLine {
  ts: string;
  parts: string[];
  size: number;
  truncated: boolean;
}

/**
 * Turns log payloads into lines, per stream. Framed mode (non-TTY): each payload is one Docker
 * message, `TS text`, ending in `\n` unless Docker split a long line into 16 KiB parts, each with
 * the same timestamp prefix, which are joined here. Raw mode (TTY): one byte stream of
 * `TS text\r\n` lines, split anywhere.
 */
export class LineAssembler {
  private partial: PartialLine | undefined;
  private raw = '';
  private rawTruncated = false;
  /** A TTY stream is split anywhere, also inside a UTF-8 character. */
  private readonly rawDecoder = new StringDecoder('utf8');

  constructor(
    readonly stream: StreamName,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Framed mode, in place: the message is `buf[start, end)`. */
  pushPart(buf: Buffer, start: number, end: number, out: LogLine[]): void {
    const complete = end > start && buf[end - 1] === 10;
    // The common case, one message that is one line with Docker's 30-character timestamp: read
    // the timestamp and the text apart, without splitting a decoded string.
    if (
      complete &&
      !this.partial &&
      end - start > 31 &&
      buf[start + 30] === 32 &&
      buf[start + 29] === 90 /* Z */ &&
      buf[start + 4] === 45 /* - */
    ) {
      const text = buf.toString('utf8', start + 31, end - 1);
      if (text.length <= this.maxLineBytes) {
        out.push(this.finish(normalizeTs(buf.toString('latin1', start, start + 30)), text, false));
        return;
      }
    }
    const [ts, text] = splitTimestamp(buf.toString('utf8', start, complete ? end - 1 : end));
    if (complete && !this.partial && text.length <= this.maxLineBytes) {
      out.push(this.finish(ts, text, false)); // one message, one line
      return;
    }
    let p = this.partial;
    if (!p) p = this.partial = { ts, parts: [], size: 0, truncated: false };
    if (p.size < this.maxLineBytes) {
      const room = this.maxLineBytes - p.size;
      if (text.length > room) {
        p.parts.push(text.slice(0, room));
        p.size = this.maxLineBytes;
        p.truncated = true;
      } else {
        p.parts.push(text);
        p.size += text.length;
      }
    } else if (text.length > 0) p.truncated = true;
    if (complete) {
      this.partial = undefined;
      out.push(this.finish(p.ts, p.parts.length === 1 ? p.parts[0]! : p.parts.join(''), p.truncated));
    }
  }

  /** Raw mode (TTY): any chunk of the stream. */
  pushRaw(chunk: Buffer, out: LogLine[]): void {
    let s = this.rawDecoder.write(chunk);
    let nl = s.indexOf('\n');
    while (nl >= 0) {
      const piece = s.slice(0, nl);
      const line = this.raw.length ? this.raw + this.capRaw(piece, this.raw.length) : this.capRaw(piece, 0);
      const truncated = this.rawTruncated || piece.length + this.raw.length > this.maxLineBytes + TS_END;
      this.raw = '';
      this.rawTruncated = false;
      const [ts, text] = splitTimestamp(line);
      out.push(this.finish(ts, text.endsWith('\r') ? text.slice(0, -1) : text, truncated));
      s = s.slice(nl + 1);
      nl = s.indexOf('\n');
    }
    if (s.length) {
      const room = this.maxLineBytes + TS_END - this.raw.length;
      if (s.length > room) {
        this.raw += s.slice(0, Math.max(0, room));
        this.rawTruncated = true;
      } else this.raw += s;
    }
  }

  /** A line still waiting for its end (the stream stopped mid-line). */
  flush(out: LogLine[]): void {
    if (this.partial) {
      const p = this.partial;
      this.partial = undefined;
      out.push(this.finish(p.ts, p.parts.join(''), p.truncated));
    }
    this.raw += this.rawDecoder.end();
    if (this.raw.length) {
      const [ts, text] = splitTimestamp(this.raw);
      this.raw = '';
      out.push(this.finish(ts, text, this.rawTruncated));
      this.rawTruncated = false;
    }
  }

  private capRaw(piece: string, have: number): string {
    const room = this.maxLineBytes + TS_END - have;
    return piece.length > room ? piece.slice(0, Math.max(0, room)) : piece;
  }

  private finish(ts: string, text: string, truncated: boolean): LogLine {
    return { stream: this.stream, ts, text: stripAnsi(text), truncated };
  }
}
