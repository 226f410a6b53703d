import type { StreamName } from './frames.js';
import { tsToMs, type LogLine } from './lines.js';

/**
 * Log records: a line that starts a record and the lines that belong to it (LiteLLM's
 * `Requester IP Address:` line, Python tracebacks), so that one failed request is one record,
 * however many lines it spans. Pure and incremental, one joiner per stream.
 */

export type RecordKind =
  /** `HH:MM:SS - LiteLLM Proxy:ERROR: file.py:79 - message` (ANSI already stripped) */
  | 'litellm'
  /** `ERROR:LiteLLM Proxy:message`: Python's root logger repeating a LiteLLM record */
  | 'echo'
  /** another Python logger: `WARNING:mcp.server.lowlevel.server:…`, uvicorn's `ERROR:    …` */
  | 'python'
  /** uvicorn access line: `INFO:     1.2.3.4:5 - "POST /mcp/ HTTP/1.1" 401 Unauthorized` */
  | 'access'
  /** one JSON object (LiteLLM's JSON_LOGS) */
  | 'json'
  /**
   * Python's `rich` console log, as FastMCP servers (postgres-mcp) write it to the stderr LiteLLM
   * passes through: `[12/02/26 03:21:56] WARNING  message…  file.py:691`, the time left blank when
   * it repeats, the message wrapped onto indented lines
   */
  | 'rich'
  /** anything else (an upstream server's own output, banners) */
  | 'other';

export interface LogRecord {
  stream: StreamName;
  kind: RecordKind;
  /** Timestamp of the first line. */
  ts: string;
  level?: string;
  logger?: string;
  /** The message: for LiteLLM records the text after `file.py:NN - `, for JSON the `message` field. */
  message: string;
  /** All of the record's text (first line, continuation lines, a JSON stack trace), capped. */
  text: string;
  /** Continuation lines joined so far. */
  lines: number;
  requesterIp?: string;
  /** For access lines. */
  http?: { method: string; path: string; status: number };
  /** A repeat of the previous LiteLLM record by Python's root logger: not counted again. */
  duplicate?: boolean;
}

const LEVEL = '(DEBUG|INFO|WARNING|ERROR|CRITICAL)';
// The logger is `LiteLLM`, `LiteLLM Proxy`, `LiteLLM Router`, and in 1.10x also `LiteLLM Proxy.stdout`.
const LITELLM_LINE = new RegExp(`^\\d\\d:\\d\\d:\\d\\d - (LiteLLM[\\w. ]*?):${LEVEL}: (\\S+) - ?(.*)$`);
const ECHO_LINE = new RegExp(`^${LEVEL}:(LiteLLM[\\w. ]*?):(.*)$`);
const PYTHON_LINE = new RegExp(`^${LEVEL}:(?:([\\w.]+):|\\s+)(.*)$`);
const ACCESS_JSON = /^(\S+) - "(\S+) (\S+) HTTP\/[\d.]+" (\d{3})/;
const REQUESTER = /Requester IP Address:\s*(\S+)/;
const RICH_LINE = new RegExp(`^\\[[\\d/:.,\\- ]{8,30}\\] ${LEVEL} +(.*)$`);
/** A rich record whose time repeats the previous one's: the time column is blank. */
const RICH_NEXT = new RegExp(`^ {8,32}${LEVEL} +(\\S.*)$`);
// Lines that continue the record before them: tracebacks and LiteLLM's requester line.
const CONTINUATION = new RegExp(
  `^(?:${[
    String.raw`\s`,
    String.raw`Traceback \(most recent call last\)`,
    'Requester IP Address:',
    'During handling of the above exception',
    'The above exception was the direct cause',
    String.raw`\^`,
    'future: <',
    // the last line of a traceback: `ValueError: …`, `asyncio.exceptions.CancelledError`
    String.raw`(?:[A-Za-z_][\w.]*)?(?:Error|Exception|Exit|Interrupt|Warning|Group)\b`,
    '$',
  ].join('|')})`,
);

/** Most text a record keeps (a long traceback is cut; the record still counts once). */
export const MAX_RECORD_TEXT = 16 * 1024;
/** How many unpaired LiteLLM records (and repeats) are kept at most to pair a root-logger repeat with. */
const ECHO_WINDOW = 64;
/** A repeat and its original are written by one logging call: their timestamps are this close. */
const ECHO_MAX_GAP_MS = 2_000;

