import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cursor } from '../../src/logs/cursor.js';
import { FrameDecoder, FrameError } from '../../src/logs/frames.js';
import { LineAssembler, type LogLine, normalizeTs, stripAnsi, tsToSince } from '../../src/logs/lines.js';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { LogPipeline } from '../../src/logs/pipeline.js';
import { type LogRecord, parseRecordStart, RecordJoiner } from '../../src/logs/records.js';
import { extraRule, type Match, RuleSet } from '../../src/logs/rules.js';
import { Redactor } from '../../src/util/redact.js';
import { REPO } from '../support/agent-proc.js';
import { frame } from '../support/docker-frames.js';

/** One Docker message for a framed-mode assembler. */
const push = (a: LineAssembler, payload: Buffer, out: LogLine[]): void => a.pushPart(payload, 0, payload.length, out);

const FIXTURES = join(REPO, 'test/fixtures/litellm');

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

let clock = 0;
function ts(): string {
  clock++;
  return `2026-11-24T10:00:${String(Math.floor(clock / 1000) % 60).padStart(2, '0')}.${String(clock).padStart(9, '0')}Z`;
}

/** A text as Docker's framed stream with timestamps: one frame per line. */
function asFrames(text: string, stream: 1 | 2): Buffer {
  return Buffer.concat(
    text
      .split(/(?<=\n)/)
      .filter(Boolean)
      .map((l) => frame(stream, `${ts()} ${l}`)),
  );
}

interface Run {
  lines: LogLine[];
  matches: Array<Match & { stream: string; ip?: string }>;
}

function runPipeline(chunks: Buffer[], opts: { tty?: boolean; rules?: RuleSet; cursor?: Cursor } = {}): Run {
  const out: Run = { lines: [], matches: [] };
  const p = new LogPipeline(
    opts.tty ?? false,
    opts.rules ?? new RuleSet(litellmRules()),
    opts.cursor ?? new Cursor({ id: 'c' }),
    {
      line: (l) => out.lines.push(l),
      match: (m, r) => out.matches.push({ ...m, stream: r.stream, ...(r.requesterIp && { ip: r.requesterIp }) }),
    },
  );
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

describe('frames', () => {
  const stream = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, '')]);

  it('decodes frames split at every possible point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(
        got.map((f) => [f.stream, f.payload.toString()]),
        `cut at ${cut}`,
      ).toEqual([
        ['stdout', 'hello\n'],
        ['stderr', 'oops\n'],
        ['stdout', ''],
      ]);
      expect(d.pending).toBe(0);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const d = new FrameDecoder();
    const got = [];
    for (const b of stream) got.push(...d.push(Buffer.from([b])));
    expect(got).toHaveLength(3);
  });

  it.each([
    ['a bad stream byte', Buffer.from([7, 0, 0, 0, 0, 0, 0, 1, 65])],
    ['non-zero padding', Buffer.from([1, 9, 0, 0, 0, 0, 0, 1, 65])],
    ['a frame larger than Docker sends', Buffer.from([1, 0, 0, 0, 0x7f, 0, 0, 0])],
  ])('rejects %s', (_n, bad) => {
    expect(() => new FrameDecoder().push(bad)).toThrow(FrameError);
  });
});

