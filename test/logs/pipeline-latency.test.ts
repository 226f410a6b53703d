import { describe, expect, it } from 'vitest';
import { Cursor } from '../../src/logs/cursor.js';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { LogPipeline } from '../../src/logs/pipeline.js';
import type { LogRecord } from '../../src/logs/records.js';
import { type Match, RuleSet } from '../../src/logs/rules.js';
import { frame } from '../support/docker-frames.js';

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