export function parseRecordStart(line: LogLine): LogRecord {
  const { text, ts, stream } = line;
  const c = text.charCodeAt(0);
  if (c === 123 /* { */) {
    const rec = parseJson(line);
    if (rec) return rec;
  } else if (c >= 48 && c <= 57 /* 0-9 */) {
    const m = LITELLM_LINE.exec(text);
    if (m) return { stream, kind: 'litellm', ts, logger: m[1]!, level: m[2]!, message: m[4]!, text, lines: 1 };
  } else if (c === 73 /* I */ && text.startsWith('INFO:')) {
    const a = parseAccess(text);
    if (a)
      return {
        stream,
        kind: 'access',
        ts,
        level: 'INFO',
        message: text,
        text,
        lines: 1,
        http: { method: a.method, path: a.path, status: a.status },
        requesterIp: addressOf(a.client),
      };
  }
  if (c === 91 /* [ */ || c === 32) {
    const r = (c === 91 ? RICH_LINE : RICH_NEXT).exec(text);
    if (r) return { stream, kind: 'rich', ts, level: r[1]!, message: r[2]!, text, lines: 1 };
  }
  if (c >= 65 && c <= 90 /* A-Z */ && text.includes(':')) {
    const e = ECHO_LINE.exec(text);
    if (e) return { stream, kind: 'echo', ts, level: e[1]!, logger: e[2]!, message: e[3]!, text, lines: 1 };
    const p = PYTHON_LINE.exec(text);
    if (p)
      return {
        stream,
        kind: 'python',
        ts,
        level: p[1]!,
        ...(p[2] && { logger: p[2] }),
        message: p[3]!,
        text,
        lines: 1,
      };
  }
  return { stream, kind: 'other', ts, message: text, text, lines: 1 };
}

function parseJson(line: LogLine): LogRecord | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line.text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || typeof o.message !== 'string') return undefined;
  const message = o.message;
  const logger =
    typeof o.component === 'string'
      ? o.component
      : typeof o.name === 'string'
        ? o.name
        : typeof o.logger === 'string'
          ? o.logger
          : undefined;
  const stack = typeof o.stacktrace === 'string' ? o.stacktrace : typeof o.exc_info === 'string' ? o.exc_info : '';
  const rec: LogRecord = {
    stream: line.stream,
    kind: 'json',
    ts: line.ts,
    ...(typeof o.level === 'string' && { level: o.level.toUpperCase() }),
    ...(logger !== undefined && { logger }),
    message,
    text: stack ? `${message}\n${stack}`.slice(0, MAX_RECORD_TEXT) : message,
    lines: 1,
  };
  const ip = typeof o.requester_ip === 'string' ? o.requester_ip : REQUESTER.exec(message)?.[1];
  if (ip) rec.requesterIp = ip;
  const a = logger === 'uvicorn.access' || /^\S+ - "/.test(message) ? ACCESS_JSON.exec(message) : null;
  if (a) {
    rec.http = { method: a[2]!, path: a[3]!, status: Number(a[4]) };
    rec.requesterIp = addressOf(a[1]!);
  }
  return rec;
}

/**
 * uvicorn's access line, `INFO:     1.2.3.4:5 - "POST /mcp/ HTTP/1.1" 401 Unauthorized`, read by
 * hand (it is most of a gateway's log, so this is the hot path; same result as
 * `/^INFO:\s+(\S+) - "(\S+) (\S+) HTTP\/[\d.]+" (\d{3})/`).
 */
