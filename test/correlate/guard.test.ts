import { describe, expect, it } from 'vitest';
import { GuardCorrelator } from '../../src/correlate/guard.js';
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
