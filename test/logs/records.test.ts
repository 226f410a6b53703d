import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cursor } from '../../src/logs/cursor.js';
import type { LogLine } from '../../src/logs/lines.js';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { LogPipeline } from '../../src/logs/pipeline.js';
import { type LogRecord, parseRecordStart, RecordJoiner } from '../../src/logs/records.js';
import { RuleSet } from '../../src/logs/rules.js';
import { frame } from '../support/docker-frames.js';
import { fixtureRecords } from '../support/evidence-fixture.js';
import { LITELLM_FIXTURES as FIXTURES } from '../support/log-pipeline.js';

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

describe('records of the real fixture', () => {
  const records = fixtureRecords();

  it("postgres-mcp's rich log lines are one record each, continuation lines joined, the level read", () => {
    const rich = records.filter((r) => r.kind === 'rich');
    const warnings = rich.filter((r) => r.level === 'WARNING');
    expect(warnings.length).toBeGreaterThan(5);
    for (const w of warnings) {
      expect(w.text).toMatch(/^(\[12\/02\/26 \d\d:\d\d:\d\d\] | {20})WARNING {2}error connecting in 'pool-\d':/);
      expect(w.text).toContain('failed: Connection refused');
      expect(w.text.split('\n')).toHaveLength(7);
    }
    // Nothing of a rich record is left over as a record of its own.
    expect(
      records.filter(
        (r) => r.kind === 'other' && /^\s+(connection failed|failed: Connection refused|server at)/.test(r.text),
      ),
    ).toEqual([]);
    expect(rich.find((r) => r.text.includes('Starting PostgreSQL MCP Server'))?.text).toMatch(
      /Starting PostgreSQL MCP Server in\s+server\.py:\d+\n\s+RESTRICTED mode/,
    );
  });

  it('LiteLLM records around them are unchanged: the server they name comes from the rules', () => {
    const broken = records.filter((r) => r.text.includes('Task cancelled while listing tools from mcp_broken'));
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({ kind: 'litellm', level: 'WARNING', servers: ['mcp_broken'] });
    // Python's root logger repeats LiteLLM's records: the repeats are not kept twice.
    expect(
      records
        .filter((r) => r.text.includes('Client operation cancelled for mcp_broken'))
        .every((r) => r.kind === 'litellm'),
    ).toBe(true);
  });
});

// Once Python's root logger has a handler, LiteLLM writes every record twice (its own format, then
// `LEVEL:logger:message`). In 1.77 both land on stderr, one after the other; in 1.10x a
// `LiteLLM Proxy.stdout` warning goes to stdout and its repeat to stderr, so Docker may deliver
// either first. The `*.late.*` fixtures are real requests made after the repeats started: each
// must count once per category, whichever stream is read first.

type Order = 'stdout first' | 'stderr first' | 'interleaved';

function matches(dir: string, name: string, order: Order): string[] {
  const read = (s: string): string[] => {
    const f = join(FIXTURES, dir, `${name}.${s}.txt`);
    return existsSync(f)
      ? readFileSync(f, 'utf8')
          .split(/(?<=\n)/)
          .filter(Boolean)
      : [];
  };
  const out = read('stdout');
  const err = read('stderr');
  // Timestamps as Docker gives them: per stream in order, both streams within the same millisecond.
  const stamp = (i: number): string => `2026-11-24T10:00:00.000${String(i).padStart(6, '0')}Z`;
  const o = out.map((l, i) => frame(1, `${stamp(2 * i)} ${l}`));
  const e = err.map((l, i) => frame(2, `${stamp(2 * i + 1)} ${l}`));
  let chunks: Buffer[];
  if (order === 'stdout first') chunks = [...o, ...e];
  else if (order === 'stderr first') chunks = [...e, ...o];
  else {
    chunks = [];
    for (let i = 0; i < Math.max(o.length, e.length); i++)
      chunks.push(...(e[i] ? [e[i]!] : []), ...(o[i] ? [o[i]!] : []));
  }
  const got: string[] = [];
  const p = new LogPipeline(false, new RuleSet(litellmRules()), new Cursor({ id: 'c' }), {
    line: () => undefined,
    match: (m) => got.push(`${m.category}/${m.kind}`),
  });
  for (const c of chunks) p.push(c);
  p.end();
  return got.sort();
}

const dirs = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => /^\d/.test(d)) : [];

describe('root-logger repeats count once', () => {
  const late = ['mcp_no_key', 'mcp_no_bearer', 'rest_no_key', 'v1_no_key', 'mcp_wrong_key', 'rest_wrong_key'];
  for (const dir of dirs) {
    for (const name of late) {
      if (!existsSync(join(FIXTURES, dir, `${name}.late.stderr.txt`))) continue;
      it.each(['stdout first', 'stderr first', 'interleaved'] as const)(`${dir} ${name}.late, %s`, (order) => {
        const auth = matches(dir, `${name}.late`, order).filter((m) => m.startsWith('auth/'));
        expect(auth).toHaveLength(1);
        // and the same as the request before the repeats started
        expect(auth).toEqual(matches(dir, name, 'stdout first').filter((m) => m.startsWith('auth/')));
      });
    }
  }

  it('two identical failures, only one of them repeated, count twice', () => {
    const rec =
      '10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.';
    const echo =
      'ERROR:LiteLLM Proxy:litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.';
    const got: string[] = [];
    const p = new LogPipeline(false, new RuleSet(litellmRules()), new Cursor({ id: 'c' }), {
      line: () => undefined,
      match: (m) => got.push(m.kind),
    });
    let i = 0;
    for (const l of [
      rec,
      'Requester IP Address:1.1.1.1',
      echo,
      'Requester IP Address:1.1.1.1',
      rec,
      'Requester IP Address:2.2.2.2',
    ]) {
      p.push(frame(2, `2026-11-24T10:00:00.00000000${i++}Z ${l}\n`));
    }
    p.end();
    expect(got).toEqual(['missing_key', 'missing_key']);
  });
});
