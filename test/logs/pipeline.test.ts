import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cursor } from '../../src/logs/cursor.js';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { LogPipeline } from '../../src/logs/pipeline.js';
import type { LogRecord } from '../../src/logs/records.js';
import { type Match, RuleSet } from '../../src/logs/rules.js';
import { Redactor } from '../../src/util/redact.js';
import { frame } from '../support/docker-frames.js';
import { asFrames, LITELLM_FIXTURES as FIXTURES, runPipeline } from '../support/log-pipeline.js';

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

// When matches come out of the pipeline: at once for records whose first line decides (access
// lines, JSON records, LiteLLM auth failures), after the stream's idle time only for records
// that need their continuation lines (an "Error handling MCP request" and its traceback), and
// a busy other stream never holds a record back.

let n = 0;
function line(stream: 1 | 2, text: string): Buffer {
  n++;
  return frame(stream, `2026-11-24T10:00:00.${String(n).padStart(9, '0')}Z ${text}\n`);
}

function pipeline(idleMs = 100) {
  const matches: Array<Match & { ip?: string }> = [];
  const ended: LogRecord[] = [];
  const p = new LogPipeline(
    false,
    new RuleSet(litellmRules()),
    new Cursor({ id: 'c' }),
    {
      line: () => undefined,
      match: (m, rec) => matches.push({ ...m, ...(rec.requesterIp && { ip: rec.requesterIp }) }),
      recordEnd: (rec) => ended.push(rec),
    },
    undefined,
    idleMs,
  );
  return { p, matches, ended };
}

const AUTH_110 =
  '10:14:56 - LiteLLM Proxy.stdout:WARNING: auth_exception_handler.py:211 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.';
const AUTH_177 =
  '\x1b[92m10:27:01 - LiteLLM Proxy:ERROR\x1b[0m: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.';

describe('detection latency', () => {
  it('counts an access line and a JSON record as soon as their line arrives', () => {
    const { p, matches } = pipeline();
    p.push(line(1, 'INFO:     127.0.0.1:59330 - "POST /mcp/ HTTP/1.1" 401 Unauthorized'), 0);
    expect(matches).toEqual([expect.objectContaining({ category: 'http', kind: '401', ip: '127.0.0.1' })]);
    p.push(
      line(
        1,
        '{"message": "litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.\\nRequester IP Address:10.1.1.1", "level": "WARNING", "requester_ip": "10.1.1.1"}',
      ),
      0,
    );
    expect(matches.at(-1)).toMatchObject({ category: 'auth', kind: 'missing_key', ip: '10.1.1.1' });
    expect(p.nextFlushAt()).toBeUndefined();
  });

  it.each([
    ['1.77 (coloured, stderr, traceback follows)', AUTH_177, 'missing_key'],
    ['1.109 (stdout, no traceback)', AUTH_110, 'malformed_key'],
  ])(
    'counts a LiteLLM auth failure (%s) as soon as its requester line arrives, with the address',
    (_v, first, kind) => {
      const { p, matches } = pipeline();
      p.push(line(2, first), 0);
      expect(matches).toEqual([]); // who sent it comes on the next line (the origin attribution needs it)
      p.push(line(2, 'Requester IP Address:10.0.0.7'), 1);
      expect(matches).toEqual([expect.objectContaining({ category: 'auth', kind, ip: '10.0.0.7' })]);
      // the traceback that may follow changes nothing: counted once
      p.push(Buffer.concat([line(2, 'Traceback (most recent call last):'), line(2, 'Exception: x')]), 2);
      p.flushIdle();
      expect(matches).toHaveLength(1);
    },
  );

  it('counts a LiteLLM auth failure without a requester line when its record ends', () => {
    const { p, matches } = pipeline();
    p.push(line(2, AUTH_177), 0);
    expect(matches).toEqual([]);
    expect(p.flushIdle(100)).toBeUndefined();
    expect(matches.map((m) => m.kind)).toEqual(['missing_key']);
  });

  it('completes a record that matched at its start with its requester line when it ends', () => {
    const { p, matches, ended } = pipeline();
    p.push(
      Buffer.concat([
        line(2, AUTH_177),
        line(2, 'Requester IP Address:10.0.0.7'),
        line(2, 'Traceback (most recent call last):'),
      ]),
      0,
    );
    expect(matches).toHaveLength(1);
    expect(ended).toHaveLength(0); // a traceback may still follow
    expect(p.flushIdle(99)).toBe(100);
    expect(p.flushIdle(100)).toBeUndefined();
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ requesterIp: '10.0.0.7', lines: 3 });
    expect(matches).toHaveLength(1); // counted once
  });

  it('ends a record after its own stream has been quiet for the idle time, however busy the other stream is', () => {
    const { p, matches } = pipeline(100);
    // An MCP request failure is decided at its end: the traceback says whether auth caused it.
    p.push(line(2, '10:27:01 - LiteLLM:ERROR: server.py:646 - Error handling MCP request: boom'), 0);
    p.push(line(2, 'RuntimeError: boom'), 10);
    for (let t = 20; t < 100; t += 10) {
      p.push(line(1, 'INFO:     127.0.0.1:1 - "GET /health HTTP/1.1" 200 OK'), t);
      expect(p.nextFlushAt()).toBe(110);
    }
    expect(p.flushIdle(109)).toBe(110);
    expect(matches).toEqual([]);
    expect(p.flushIdle(110)).toBeUndefined();
    expect(matches.map((m) => `${m.category}/${m.kind}`)).toEqual(['mcp/request_failed']);
  });

  it('has nothing to wait for after records that take no continuation lines', () => {
    const { p } = pipeline();
    p.push(line(1, 'INFO:     127.0.0.1:1 - "GET /health HTTP/1.1" 200 OK'), 0);
    p.push(line(1, '{"message": "x", "level": "INFO"}'), 0);
    expect(p.nextFlushAt()).toBeUndefined();
  });
});
