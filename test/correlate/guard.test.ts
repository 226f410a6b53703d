import { describe, expect, it } from 'vitest';
import { ACCESS_LINE_GRACE_MS, GuardCorrelator } from '../../src/correlate/guard.js';
import type { LogRecord } from '../../src/logs/records.js';
import type { Match } from '../../src/logs/rules.js';
import { GUARD_MARKER_PARAM } from '../../src/probes/guard-marks.js';
import { accessLine, authError, dockerTs } from '../support/log-records.js';

// Pure: the correlator is told what the guard sends (begin/end) and asked about log records.

let now = 1_000_000;
const clock = (): number => now;

/** An auth record of this kind at `at` (from `ip`), and its match. */
const auth = (
  kind: string,
  at: number,
  ip?: string,
  message = 'user_api_key_auth(): Exception occured - x',
): [Match, LogRecord] => authError(kind, message, at, ip);

describe('GuardCorrelator', () => {
  it('attributes the access lines by the marker in their URL', () => {
    const c = new GuardCorrelator({ now: clock });
    const g = c.begin('no_key');
    expect(g.query).toMatch(new RegExp(`^${GUARD_MARKER_PARAM}=[0-9a-f]{16}$`));
    expect(c.attribute('litellm', ...accessLine(`/mcp/?${g.query}`, now, '10.0.0.5'))).toBe('probe');
    expect(c.attribute('litellm', ...accessLine('/mcp/', now, '10.0.0.5'))).toBe('external');
    // Another mcpwatch's guard: not a real client either.
    expect(c.attribute('litellm', ...accessLine(`/mcp/?${GUARD_MARKER_PARAM}=ffffffffffffffff`, now, '10.0.0.9'))).toBe(
      'probe',
    );
  });

  it('gives each guard request at most one auth record, of a kind its check can cause, in its window', () => {
    const c = new GuardCorrelator({ now: clock });
    const t0 = now;
    const g1 = c.begin('no_bearer_prefix');
    now += 20;
    g1.end();
    // a wrong kind for this check: not the guard's
    expect(c.attribute('litellm', ...auth('no_db', t0 + 10))).toBe('external');
    expect(c.attribute('litellm', ...auth('malformed_key', t0 + 10))).toBe('probe');
    // the request's one record is taken: a second one at the same moment is a real client's
    expect(c.attribute('litellm', ...auth('malformed_key', t0 + 11))).toBe('external');
  });

  it('a request LiteLLM did not log expires: it does not swallow a later real error', () => {
    const c = new GuardCorrelator({ now: clock, afterMs: 2_000 });
    const t0 = now;
    c.begin('wrong_key').end();
    now += 5_000;
    expect(c.attribute('litellm', ...auth('no_db', t0 + 5_000))).toBe('external');
  });

  it('once it has seen the address LiteLLM logs for the guard, a record from elsewhere is external', () => {
    const c = new GuardCorrelator({ now: clock });
    const g = c.begin('no_key');
    expect(c.attribute('litellm', ...accessLine(`/mcp/?${g.query}`, now, '172.18.0.5'))).toBe('probe');
    const g2 = c.begin('no_key');
    expect(c.attribute('litellm', ...auth('malformed_key', now, '172.18.0.9'))).toBe('external');
    expect(c.attribute('litellm', ...auth('malformed_key', now, '172.18.0.5'))).toBe('probe');
    g2.end();
  });

  it("an out_of_scope call's refusal (tool_not_allowed, logged with no requester line) is the guard's once", () => {
    const c = new GuardCorrelator({ now: clock });
    const refused = 'HTTPException in MCP tool call: 403: User not allowed to call this tool.';
    const g = c.begin('out_of_scope');
    // Its access line (200: the refusal is an error result) teaches the guard's address first.
    expect(c.attribute('litellm', ...accessLine(`/mcp/?${g.query}`, now, '172.18.0.5'))).toBe('probe');
    expect(c.attribute('litellm', ...auth('tool_not_allowed', now, undefined, refused))).toBe('probe');
    g.end();
    // The request's one record is taken: another key's refusal at the same moment is a real client's.
    expect(c.attribute('litellm', ...auth('tool_not_allowed', now, undefined, refused))).toBe('external');
  });

  it("recognises the guard's wrong key when LiteLLM quotes it", () => {
    const c = new GuardCorrelator({ now: clock });
    expect(
      c.attribute(
        'litellm',
        ...auth(
          'invalid_key',
          now,
          undefined,
          'Exception occured - Authentication Error, Invalid proxy server token passed. Received API Key = sk-mcpwatch-guard-0011',
        ),
      ),
    ).toBe('probe');
  });

  describe('whether the access lines reach the log (originCorrelation)', () => {
    it('per container: a record of one gateway given to a request sent to another judges the container it is in', () => {
      const c = new GuardCorrelator({ now: clock });
      // Two guards at the same moment, two gateways: the records may be given to either request.
      const a = c.begin('no_key');
      const b = c.begin('no_key');
      expect(c.attribute('plain', ...auth('malformed_key', now + 1, '10.0.0.5'))).toBe('probe');
      expect(c.attribute('quiet', ...auth('malformed_key', now + 2, '10.0.0.5'))).toBe('probe');
      // Only the plain gateway logs access lines; its line is b's, whose record went to the other.
      expect(c.attribute('plain', ...accessLine(`/mcp/?${b.query}`, now + 3, '10.0.0.5'))).toBe('probe');
      a.end();
      b.end();
      now += ACCESS_LINE_GRACE_MS + 1;
      expect(new Map(c.originCorrelation())).toEqual(
        new Map([
          ['plain', true],
          ['quiet', false],
        ]),
      );
    });

    it('nothing judged before a guard request was logged; true once its marked access line came', () => {
      const c = new GuardCorrelator({ now: clock });
      expect(c.originCorrelation().size).toBe(0);
      const g = c.begin('no_key');
      expect(c.attribute('litellm', ...auth('malformed_key', now + 5, '10.0.0.5'))).toBe('probe');
      now += 10;
      g.end();
      expect(c.attribute('litellm', ...accessLine(`/mcp/?${g.query}`, now, '10.0.0.5'))).toBe('probe');
      now += ACCESS_LINE_GRACE_MS + 1;
      expect([...c.originCorrelation()]).toEqual([['litellm', true]]);
    });

    it("false when the guard's auth record came with no marked access line within the grace period, true again when one comes", () => {
      const c = new GuardCorrelator({ now: clock });
      const g = c.begin('no_bearer_prefix');
      expect(c.attribute('litellm', ...auth('malformed_key', now + 5, '10.0.0.5'))).toBe('probe');
      now += 10;
      g.end();
      now += ACCESS_LINE_GRACE_MS - 20;
      expect(c.originCorrelation().size).toBe(0);
      now += 20;
      expect([...c.originCorrelation()]).toEqual([['litellm', false]]);
      // Access lines back (the variable removed): the next request's line restores it.
      const g2 = c.begin('no_key');
      expect(c.attribute('litellm', ...auth('malformed_key', now + 5, '10.0.0.5'))).toBe('probe');
      expect(c.attribute('litellm', ...accessLine(`/mcp/?${g2.query}`, now + 6, '10.0.0.5'))).toBe('probe');
      g2.end();
      expect([...c.originCorrelation()]).toEqual([['litellm', true]]);
      c.forget('litellm');
      expect(c.originCorrelation().size).toBe(0);
    });

    it('an access line no rule matched (a 400) counts as seen', () => {
      const c = new GuardCorrelator({ now: clock });
      const g = c.begin('no_key');
      expect(c.attribute('litellm', ...auth('malformed_key', now + 5, '10.0.0.5'))).toBe('probe');
      g.end();
      c.accessLine('litellm', accessLine(`/mcp/?${g.query}`, now + 6, '10.0.0.5', 400)[1]);
      now += ACCESS_LINE_GRACE_MS * 2;
      expect([...c.originCorrelation()]).toEqual([['litellm', true]]);
    });

    it('a request that reached no log (refused before LiteLLM, a connection error) judges nothing', () => {
      const c = new GuardCorrelator({ now: clock });
      c.begin('no_sso_token').end();
      c.begin('no_key').end();
      now += ACCESS_LINE_GRACE_MS * 3;
      expect(c.originCorrelation().size).toBe(0);
    });
  });

  it('leaves MCP errors alone', () => {
    const c = new GuardCorrelator({ now: clock });
    c.begin('no_key');
    expect(
      c.attribute(
        'litellm',
        { category: 'mcp', kind: 'request_failed', rule: 'x' },
        { stream: 'stderr', kind: 'litellm', ts: dockerTs(now), message: '', text: '', lines: 1 },
      ),
    ).toBe('external');
  });
});
