import { describe, expect, it } from 'vitest';
import {
  clip,
  EVIDENCE_MAX_RECORDS,
  evidenceWindow,
  gatewayLog,
  selectEvidence,
  subjectOf,
  type EvidenceSubject,
} from '../../src/correlate/evidence.js';
import type { KeptRecord } from '../../src/logs/record-ring.js';
import type { ProbeResult } from '../../src/probes/table.js';
import { Redactor } from '../../src/util/redact.js';
import { fixtureRecords } from '../support/evidence-fixture.js';

const at = (iso: string): number => Date.parse(iso);
const base = {
  probe: 'p',
  target: 't',
  success: false as const,
  trigger: 'manual' as const,
  startedAt: 0,
  durationMs: 0,
  phases: {},
  steps: [],
};
const rec = (text: string, more: Partial<KeptRecord> = {}): KeptRecord => ({
  container: 'litellm',
  at: 0,
  stream: 'stderr',
  kind: 'other',
  text,
  ...more,
});
const subject = (servers: string[], others: string[] = [], guard = false): EvidenceSubject => ({
  servers,
  others,
  guard,
});

describe('what a failed run is about', () => {
  it('a catalog: its down servers (the up ones are others); all of them when none was down', () => {
    const catalog = {
      tools: 3,
      toolsPerServer: {},
      fingerprint: 'f',
      changed: false,
      added: [],
      removed: [],
      changedSchemas: [],
    };
    const r = (servers: object) =>
      ({
        ...base,
        type: 'mcp_catalog',
        outcome: 'expectation_failed',
        reason: '',
        details: { catalog, expectedTools: {}, servers },
      }) as ProbeResult;
    const probe = { type: 'mcp_catalog' as const, servers: ['a', 'b', 'c'] };
    expect(
      subjectOf(
        probe,
        r({ a: { up: true, tools: 1 }, b: { up: false, tools: 0, reason: 'no_tools' }, c: { up: true, tools: 2 } }),
      ),
    ).toEqual(subject(['b'], ['a', 'c']));
    expect(subjectOf(probe, r({ a: { up: true, tools: 1 }, b: { up: true, tools: 1 } }))).toEqual(subject(['a', 'b']));
    // No catalog at all (a timeout in list_tools): every requested server.
    expect(subjectOf(probe, { ...base, type: 'mcp_catalog', outcome: 'timeout', reason: '' } as ProbeResult)).toEqual(
      subject(['a', 'b', 'c']),
    );
  });

  it("a call: its tool's server (the longest alias); a guard: its servers and its marked requests", () => {
    const failed = { ...base, type: 'mcp_call', outcome: 'timeout', reason: '' } as ProbeResult;
    expect(
      subjectOf({ type: 'mcp_call', servers: ['mcp', 'mcp-pg', 'fs'], tool: 'mcp-pg-execute_sql' }, failed),
    ).toEqual(subject(['mcp-pg'], ['mcp', 'fs']));
    expect(
      subjectOf({ type: 'auth_guard', servers: ['fs'] }, { ...failed, type: 'auth_guard' } as ProbeResult),
    ).toEqual(subject(['fs'], [], true));
    expect(subjectOf({ type: 'http' }, { ...failed, type: 'http' } as ProbeResult)).toEqual(subject([]));
  });
});

