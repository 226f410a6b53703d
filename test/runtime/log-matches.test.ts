import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GuardCorrelator } from '../../src/correlate/guard.js';
import { RecordRing } from '../../src/logs/record-ring.js';
import type { LogRecord } from '../../src/logs/records.js';
import type { Match } from '../../src/logs/rules.js';
import { LogRecorder } from '../../src/metrics/log-recorder.js';
import { GUARD_KEY_PREFIX } from '../../src/probes/guard-marks.js';
import { LogMatches } from '../../src/runtime/log-matches.js';
import { Redactor } from '../../src/util/redact.js';
import { value } from '../support/exposition.js';
import { accessLine, authError, authMatch, dockerTs, litellmRecord } from '../support/log-records.js';
import { recorderOnTestMetrics } from '../support/runtime-config.js';

// ---- helpers ----

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
let now = T0;
const clock = (): number => now;

const KEY = 'sk-abcdefghijklmnopqrstuvwxyz1234';

const mcpMatch = (kind: string, server?: string): Match => ({
  category: 'mcp',
  kind,
  rule: 'litellm_mcp',
  ...(server && { server }),
});

let guards: GuardCorrelator;
let sink: LogMatches;
let text: () => Promise<string>;
const matches = (t: string, category: string, kind: string, origin: string, container = 'litellm', cause = '') =>
  value(t, 'mcpwatch_log_matches_total', { container, category, kind, origin, cause });
/** The servers the probes find down (DownServers, as the agent wires it). */
let down: Set<string>;

beforeEach(() => {
  now = T0;
  guards = new GuardCorrelator({ now: clock });
  const recorder = recorderOnTestMetrics((metrics) => new LogRecorder(metrics));
  text = recorder.text;
  down = new Set();
  sink = new LogMatches(guards, recorder.rec, new Redactor(), (s) => down.has(s), new RecordRing(), clock);
  sink.containerAdded('litellm');
});

afterEach(() => {
  vi.useRealTimers();
});

// ---- tests ----