function parseAccess(text: string): { client: string; method: string; path: string; status: number } | undefined {
  let i = 5;
  while (text.charCodeAt(i) === 32) i++;
  if (i === 5) return undefined;
  const dash = text.indexOf(' - "', i);
  if (dash < 0) return undefined;
  const client = text.slice(i, dash);
  if (client.includes(' ')) return undefined;
  const mEnd = text.indexOf(' ', dash + 4);
  if (mEnd < 0) return undefined;
  const pEnd = text.indexOf(' HTTP/', mEnd + 1);
  if (pEnd < 0) return undefined;
  const q = text.indexOf('" ', pEnd);
  if (q < 0) return undefined;
  const s = q + 2;
  const d0 = text.charCodeAt(s) - 48;
  const d1 = text.charCodeAt(s + 1) - 48;
  const d2 = text.charCodeAt(s + 2) - 48;
  if (!(d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return undefined;
  const path = text.slice(mEnd + 1, pEnd);
  if (path.includes(' ')) return undefined;
  return { client, method: text.slice(dash + 4, mEnd), path, status: d0 * 100 + d1 * 10 + d2 };
}

/** `1.2.3.4:5678` → `1.2.3.4`: the address of a client, without its port (an IPv6 address without one stays whole). */
function addressOf(addr: string): string {
  const i = addr.lastIndexOf(':');
  if (i <= 0 || i === addr.length - 1) return addr;
  for (let j = i + 1; j < addr.length; j++) {
    const c = addr.charCodeAt(j);
    if (c < 48 || c > 57) return addr;
  }
  return addr.slice(0, i);
}

export interface RecordSink {
  /** A record has started: its first line is known (rules that need only it can match now). */
  start(rec: LogRecord): void;
  /** A continuation line told who sent the request (`rec.requesterIp` is set now). */
  requester?(rec: LogRecord): void;
  /** A record is complete: no more lines will join it. */
  end(rec: LogRecord): void;
}

/** Joins the lines of one stream into records. */
export class RecordJoiner {
  private open: LogRecord | undefined;
  constructor(
    private readonly sink: RecordSink,
    /** Shared by the joiners of both streams: a repeat may land on the other stream (1.10x). */
    private readonly echoes = new EchoPairs(),
  ) {}

  push(line: LogLine): void {
    const open = this.open;
    if (open && acceptsContinuation(open) && CONTINUATION.test(line.text) && !startsRecord(line.text)) {
      open.lines++;
      if (open.text.length < MAX_RECORD_TEXT) open.text = `${open.text}\n${line.text}`.slice(0, MAX_RECORD_TEXT);
      if (open.requesterIp === undefined && line.text.startsWith('Requester IP Address:')) {
        const ip = REQUESTER.exec(line.text)?.[1];
        if (ip) {
          open.requesterIp = ip;
          this.sink.requester?.(open);
        }
      }
      return;
    }
    if (open) this.close();
    const rec = parseRecordStart(line);
    this.echoes.check(rec);
    this.sink.start(rec);
    if (acceptsContinuation(rec)) this.open = rec;
    else this.sink.end(rec);
  }

  /** Ends the record waiting for continuation lines (the stream went quiet or ended). */
  flush(): void {
    if (this.open) this.close();
  }

  get pending(): boolean {
    return this.open !== undefined;
  }

  private close(): void {
    const rec = this.open!;
    this.open = undefined;
    this.sink.end(rec);
  }
}

/**
 * Pairs LiteLLM records with their root-logger repeats (`ERROR:LiteLLM Proxy:…`, written by the
 * same logging call once Python's root logger has a handler) so that the pair counts once. The
 * repeat usually follows its original on the same stream, but in 1.10x a `LiteLLM Proxy.stdout`
 * warning goes to stdout and its repeat to stderr, and then either may be read first: whichever
 * comes second is the duplicate. Each record pairs at most once, within ECHO_MAX_GAP_MS.
 */
export class EchoPairs {
  private readonly originals: Array<{ key: string; at: number }> = [];
  private readonly repeats: Array<{ key: string; at: number }> = [];

  /** Marks `rec.duplicate` when it is the second of a pair. */
  check(rec: LogRecord): void {
    const isOriginal = rec.kind === 'litellm' || rec.kind === 'json';
    if (!isOriginal && rec.kind !== 'echo') return;
    const key = echoKey(rec);
    const at = rec.ts ? tsToMs(rec.ts) : Date.now();
    const other = isOriginal ? this.repeats : this.originals;
    const mine = isOriginal ? this.originals : this.repeats;
    prune(other, at);
    prune(mine, at);
    // The newest: a repeat follows its own original, other records of the same text may lie between.
    const i = other.findLastIndex((o) => o.key === key && Math.abs(o.at - at) <= ECHO_MAX_GAP_MS);
    if (i >= 0) {
      other.splice(i, 1);
      rec.duplicate = true;
      return;
    }
    mine.push({ key, at });
    if (mine.length > ECHO_WINDOW) mine.shift();
  }
}

/** Drops entries too old to pair with a record logged at `at`. */
function prune(list: Array<{ at: number }>, at: number): void {
  let n = 0;
  while (n < list.length && at - list[n]!.at > ECHO_MAX_GAP_MS) n++;
  if (n) list.splice(0, n);
}

/** Level and first line of the message: what a root-logger repeat has in common with the original. */
function echoKey(rec: LogRecord): string {
  const nl = rec.message.indexOf('\n');
  return `${rec.level}:${nl < 0 ? rec.message : rec.message.slice(0, nl)}`;
}

export function acceptsContinuation(rec: LogRecord): boolean {
  return rec.kind === 'litellm' || rec.kind === 'echo' || rec.kind === 'python' || rec.kind === 'rich';
}

/** A line that starts a record even though it could read as a continuation (an `ERROR:` line). */
function startsRecord(text: string): boolean {
  const c = text.charCodeAt(0);
  return (
    (c === 123 && text.endsWith('}')) ||
    LITELLM_LINE.test(text) ||
    ECHO_LINE.test(text) ||
    (/^[A-Z]+:/.test(text) && PYTHON_LINE.test(text)) ||
    (c === 32 && RICH_NEXT.test(text))
  );
}