describe('choosing the evidence', () => {
  it('takes records naming the server (as a word), errors naming no other server, failed requests; not the rest', () => {
    const records = [
      rec('03:00:00 - LiteLLM:WARNING: m.py:1 - Task cancelled while listing tools from mcp_pg', {
        kind: 'litellm',
        level: 'WARNING',
      }),
      rec('03:00:00 - LiteLLM:INFO: m.py:1 - loaded mcp_pg', { kind: 'litellm', level: 'INFO' }),
      rec('03:00:00 - LiteLLM:ERROR: m.py:1 - failed for mcp_fs', { kind: 'litellm', level: 'ERROR' }),
      rec('03:00:00 - LiteLLM:ERROR: m.py:1 - failed for mcp_pg_replica', { kind: 'litellm', level: 'ERROR' }),
      rec('03:00:00 - LiteLLM:INFO: m.py:1 - all fine', { kind: 'litellm', level: 'INFO' }),
      rec('connection refused by the database'),
      rec('Starting server'),
      rec('INFO:     1.2.3.4:5 - "POST /mcp/ HTTP/1.1" 500 Internal Server Error', {
        kind: 'access',
        level: 'INFO',
        path: '/mcp/',
        status: 500,
      }),
      rec('INFO:     1.2.3.4:5 - "POST /mcp/ HTTP/1.1" 200 OK', {
        kind: 'access',
        level: 'INFO',
        path: '/mcp/',
        status: 200,
      }),
      rec('INFO:     1.2.3.4:5 - "POST /mcp/?mcpwatch_guard=ab12 HTTP/1.1" 200 OK', {
        kind: 'access',
        level: 'INFO',
        path: '/mcp/?mcpwatch_guard=ab12',
        status: 200,
      }),
      rec('x', { kind: 'litellm', level: 'DEBUG', servers: ['mcp_pg'] }),
    ].map((r, i) => ({ ...r, at: i }));
    const texts = (s: EvidenceSubject): string[] => selectEvidence(records, s).records.map((e) => e.record.text);
    // Not: the error about mcp_fs (seen working), INFO lines and 200s naming nothing, the guard's request.
    expect(texts(subject(['mcp_pg'], ['mcp_fs']))).toEqual([
      records[0]!.text,
      records[1]!.text, // names it, even at INFO
      records[3]!.text, // an error naming neither mcp_pg (mcp_pg_replica is another name) nor a server seen working
      records[5]!.text,
      records[7]!.text,
      'x', // the rules said it is about mcp_pg
    ]);
    // A guard run: its own marked requests are evidence, whatever their status.
    expect(texts(subject([], [], true))).toContain(records[9]!.text);
    expect(texts(subject([], [], false))).not.toContain(records[9]!.text);
  });

  it('folds repeats of a record (same text but for its time) into the first, with their count and the last time', () => {
    const records = [
      rec('[12/02/26 03:25:38] WARNING  error connecting    pool.py:691\n   refused', {
        kind: 'rich',
        level: 'WARNING',
        at: 1,
      }),
      rec('                    WARNING  error connecting    pool.py:691\n   refused', {
        kind: 'rich',
        level: 'WARNING',
        at: 2,
      }),
      rec('03:25:38 - LiteLLM:WARNING: m.py:1 - cancelled for mcp_pg', { kind: 'litellm', level: 'WARNING', at: 3 }),
      rec('[12/02/26 03:25:40] WARNING  error connecting    pool.py:691\n   refused', {
        kind: 'rich',
        level: 'WARNING',
        at: 4,
      }),
      rec('03:25:41 - LiteLLM:WARNING: m.py:1 - cancelled for mcp_pg', { kind: 'litellm', level: 'WARNING', at: 5 }),
    ];
    const out = selectEvidence(records, subject(['mcp_pg']));
    expect(out.records.map((e) => [e.record.at, e.repeats, e.lastAt])).toEqual([
      [1, 2, 4],
      [3, 1, 5],
    ]);
  });

  it('keeps at most the limit: those naming the server first, then the newest; says how many were left out', () => {
    const records = Array.from({ length: 30 }, (_, i) => rec(`error number ${i}`, { at: i }));
    records.push(rec('an error of mcp_pg', { at: 0.5 }));
    const out = selectEvidence(records, subject(['mcp_pg']));
    expect(out.records).toHaveLength(EVIDENCE_MAX_RECORDS);
    expect(out.omitted).toBe(31 - EVIDENCE_MAX_RECORDS);
    expect(out.records[0]!.record.text).toBe('an error of mcp_pg');
    expect(out.records.slice(1).map((e) => e.record.at)).toEqual(
      Array.from({ length: EVIDENCE_MAX_RECORDS - 1 }, (_, i) => 30 - EVIDENCE_MAX_RECORDS + 1 + i),
    );
  });

  it('clips a long record to its start and end, and drops padding at line ends', () => {
    const long = `Traceback (most recent call last):\n${'  frame\n'.repeat(2_000)}ValueError: the real cause`;
    const c = clip(long, 400);
    expect(c.length).toBeLessThan(500);
    expect(c).toMatch(/^Traceback/);
    expect(c).toMatch(/ValueError: the real cause$/);
    expect(c).toContain('characters left out');
    expect(clip('a    \nb   ')).toBe('a\nb');
  });
});