describe('LogMatches.match', () => {
  it('an access line carrying the guard marker is origin "probe", another is "external"; time from the Docker timestamp', async () => {
    const g = guards.begin('no_key');
    now += 15;
    g.end();
    const [m1, r1] = accessLine(`/mcp/?${g.query}`, T0 + 5);
    sink.match('litellm', m1, r1);
    const [m2, r2] = accessLine('/mcp/', T0 + 40, '10.0.0.9');
    sink.match('litellm', m2, r2);

    expect(sink.recentMatches()).toStrictEqual([
      {
        at: '2025-01-02T03:04:05.718Z',
        container: 'litellm',
        category: 'http',
        kind: '401',
        origin: 'external',
        requesterIp: '10.0.0.9',
        line: r2.text,
      },
      {
        at: '2025-01-02T03:04:05.683Z',
        container: 'litellm',
        category: 'http',
        kind: '401',
        origin: 'probe',
        requesterIp: '10.0.0.5',
        line: r1.text,
      },
    ]);

    const t = await text();
    expect(matches(t, 'http', '401', 'probe')).toBe(1);
    expect(matches(t, 'http', '401', 'external')).toBe(1);
    expect(
      value(t, 'mcpwatch_log_last_match_timestamp_seconds', { container: 'litellm', category: 'http', kind: '401' }),
    ).toBe((T0 + 40) / 1000);
  });

  it("an auth record in a guard request's window is the guard's; a second one, or one of a kind it cannot cause, is external", async () => {
    const g = guards.begin('wrong_key');
    now += 20;
    g.end();
    sink.match(
      'litellm',
      ...authError('missing_key', 'user_api_key_auth(): Exception occured - No api key passed in.', T0 + 10),
    );
    sink.match(
      'litellm',
      ...authError(
        'invalid_key',
        'user_api_key_auth(): Exception occured - Invalid proxy server token passed.',
        T0 + 10,
      ),
    );
    sink.match(
      'litellm',
      ...authError(
        'invalid_key',
        'user_api_key_auth(): Exception occured - Invalid proxy server token passed.',
        T0 + 11,
      ),
    );

    expect(sink.recentMatches().map((e) => [e.kind, e.origin])).toEqual([
      ['invalid_key', 'external'],
      ['invalid_key', 'probe'],
      ['missing_key', 'external'],
    ]);
    const t = await text();
    expect(matches(t, 'auth', 'invalid_key', 'probe')).toBe(1);
    expect(matches(t, 'auth', 'invalid_key', 'external')).toBe(1);
    expect(matches(t, 'auth', 'missing_key', 'external')).toBe(1);
    expect(matches(t, 'auth', 'missing_key', 'probe')).toBe(0);
    expect(
      value(t, 'mcpwatch_log_last_match_timestamp_seconds', {
        container: 'litellm',
        category: 'auth',
        kind: 'invalid_key',
      }),
    ).toBe((T0 + 11) / 1000);
  });

  it('masks key material in the line it keeps', () => {
    const rec = litellmRecord(
      `user_api_key_auth(): Exception occured - Authentication Error, Invalid proxy server token passed. Received API Key = ${KEY}, Key Hash (Token) = abc`,
      T0,
      '10.0.0.7',
    );
    sink.match('litellm', authMatch('invalid_key'), rec);
    const [e] = sink.recentMatches();
    expect(e!.line).not.toContain(KEY);
    expect(e!.line).not.toContain('abcdefghijklmnop');
    expect(e!.line).toBe(
      '03:04:05 - LiteLLM Proxy:ERROR: user_api_key_auth.py:1000 - user_api_key_auth(): Exception occured - Authentication Error, Invalid proxy server token passed. Received API Key = sk-…1234, Key Hash (Token) = abc',
    );
    expect(e).toStrictEqual({
      at: '2025-01-02T03:04:05.678Z',
      container: 'litellm',
      category: 'auth',
      kind: 'invalid_key',
      origin: 'external',
      requesterIp: '10.0.0.7',
      line: e!.line,
    });
  });

  it("the guard's own wrong key, quoted by LiteLLM, makes the record the guard's and is masked too", async () => {
    const guardKey = `${GUARD_KEY_PREFIX}00112233445566778899aabb`;
    sink.match(
      'litellm',
      ...authError(
        'invalid_key',
        `user_api_key_auth(): Exception occured - Invalid API Key. Received API Key = ${guardKey}`,
        T0,
      ),
    );
    const [e] = sink.recentMatches();
    expect(e!.origin).toBe('probe');
    expect(e!.line).not.toContain(guardKey);
    expect(e!.line).toContain('Received API Key = sk-…aabb');
    expect(matches(await text(), 'auth', 'invalid_key', 'probe')).toBe(1);
  });

  it("an upstream error about a server the probes find down is that outage's (cause server_down); others are not", async () => {
    down.add('ev');
    sink.match(
      'litellm',
      mcpMatch('upstream_list_failed', 'ev'),
      litellmRecord('Error getting tools from server ev', T0),
    );
    sink.match(
      'litellm',
      mcpMatch('upstream_list_failed', 'fs'),
      litellmRecord('Error getting tools from server fs', T0),
    );
    sink.match('litellm', mcpMatch('request_failed'), litellmRecord('Error handling MCP request: boom', T0));
    down.delete('ev');
    sink.match(
      'litellm',
      mcpMatch('upstream_list_failed', 'ev'),
      litellmRecord('Error getting tools from server ev', T0),
    );

    const t = await text();
    expect(matches(t, 'mcp', 'upstream_list_failed', 'external', 'litellm', 'server_down')).toBe(1);
    expect(matches(t, 'mcp', 'upstream_list_failed', 'external')).toBe(2);
    expect(matches(t, 'mcp', 'request_failed', 'external')).toBe(1);
  });

  it('keeps the server the match names and the first two lines, cut at 500 characters', () => {
    const rec = litellmRecord("Error listing tools from 'github': boom", T0);
    rec.text = `${rec.text}\nTraceback (most recent call last):\n  File "x.py", line 1, in f`;
    rec.lines = 3;
    sink.match('litellm', mcpMatch('upstream_list_failed', 'github'), rec);

    const long = litellmRecord(`Error handling MCP request: ${'x'.repeat(600)}`, T0 + 1);
    sink.match('litellm', mcpMatch('request_failed'), long);

    const [e2, e1] = sink.recentMatches();
    expect(e1).toStrictEqual({
      at: '2025-01-02T03:04:05.678Z',
      container: 'litellm',
      category: 'mcp',
      kind: 'upstream_list_failed',
      origin: 'external',
      server: 'github',
      line: "03:04:05 - LiteLLM Proxy:ERROR: user_api_key_auth.py:1000 - Error listing tools from 'github': boom\nTraceback (most recent call last):",
    });
    expect(e2!.line).toBe(`${long.text.slice(0, 500)}…`);
    expect(e2!.line).toHaveLength(501);
    expect(e2).not.toHaveProperty('server');
    expect(e2).not.toHaveProperty('requesterIp');
  });

  it('a record without a timestamp takes the time of the match', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2025, 5, 6, 7, 8, 9, 10));
    const rec = { ...litellmRecord('Error handling MCP request', T0), ts: '' };
    sink.match('litellm', mcpMatch('request_failed'), rec);
    expect(sink.recentMatches()[0]!.at).toBe('2025-06-06T07:08:09.010Z');
  });

  it('lists the newest first and keeps at most 200', async () => {
    for (let i = 0; i < 205; i++) {
      const rec = litellmRecord(`Error handling MCP request #${i}`, T0 + i);
      sink.match('litellm', mcpMatch('request_failed'), rec);
    }
    const recent = sink.recentMatches();
    expect(recent).toHaveLength(200);
    expect(recent[0]!.line).toMatch(/ #204$/);
    expect(recent[0]!.at).toBe(new Date(T0 + 204).toISOString());
    expect(recent[199]!.line).toMatch(/ #5$/);
    expect(recent.map((e) => e.line.slice(e.line.indexOf('#') + 1)).map(Number)).toEqual(
      Array.from({ length: 200 }, (_, i) => 204 - i),
    );
    // the counters count them all
    expect(matches(await text(), 'mcp', 'request_failed', 'external')).toBe(205);
  });

  it('recentMatches returns a copy of the list', () => {
    sink.match('litellm', mcpMatch('request_failed'), litellmRecord('Error handling MCP request', T0));
    const list = sink.recentMatches();
    list.length = 0;
    expect(sink.recentMatches()).toHaveLength(1);
  });
});