describe('lines', () => {
  it('normalises Docker timestamps and turns them into `since`', () => {
    expect(normalizeTs('2026-11-24T10:11:22.8Z')).toBe('2026-11-24T10:11:22.800000000Z');
    expect(normalizeTs('2026-11-24T10:11:22Z')).toBe('2026-11-24T10:11:22.000000000Z');
    expect(normalizeTs('2026-11-24T10:11:22.800097038Z')).toBe('2026-11-24T10:11:22.800097038Z');
    expect(tsToSince('2026-11-24T10:11:22.800097038Z')).toBe(`${Date.parse('2026-11-24T10:11:22Z') / 1000}.800097038`);
  });

  it.each([
    ['\x1b[92m10:11:51 - LiteLLM Proxy:ERROR\x1b[0m: x', '10:11:51 - LiteLLM Proxy:ERROR: x'],
    ['\x1b[1;31mGive Feedback\x1b[0m', 'Give Feedback'],
    ['\x1b]0;title\x07text', 'text'],
    ['plain', 'plain'],
  ])('strips ANSI from %j', (raw, clean) => expect(stripAnsi(raw)).toBe(clean));

  it("joins a long line Docker split into 16 KiB messages, each with the line's timestamp", () => {
    const a = new LineAssembler('stdout', 100_000);
    const out: LogLine[] = [];
    const t = '2026-11-24T10:11:22.802638316Z';
    push(a, Buffer.from(`${t} ${'x'.repeat(16384)}`), out);
    push(a, Buffer.from(`${t} ${'y'.repeat(16384)}`), out);
    expect(out).toHaveLength(0);
    push(a, Buffer.from(`${t} zz\n`), out);
    expect(out).toHaveLength(1);
    expect(out[0]!.text).toBe(`${'x'.repeat(16384)}${'y'.repeat(16384)}zz`);
    expect(out[0]!.ts).toBe(t);
  });

  it('caps a 1 MB line: kept up to the cap, counted once', () => {
    const a = new LineAssembler('stdout', 64 * 1024);
    const out: LogLine[] = [];
    const t = '2026-11-24T10:11:22.802638316Z';
    for (let i = 0; i < 64; i++) push(a, Buffer.from(`${t} ${'x'.repeat(16384)}`), out);
    push(a, Buffer.from(`${t} end\n`), out);
    push(a, Buffer.from(`${t.replace('316Z', '317Z')} next\n`), out);
    expect(out.map((l) => [l.text.length, l.truncated])).toEqual([
      [64 * 1024, true],
      [4, false],
    ]);
  });

  it('reads TTY streams (raw, \\r\\n) split anywhere', () => {
    const raw = Buffer.from(
      '2026-11-24T10:11:43.365056398Z a\r\n2026-11-24T10:11:43.365086562Z \x1b[31mred\x1b[0m\r\n2026-11-24T10:11:43.368849981Z c\r\n',
    );
    for (let cut = 0; cut <= raw.length; cut++) {
      const a = new LineAssembler('stdout');
      const out: LogLine[] = [];
      a.pushRaw(raw.subarray(0, cut), out);
      a.pushRaw(raw.subarray(cut), out);
      a.flush(out);
      expect(
        out.map((l) => l.text),
        `cut at ${cut}`,
      ).toEqual(['a', 'red', 'c']);
    }
  });
});

describe('records', () => {
  const line = (text: string): LogLine => ({
    stream: 'stderr',
    ts: '2026-11-24T10:00:00.000000001Z',
    text,
    truncated: false,
  });

  it.each([
    [
      '10:11:51 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - msg here',
      { kind: 'litellm', logger: 'LiteLLM Proxy', level: 'ERROR', message: 'msg here' },
    ],
    [
      '10:04:40 - LiteLLM Proxy.stdout:WARNING: auth_exception_handler.py:211 - m',
      { kind: 'litellm', logger: 'LiteLLM Proxy.stdout', level: 'WARNING', message: 'm' },
    ],
    ['ERROR:LiteLLM Proxy:msg here', { kind: 'echo', level: 'ERROR', logger: 'LiteLLM Proxy', message: 'msg here' }],
    [
      'INFO:     192.168.32.1:40644 - "POST /mcp/ HTTP/1.1" 401 Unauthorized',
      { kind: 'access', http: { method: 'POST', path: '/mcp/', status: 401 }, requesterIp: '192.168.32.1' },
    ],
    [
      'WARNING:mcp.server.lowlevel.server:Tool x not listed',
      { kind: 'python', logger: 'mcp.server.lowlevel.server', level: 'WARNING' },
    ],
    [
      'ERROR:    Exception in ASGI application',
      { kind: 'python', level: 'ERROR', message: 'Exception in ASGI application' },
    ],
    [
      '{"message": "127.0.0.1:54520 - \\"POST /mcp/ HTTP/1.1\\" 401", "level": "INFO", "component": "uvicorn.access"}',
      { kind: 'json', http: { method: 'POST', path: '/mcp/', status: 401 }, requesterIp: '127.0.0.1' },
    ],
    ['Secure MCP Filesystem Server running on stdio', { kind: 'other' }],
  ])('%s', (text, want) => expect(parseRecordStart(line(text))).toMatchObject(want));

  it('joins the requester line and a traceback to their record, and drops the root logger repeat', () => {
    const recs: Array<[string, LogRecord]> = [];
    const j = new RecordJoiner({ start: (r) => recs.push(['start', r]), end: (r) => recs.push(['end', { ...r }]) });
    for (const t of [
      '10:11:51 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.',
      'Requester IP Address:10.0.0.7',
      'Traceback (most recent call last):',
      '  File "x.py", line 1, in f',
      '    raise Exception(',
      'Exception: No api key passed in.',
      'ERROR:LiteLLM Proxy:litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.',
      'Requester IP Address:10.0.0.7',
      'INFO:     10.0.0.7:1 - "GET /v1/models HTTP/1.1" 401 Unauthorized',
    ])
      j.push(line(t));
    j.flush();
    const ends = recs
      .filter(([e]) => e === 'end')
      .map(([, r]) => [r.kind, r.lines, r.requesterIp, r.duplicate ?? false]);
    expect(ends).toEqual([
      ['litellm', 6, '10.0.0.7', false],
      ['echo', 2, '10.0.0.7', true],
      ['access', 1, '10.0.0.7', false],
    ]);
  });
});

