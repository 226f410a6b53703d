import { describe, expect, it } from 'vitest';
import { GuardCorrelator } from '../../src/correlate/guard.js';
import { WindowMatches } from '../../src/correlate/window-matches.js';
import type { LogRecord } from '../../src/logs/records.js';
import type { Match } from '../../src/logs/rules.js';
import { Redactor } from '../../src/util/redact.js';
import { accessLine, authError, litellmRecord } from '../support/log-records.js';

// The matches of one log window read once (`mcpwatch report`): counted by kind and origin, the
// newest listed masked, records kept for failed runs' evidence. Pure: records made here.

const T0 = Date.UTC(2026, 11, 2, 18, 0, 0, 0);
const KEY = 'sk-abcdefghijklmnopqrstuvwxyz1234';

/** The window `span` of the litellm container's log; `more`: which records to keep, the mark, how many to list. */
const windowOf = (
  guards: GuardCorrelator,
  span: { from: number; to: number },
  ...more: [keep?: (at: number) => boolean, mark?: number, listMax?: number]
): WindowMatches => new WindowMatches('litellm', span, guards, new Redactor(), ...more);

function feed(w: WindowMatches, m: Match, rec: LogRecord): void {
  w.match(m, rec);
  w.recordEnd(rec, [m]);
}