describe('LogMatches.recordEnd', () => {
  it('completes the line and the requester of the matches made at the start of the record', () => {
    const rec = litellmRecord('Error handling MCP request', T0);
    const first = rec.text;
    sink.match('litellm', mcpMatch('request_failed'), rec);
    sink.match('litellm', authMatch('auth_other'), rec);
    const other = litellmRecord("Error listing tools from 'jira': x", T0 + 1, '10.0.0.8');
    sink.match('litellm', mcpMatch('upstream_list_failed', 'jira'), other);
    expect(sink.recentMatches().map((e) => [e.line, e.requesterIp])).toEqual([
      [other.text, '10.0.0.8'],
      [first, undefined],
      [first, undefined],
    ]);

    // The continuation lines arrive (the joiner extends the record in place), then the record ends.
    rec.text = `${first}\nException: Invalid API Key ${KEY}\nRequester IP Address: 10.0.0.7`;
    rec.requesterIp = '10.0.0.7';
    rec.lines = 3;
    sink.recordEnd('litellm', rec, [authMatch('auth_other'), mcpMatch('request_failed')]);

    const line = `${first}\nException: Invalid API Key sk-…1234`;
    expect(sink.recentMatches()).toStrictEqual([
      {
        at: '2025-01-02T03:04:05.679Z',
        container: 'litellm',
        category: 'mcp',
        kind: 'upstream_list_failed',
        origin: 'external',
        requesterIp: '10.0.0.8',
        server: 'jira',
        line: other.text,
      },
      {
        at: '2025-01-02T03:04:05.678Z',
        container: 'litellm',
        category: 'auth',
        kind: 'auth_other',
        origin: 'external',
        line,
        requesterIp: '10.0.0.7',
      },
      {
        at: '2025-01-02T03:04:05.678Z',
        container: 'litellm',
        category: 'mcp',
        kind: 'request_failed',
        origin: 'external',
        line,
        requesterIp: '10.0.0.7',
      },
    ]);
    expect(JSON.stringify(sink.recentMatches())).not.toContain(KEY);
  });

  it('keeps a requester already known and does nothing for records without matches or ended twice', () => {
    const rec = litellmRecord('Error handling MCP request', T0, '10.0.0.1');
    sink.match('litellm', mcpMatch('request_failed'), rec);
    rec.text = `${rec.text}\nTraceback (most recent call last):`;
    rec.requesterIp = '10.0.0.2';
    sink.recordEnd('litellm', rec, [mcpMatch('request_failed')]);
    expect(sink.recentMatches()[0]!.requesterIp).toBe('10.0.0.1');
    expect(sink.recentMatches()[0]!.line).toBe(rec.text);

    // ended already: later changes are not picked up
    const ended = rec.text;
    rec.text = 'changed';
    sink.recordEnd('litellm', rec, [mcpMatch('request_failed')]);
    expect(sink.recentMatches()[0]!.line).toBe(ended);

    const unmatched = litellmRecord('nothing', T0);
    sink.recordEnd('litellm', unmatched, []);
    expect(sink.recentMatches()).toHaveLength(1);
  });
});