describe('the litellm rule set on real LiteLLM output', () => {
  // Each fixture is what a real LiteLLM wrote for one request (test/fixtures/litellm, captured by
  // capture.ts); fed as Docker would deliver it: stdout and stderr frames with timestamps.
  function matchesOf(dir: string, name: string): string[] {
    const chunks: Buffer[] = [];
    for (const [file, s] of [
      [`${name}.stdout.txt`, 1],
      [`${name}.stderr.txt`, 2],
    ] as const) {
      try {
        chunks.push(asFrames(readFileSync(join(FIXTURES, dir, file), 'utf8'), s));
      } catch {
        // a fixture may have one stream only
      }
    }
    return runPipeline(chunks)
      .matches.map((m) => `${m.category}/${m.kind}`)
      .sort();
  }

  const versions = readdirSync(FIXTURES).filter((d) => /^\d/.test(d));
  it('has fixtures of two versions, plain and JSON', () => {
    expect(versions.length).toBeGreaterThanOrEqual(4);
  });

  // Auth and MCP kinds per request; HTTP counts are checked against the fixture's own access lines.
  const expected: Record<string, string[]> = {
    // One failed request counts once per category, however many lines (and repeats) it spans.
    mcp_no_bearer: ['auth/malformed_key'],
    v1_no_key: ['auth/missing_key'],
    v1_no_bearer: ['auth/malformed_key'],
    mcp_ok_fs: [],
    mcp_ok_both: [],
  };
  for (const dir of versions) {
    describe(dir, () => {
      for (const [name, want] of Object.entries(expected)) {
        it(name, () => {
          expect(matchesOf(dir, name).filter((m) => !m.startsWith('http/'))).toEqual(want);
        });
      }
      it('mcp_wrong_key: one auth match (no_db, or auth_other where LiteLLM logs an empty message)', () => {
        const auth = matchesOf(dir, 'mcp_wrong_key').filter((m) => m.startsWith('auth/'));
        expect(auth).toHaveLength(1);
        expect(['auth/no_db', 'auth/auth_other']).toContain(auth[0]);
      });
      it('an auth failure on /mcp is not also an MCP error', () => {
        for (const name of ['mcp_no_key', 'mcp_no_bearer', 'mcp_wrong_key'])
          expect(matchesOf(dir, name).filter((m) => m.startsWith('mcp/'))).toEqual([]);
      });
      it('a dead upstream server is an MCP error', () => {
        const got = matchesOf(dir, 'mcp_dead_upstream').filter((m) => m.startsWith('mcp/'));
        expect(got.length).toBeGreaterThanOrEqual(1);
        expect(got.every((m) => /^mcp\/(upstream_list_failed|upstream_call_failed|request_failed)$/.test(m))).toBe(
          true,
        );
      });
      it('every 401, 403, 429 and 5xx access line counts once in http', () => {
        for (const name of ['mcp_no_key', 'mcp_wrong_key', 'v1_no_key', 'v1_no_bearer', 'mcp_ok_fs']) {
          const text = ['stdout', 'stderr'].map((s) => readOrEmpty(join(FIXTURES, dir, `${name}.${s}.txt`))).join('\n');
          const statuses = [...text.matchAll(/HTTP\/1\.1\\?" (\d{3})/g)]
            .map((m) => Number(m[1]))
            .filter((n) => n === 401 || n === 403 || n === 429 || n >= 500);
          expect(
            matchesOf(dir, name).filter((m) => m.startsWith('http/')),
            name,
          ).toEqual(statuses.map((n) => `http/${n}`).sort());
        }
      });
    });
  }

  it('names the deprecated auth header', () => {
    expect(matchesOf('1.77.1', 'mcp_deprecated_header').filter((m) => m.startsWith('mcp/'))).toContain(
      'mcp/deprecated_auth_header',
    );
  });
});

describe('rules', () => {
  const rec = (over: Partial<LogRecord>): LogRecord => ({
    stream: 'stderr',
    kind: 'litellm',
    ts: '',
    message: '',
    text: '',
    lines: 1,
    logger: 'LiteLLM Proxy',
    level: 'ERROR',
    ...over,
  });
  const auth = (msg: string): string | undefined => {
    const r = rec({ message: `litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - ${msg}` });
    return new RuleSet(litellmRules()).atRequester(r, [])[0]?.kind;
  };
  it.each([
    ['No api key passed in.', 'missing_key'],
    ['Malformed API Key passed in. Ensure Key has `Bearer ` prefix. Passed in: sk-1234', 'malformed_key'],
    ["LiteLLM Virtual Key expected. Received=abc, expected to start with 'sk-'.", 'malformed_key'],
    [
      'Authentication Error, Invalid proxy server token passed. Received API Key = sk-…, Key Hash (Token) =x. Unable to find token in cache or `LiteLLM_VerificationTokenTable`',
      'invalid_key',
    ],
    ['Authentication Error - Expired Key. Key Expiry time 2025 and current time 2026', 'expired_key'],
    ["Key is blocked. Update via `/key/unblock` if you're an admin.", 'blocked_key'],
    ['No connected db.', 'no_db'],
    ['Tried to access route=/key/generate, which is only for MASTER KEY', 'admin_only_route'],
    ['Something else entirely', 'auth_other'],
    ['', 'auth_other'],
  ])('auth: %s → %s', (msg, kind) => expect(auth(msg)).toBe(kind));

  it.each([
    ['Error listing tools from mcp_pg: boom', 'upstream_list_failed', 'mcp_pg'],
    ['Timeout while listing tools from mcp_pg', 'upstream_list_failed', 'mcp_pg'],
    ['Connection error while listing tools from mcp_pg: refused', 'upstream_list_failed', 'mcp_pg'],
    [
      "Error getting tools from server mcp_dead: Listing tools from MCP server 'mcp_dead' failed",
      'upstream_list_failed',
      'mcp_dead',
    ],
    ['MCP client list_tools failed: x', 'upstream_list_failed', undefined],
    ['Error in list_tools endpoint: x', 'upstream_list_failed', undefined],
    ['MCP mcp_server_tool_call - error: x', 'upstream_call_failed', undefined],
    ['Client operation failed for mcp_pg: x', 'upstream_call_failed', 'mcp_pg'],
    [
      "The 'x-mcp-auth' header is deprecated. Please use server-specific auth headers in the format 'x-mcp-{server_alias}-{header_name}' instead.",
      'deprecated_auth_header',
      undefined,
    ],
  ])('mcp: %s', (message, kind, server) => {
    const m = new RuleSet(litellmRules()).atStart(rec({ message, level: 'WARNING', logger: 'LiteLLM' }));
    expect(m).toEqual([{ category: 'mcp', kind, rule: expect.any(String), ...(server && { server }) }]);
  });

  it('Error handling MCP request: an MCP error unless an auth failure caused it', () => {
    const rs = new RuleSet(litellmRules());
    expect(
      rs.atEnd(
        rec({ message: 'Error handling MCP request: boom', text: 'Error handling MCP request: boom\nRuntimeError: x' }),
        [],
      )[0]?.kind,
    ).toBe('request_failed');
    expect(
      rs.atEnd(
        rec({
          message: 'Error handling MCP request: ',
          text: 'Error handling MCP request: \nlitellm.proxy._types.ProxyException',
        }),
        [],
      ),
    ).toEqual([]);
  });

  it('http: 401, 403, 429 and 5xx access lines, nothing else', () => {
    const rs = new RuleSet(litellmRules());
    const kinds = [200, 202, 307, 400, 401, 403, 404, 429, 500, 503].map(
      (status) => rs.atStart(rec({ kind: 'access', http: { method: 'POST', path: '/mcp/', status } }))[0]?.kind,
    );
    expect(kinds).toEqual([undefined, undefined, undefined, undefined, '401', '403', undefined, '429', '500', '503']);
  });

  it('extra rules from the config match first lines, before the built-in ones', () => {
    const rs = new RuleSet([
      extraRule({ name: 'teapot', category: 'http', kind: 'teapot', regex: '" 4\\d\\d ' }),
      ...litellmRules(),
    ]);
    expect(
      rs.atStart(
        rec({
          kind: 'access',
          text: 'INFO:     1.2.3.4:5 - "GET / HTTP/1.1" 401 x',
          http: { method: 'GET', path: '/', status: 401 },
        }),
      ),
    ).toEqual([{ category: 'http', kind: 'teapot', rule: 'teapot' }]);
  });
});

describe('pipeline', () => {
  it('counts each line once, and matches once per category, whatever the chunking', () => {
    const text = readFileSync(join(FIXTURES, '1.77.1/mcp_no_bearer.stderr.txt'), 'utf8');
    const stream = asFrames(text, 2);
    const whole = runPipeline([stream]);
    for (const size of [1, 7, 100, 4096]) {
      const chunks = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const r = runPipeline(chunks);
      expect(r.lines.length, `chunks of ${size}`).toBe(whole.lines.length);
      expect(r.matches).toEqual(whole.matches);
    }
    expect(whole.lines.length).toBe(text.split('\n').length - 1);
    expect(whole.matches.map((m) => `${m.category}/${m.kind}`)).toEqual(['auth/malformed_key']);
  });

  it('counts repeated MCP failure records of one upstream once a second', () => {
    const lines = [
      '10:00:00 - LiteLLM:WARNING: m.py:1 - Failed to get tools from server mcp_dead: ConnectError',
      '10:00:00 - LiteLLM:ERROR: c.py:2 - Error getting tools from server mcp_dead: Listing tools failed',
      '10:00:00 - LiteLLM:WARNING: m.py:3 - Error listing tools from mcp_other: ConnectError',
    ];
    const frames = lines.map((l, i) => frame(2, `2026-11-24T10:00:00.00000000${i}Z ${l}\n`));
    frames.push(
      frame(
        2,
        `2026-11-24T10:00:05.000000000Z 10:00:05 - LiteLLM:WARNING: m.py:1 - Failed to get tools from server mcp_dead: ConnectError\n`,
      ),
    );
    expect(runPipeline(frames).matches.map((m) => `${m.kind}@${m.server}`)).toEqual([
      'upstream_list_failed@mcp_dead',
      'upstream_list_failed@mcp_other',
      'upstream_list_failed@mcp_dead',
    ]);
  });
});

describe('masking what the log shows', () => {
  it('masks keys LiteLLM quotes, keeps its "Bearer " hint readable', () => {
    const r = new Redactor();
    expect(
      r.mask('Malformed API Key passed in. Ensure Key has `Bearer ` prefix. Passed in: sk-1234567890abcdefghijwxyz'),
    ).toBe('Malformed API Key passed in. Ensure Key has `Bearer ` prefix. Passed in: sk-…wxyz');
    expect(r.mask('Received API Key = sk-abc12345, Key Hash (Token) =88f3')).toBe(
      'Received API Key = sk-***, Key Hash (Token) =88f3',
    );
    expect(r.mask('x-mcp-auth: Bearer upstream-token-xyz')).toBe('x-mcp-auth: Bearer ***');
  });
});