describe('WindowMatches', () => {
  it('counts every match by category, kind and origin, lists the newest masked, and knows what it left out', () => {
    const guards = new GuardCorrelator({ now: () => T0 + 60_000 });
    const w = windowOf(guards, { from: T0, to: T0 + 60_000 }, () => false, Infinity, 3);
    for (let i = 0; i < 4; i++)
      feed(
        w,
        ...authError(
          'invalid_key',
          `Authentication Error, Invalid proxy server token passed. Received API Key = ${KEY}`,
          T0 + i * 1000,
        ),
      );
    feed(w, ...authError('missing_key', 'No api key passed in.', T0 + 10_000));
    const s = w.summary();
    expect(s.records).toBe(5);
    expect(s.counts).toEqual([
      {
        category: 'auth',
        kind: 'invalid_key',
        origin: 'external',
        count: 4,
        lastAt: new Date(T0 + 3000).toISOString(),
      },
      {
        category: 'auth',
        kind: 'missing_key',
        origin: 'external',
        count: 1,
        lastAt: new Date(T0 + 10_000).toISOString(),
      },
    ]);
    expect(s.matches.map((m) => m.at)).toEqual(
      [T0 + 2000, T0 + 3000, T0 + 10_000].map((t) => new Date(t).toISOString()),
    );
    expect(s.omitted).toBe(2);
    expect(JSON.stringify(s)).not.toContain(KEY);
    expect(s.matches[0]!.line).toMatch(/Received API Key = sk-/);
  });

  it("tells the report's own guard requests (their marker in the access line) from a client's", () => {
    let now = T0;
    const guards = new GuardCorrelator({ now: () => now });
    const req = guards.begin('wrong_key');
    now += 50;
    req.end();
    const w = windowOf(guards, { from: T0 - 1000, to: T0 + 60_000 });
    // The guard's: LiteLLM's auth error, then uvicorn's access line with the marker.
    feed(w, ...authError('invalid_key', 'Authentication Error, Invalid proxy server token passed.', T0 + 20));
    const [m, rec] = accessLine(`/mcp/?${req.query}`, T0 + 30);
    feed(w, m, rec);
    // A client's, later and from elsewhere.
    feed(
      w,
      ...authError('invalid_key', 'Authentication Error, Invalid proxy server token passed.', T0 + 30_000, '10.9.9.9'),
    );
    const [m2, rec2] = accessLine('/mcp/', T0 + 30_010, '10.9.9.9');
    feed(w, m2, rec2);
    const counts = w.summary().counts.map((c) => `${c.category}/${c.kind}/${c.origin}=${c.count}`);
    expect(counts).toEqual([
      'auth/invalid_key/external=1',
      'auth/invalid_key/probe=1',
      'http/401/external=1',
      'http/401/probe=1',
    ]);
  });

  it("another mcpwatch's guard (a running agent's, not announced here): its auth records are told by the marked access line after them", () => {
    const guards = new GuardCorrelator({ now: () => T0 + 60_000 });
    const w = windowOf(guards, { from: T0, to: T0 + 60_000 }, () => false, T0 + 50_000);
    // The agent's guard from 10.0.0.2: auth record, then its access line with a marker nobody here sent.
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 1000, '10.0.0.2'));
    // A real client's in between, from elsewhere: stays external.
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 1005, '10.0.0.9'));
    feed(w, ...accessLine('/mcp/?mcpwatch_guard=0123456789abcdef', T0 + 1010, '10.0.0.2', 500));
    feed(w, ...accessLine('/mcp/', T0 + 1020, '10.0.0.9', 500));
    // A client's auth error after the mark (the report's own try of a broken file): counted, not as "before".
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 55_000, '10.0.0.9'));
    const s = w.summary();
    expect(s.counts.map((c) => `${c.category}/${c.kind}/${c.origin}=${c.count}`)).toEqual([
      'auth/malformed_key/external=2',
      'auth/malformed_key/probe=1',
      'http/500/external=1',
      'http/500/probe=1',
    ]);
    expect(s.matches.filter((m) => m.category === 'auth').map((m) => [m.requesterIp, m.origin])).toEqual([
      ['10.0.0.2', 'probe'],
      ['10.0.0.9', 'external'],
      ['10.0.0.9', 'external'],
    ]);
    expect(s.externalAuthBefore).toBe(1);
  });

  // The CI failure (a fresh clone on a busy machine): Docker copies stdout and stderr apart, so the
  // access line of another guard's request (stdout) can be read before its auth record (stderr, the
  // requester on its second line), stamped before or just after it. Paired in log order, the auth
  // record found no access line after it and stayed external.
  it("another guard's access line read before its auth record (stdout overtaking stderr): still the guard's", () => {
    const guards = new GuardCorrelator({ now: () => T0 + 60_000 });
    const w = windowOf(guards, { from: T0, to: T0 + 60_000 }, () => false, T0 + 50_000);
    const marked = (n: number): string => `/mcp?mcpwatch_guard=${String(n).padStart(16, '0')}`;
    // Request 1: the access line first, stamped 3 ms before the record.
    feed(w, ...accessLine(marked(1), T0 + 997, '127.0.0.1', 500));
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 1000, '127.0.0.1'));
    // Request 2: the access line first in the log, stamped after the record.
    feed(w, ...accessLine(marked(2), T0 + 1210, '127.0.0.1', 500));
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 1200, '127.0.0.1'));
    // Request 3: in order.
    feed(w, ...authError('auth_other', '', T0 + 1400, '127.0.0.1'));
    feed(w, ...accessLine(marked(3), T0 + 1410, '127.0.0.1', 401));
    // A real client's, on the same address, a moment later, its access line first too.
    feed(w, ...accessLine('/mcp/', T0 + 1598, '127.0.0.1', 500));
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 1600, '127.0.0.1'));
    const s = w.summary();
    expect(s.counts.filter((c) => c.category === 'auth').map((c) => `${c.kind}/${c.origin}=${c.count}`)).toEqual([
      'malformed_key/probe=2',
      'auth_other/probe=1',
      'malformed_key/external=1',
    ]);
    expect(s.matches.filter((m) => m.category === 'auth').map((m) => m.origin)).toEqual([
      'probe',
      'probe',
      'probe',
      'external',
    ]);
    expect(s.externalAuthBefore).toBe(1);
  });

  it("a client elsewhere failing inside the report's own guard request, before any guard address is known: each its own", () => {
    let now = T0;
    const guards = new GuardCorrelator({ now: () => now });
    const req = guards.begin('no_bearer_prefix');
    now += 40;
    req.end();
    now = T0 + 60_000;
    const w = windowOf(guards, { from: T0 - 1000, to: T0 + 60_000 });
    // The client's record comes first, inside the guard's window: the correlator, knowing no guard address yet,
    // gives it to the guard; the guard's own record then finds its request taken.
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 10, '127.0.0.2'));
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 20, '127.0.0.1'));
    feed(w, ...accessLine(`/mcp?${req.query}`, T0 + 30, '127.0.0.1', 500));
    feed(w, ...accessLine('/mcp/', T0 + 32, '127.0.0.2', 500));
    const s = w.summary();
    expect(s.matches.filter((m) => m.category === 'auth').map((m) => [m.requesterIp, m.origin])).toEqual([
      ['127.0.0.2', 'external'],
      ['127.0.0.1', 'probe'],
    ]);
    expect(s.counts.filter((c) => c.category === 'auth').map((c) => `${c.kind}/${c.origin}=${c.count}`)).toEqual([
      'malformed_key/external=1',
      'malformed_key/probe=1',
    ]);
  });

  it("a record without an access line keeps the origin the correlator gave it; a quoted guard key stays the guard's", () => {
    const guards = new GuardCorrelator({ now: () => T0 + 60_000 });
    const w = windowOf(guards, { from: T0, to: T0 + 60_000 });
    // No access line at all (LITELLM_DISABLE_ACCESS_LOG_PATHS): the correlator's word stands.
    feed(w, ...authError('malformed_key', 'Malformed API Key passed in.', T0 + 1000, '127.0.0.1'));
    // The guard's wrong key quoted, its access line unmarked (a proxy that strips the query).
    feed(
      w,
      ...authError(
        'invalid_key',
        'Invalid proxy server token passed. Received API Key = sk-mcpwatch-guard-0a1b2c',
        T0 + 5000,
        '127.0.0.1',
      ),
    );
    feed(w, ...accessLine('/mcp/', T0 + 5010, '127.0.0.1', 401));
    expect(
      w
        .summary()
        .counts.filter((c) => c.category === 'auth')
        .map((c) => `${c.kind}/${c.origin}=${c.count}`),
    ).toEqual(['invalid_key/probe=1', 'malformed_key/external=1']);
  });

  it('leaves out what lies outside the window and keeps the records asked for', () => {
    const guards = new GuardCorrelator({ now: () => T0 });
    const w = windowOf(guards, { from: T0, to: T0 + 10_000 }, (at) => at >= T0 + 5000);
    feed(w, ...authError('missing_key', 'No api key passed in.', T0 - 1));
    feed(w, ...authError('missing_key', 'No api key passed in.', T0 + 1000));
    feed(w, ...authError('missing_key', 'No api key passed in.', T0 + 6000));
    feed(w, ...authError('missing_key', 'No api key passed in.', T0 + 10_001));
    const dup = { ...litellmRecord('No api key passed in.', T0 + 7000), duplicate: true };
    w.recordEnd(dup, []);
    expect(w.summary().counts[0]!.count).toBe(2);
    expect(w.summary().records).toBe(2);
    expect(w.kept.map((k) => k.at)).toEqual([T0 + 6000]);
    expect(w.kept[0]!.container).toBe('litellm');
  });
});