describe('LogMatches: the rest goes to the recorder', () => {
  it('containers, lines, tail and Docker state', async () => {
    let t = await text();
    expect(value(t, 'mcpwatch_log_tail_up', { container: 'litellm' })).toBe(0);
    expect(matches(t, 'auth', 'missing_key', 'probe')).toBe(0);
    expect(t).not.toContain('mcpwatch_docker_up');

    sink.tailUp('litellm', true);
    sink.lines('litellm', 'stdout', 5);
    sink.lines('litellm', 'stderr', 2);
    sink.dockerUp(true);
    t = await text();
    expect(value(t, 'mcpwatch_log_tail_up', { container: 'litellm' })).toBe(1);
    expect(value(t, 'mcpwatch_log_lines_total', { container: 'litellm', stream: 'stdout' })).toBe(5);
    expect(value(t, 'mcpwatch_log_lines_total', { container: 'litellm', stream: 'stderr' })).toBe(2);
    expect(value(t, 'mcpwatch_docker_up')).toBe(1);

    sink.containerRemoved('litellm');
    t = await text();
    expect(value(t, 'mcpwatch_log_tail_up', { container: 'litellm' })).toBeUndefined();
  });
});

describe('LogMatches keeps every complete record for evidence', () => {
  it('each record once, with the servers its matches named; not the root logger repeats; following or not', () => {
    const err = litellmRecord('Task cancelled while listing tools from mcp_pg', T0);
    sink.match('litellm', mcpMatch('upstream_list_failed', 'mcp_pg'), err);
    sink.recordEnd('litellm', err, [mcpMatch('upstream_list_failed', 'mcp_pg')]);
    const plain: LogRecord = {
      stream: 'stdout',
      kind: 'other',
      ts: dockerTs(T0 + 10),
      message: 'hello',
      text: 'hello',
      lines: 1,
    };
    sink.recordEnd('litellm', plain, []);
    sink.recordEnd(
      'litellm',
      { ...litellmRecord('Task cancelled while listing tools from mcp_pg', T0 + 20), duplicate: true },
      [mcpMatch('upstream_list_failed', 'mcp_pg')],
    );
    const w = sink.records.window('litellm', T0 - 1, T0 + 100);
    expect(w.records.map((r) => [r.at - T0, r.text.slice(-25), r.servers])).toEqual([
      [0, 'listing tools from mcp_pg', ['mcp_pg']],
      [10, 'hello', undefined],
    ]);
    // Added but its tail not up yet: not followed.
    expect(w.notFollowingSince).toBe(T0);
    now = T0 + 50;
    sink.tailUp('litellm', true);
    expect(sink.records.window('litellm', T0, T0 + 100).notFollowingSince).toBeUndefined();
    sink.containerRemoved('litellm');
    expect(sink.records.window('litellm', T0, T0 + 100).records).toEqual([]);
  });
});