describe("the result's gatewayLog", () => {
  const redactor = new Redactor();
  redactor.addSecrets(['configured-secret-1234']);

  it('masks keys, configured secrets and URL passwords; says what may be missing and why', () => {
    const window = {
      records: [
        rec(
          'ERROR: key sk-1234567890abcdefghijwxyz and configured-secret-1234 at postgresql://u:pw-secret@db/x for mcp_pg',
          { at: 1_000, level: 'ERROR', kind: 'python' },
        ),
      ],
      overrun: true,
      notFollowingSince: 1_500,
    };
    const g = gatewayLog(
      [
        { container: 'litellm', window },
        { container: 'other', error: 'no container named other' },
      ],
      subject(['mcp_pg']),
      { from: 0, to: 3_000 },
      redactor,
    );
    expect(g).toEqual({
      from: '1970-01-01T00:00:00.000Z',
      to: '1970-01-01T00:00:03.000Z',
      containers: ['litellm', 'other'],
      about: ['mcp_pg'],
      records: [
        {
          container: 'litellm',
          at: '1970-01-01T00:00:01.000Z',
          stream: 'stderr',
          text: 'ERROR: key sk-…wxyz and *** at postgresql://u:***@db/x for mcp_pg',
        },
      ],
      incomplete: [
        'litellm: part of the window was dropped (the gateway logged more than mcpwatch keeps)',
        'litellm: its log is not being followed (since 1970-01-01T00:00:01.500Z): what it logged since may be missing',
        'other: no container named other',
      ],
    });
  });

  it('the window: a second before the run to two seconds after it', () => {
    expect(evidenceWindow({ startedAt: 10_000, durationMs: 500.4 })).toEqual({ from: 9_000, to: 12_501 });
  });
});

describe('on the real log of LiteLLM 1.77.1 and postgres-mcp (fixture)', () => {
  const all = fixtureRecords();
  const window = (from: string, to: string) => ({
    records: all.filter((r) => r.at >= at(from) && r.at <= at(to)),
    overrun: false,
  });
  const redactor = new Redactor();

  it("mcp_broken down in the catalog: LiteLLM's own words about it", () => {
    const span = { from: at('2026-12-02T03:24:49.832Z'), to: at('2026-12-02T03:25:15.701Z') };
    const g = gatewayLog(
      [{ container: 'litellm', window: window('2026-12-02T03:24:49.832Z', '2026-12-02T03:25:15.701Z') }],
      subject(['mcp_broken'], ['mcp_postgres']),
      span,
      redactor,
    );
    const texts = g.records.map((r) => r.text);
    expect(texts).toContain(
      '03:25:12 - LiteLLM:WARNING: mcp_server_manager.py:557 - Task cancelled while listing tools from mcp_broken',
    );
    expect(
      g.records.find((r) => r.text.endsWith('Client operation cancelled for mcp_broken'))?.repeats,
    ).toBeGreaterThanOrEqual(2);
    expect(g.omitted).toBeUndefined();
  });

  it('postgres-mcp without its database: its own warning, once, with how often it came', () => {
    const g = gatewayLog(
      [{ container: 'litellm', window: window('2026-12-02T03:25:31.372Z', '2026-12-02T03:25:54.381Z') }],
      subject(['mcp_postgres']),
      { from: 0, to: 0 },
      redactor,
    );
    const refused = g.records.filter((r) => r.text.includes('Connection refused'));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.text).toMatch(
      /^\s*WARNING {2}error connecting in 'pool-1':\s+pool_async\.py:691\n\s+connection failed: connection to\n\s+server at "127\.0\.0\.1", port \d+\n\s+failed: Connection refused\n/,
    );
    expect(refused[0]!.repeats).toBeGreaterThanOrEqual(5);
    // Its INFO lines (starting, processing a request) are not evidence.
    expect(g.records.some((r) => r.text.includes('Processing request'))).toBe(false);
  });
});
