import { describe, expect, it } from 'vitest';
import { formatIssue, suggest } from '../../src/config/issues.js';
import { configSchema } from '../../src/config/schema.js';

const TYPES = 'http, mcp_catalog, mcp_call, auth_guard, client_config';

/** The config's real zod issues for `raw`, each as `path: message` (the path's segments joined by dots). */
function issues(raw: Record<string, unknown>): string[] {
  const r = configSchema.safeParse(raw);
  if (r.success) throw new Error(`expected issues, ${JSON.stringify(raw)} is valid`);
  return r.error.issues.flatMap((i) => formatIssue(i, raw)).map((p) => `${p.segs.join('.')}: ${p.message}`);
}

const probe = (more: Record<string, unknown>) => ({ probes: [{ name: 'a', target: 'lan', ...more }] });

describe('formatIssue, through the config schema', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown key close to an allowed one', { listn: 'x' }, 'listn: unknown key (did you mean "listen"?)'],
    [
      "an unknown key in a probe: its type's keys",
      probe({ type: 'http', expect: { statuss: [200] } }),
      'probes.0.expect.statuss: unknown key (did you mean "status"?)',
    ],
    [
      'an unknown key far from any allowed one lists them',
      { targets: { lan: { url: 'http://x', tls: { insecure: true } } } },
      'targets.lan.tls.insecure: unknown key (allowed: insecureSkipVerify, caFile, certFile, keyFile, serverName)',
    ],
    [
      'an unknown probe type',
      probe({ type: 'grpc' }),
      `probes.0.type: unknown probe type "grpc" (expected one of ${TYPES})`,
    ],
    ['a type that is no string', probe({ type: 5 }), `probes.0.type: unknown probe type 5 (expected one of ${TYPES})`],
    ['no probe type', probe({}), `probes.0.type: required: one of ${TYPES}`],
    ['a missing field', probe({ type: 'mcp_call' }), 'probes.0.tool: required'],
    ['a mapping for a list', { probes: { a: 1 } }, 'probes: expected array, got a mapping'],
    ['a string for a mapping', { probes: ['x'] }, 'probes.0: expected object, got string "x"'],
    ['a number for a string', { listen: 5 }, 'listen: expected string, got number 5'],
    [
      "the field's own words for a wrong type",
      probe({ type: 'http', timeout: 5 }),
      'probes.0.timeout: expected a duration such as 500ms, 10s or 5m',
    ],
    [
      'a value not in the enum',
      { logLevel: 'loud' },
      'logLevel: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    ],
    ['an empty string', { stateDir: '' }, 'stateDir: must not be empty'],
    ['an empty list', probe({ type: 'auth_guard', checks: [] }), 'probes.0.checks: must list at least 1 item'],
    ['a number too small', { maxConcurrentProbes: 0 }, 'maxConcurrentProbes: must be at least 1'],
    ['a number too big', { maxConcurrentProbes: 1001 }, 'maxConcurrentProbes: must be at most 1000'],
    ['a path without its leading /', probe({ type: 'http', path: 'x' }), 'probes.0.path: must start with /'],
    [
      'a header name that is no header name',
      { targets: { lan: { url: 'http://x', apiKeyHeader: 'x key' } } },
      'targets.lan.apiKeyHeader: invalid HTTP header name',
    ],
    [
      "a refinement's own message",
      { targets: { lan: { url: 'ftp://x' } } },
      'targets.lan.url: URL must be http:// or https://, got "ftp:"',
    ],
  ])('%s', (_what, raw, expected) => {
    expect(issues(raw)).toEqual([expected]);
  });

  it('one unknown key, one problem each', () => {
    expect(issues({ listn: 'x', logLevl: 'info' })).toEqual([
      'listn: unknown key (did you mean "listen"?)',
      'logLevl: unknown key (did you mean "logLevel"?)',
    ]);
  });

  it.each<[Record<string, unknown>, string]>([
    [
      { targets: { '-bad': { url: 'http://x' } } },
      'targets.-bad: key "-bad": use letters, digits and _ . : - (starting with a letter or digit)',
    ],
    [
      { targets: { lan: { url: 'http://x', headers: { 'a b': 'x' } } } },
      'targets.lan.headers.a b: key "a b": invalid HTTP header name',
    ],
  ])('a key a record refuses is named: %j', (raw, expected) => {
    expect(issues(raw)).toEqual([expected]);
  });
});

describe('suggest', () => {
  const KEYS = ['listen', 'logLevel', 'stateDir', 'targets', 'probes'];

  it.each<[string, readonly string[], string | undefined]>([
    ['listn', KEYS, 'listen'],
    ['LISTEN', KEYS, 'listen'],
    ['loglevel', KEYS, 'logLevel'],
    ['target', KEYS, 'targets'],
    ['prboes', KEYS, 'probes'],
    ['zzzzzzzz', KEYS, undefined],
    ['x', ['y'], 'y'],
    ['ab', ['xy'], undefined],
    ['tiemout', ['timeout', 'tls'], 'timeout'],
    ['tmout', ['timeout', 'tls'], undefined],
    ['anything', [], undefined],
  ])('%s among %j → %s', (word, candidates, expected) => {
    expect(suggest(word, candidates)).toBe(expected);
  });

  it('a short word allows one edit, a longer one an edit per three letters', () => {
    expect(suggest('lstn', ['listen'])).toBeUndefined();
    expect(suggest('listn', ['listen'])).toBe('listen');
    expect(suggest('maxConcurentProbs', ['maxConcurrentProbes'])).toBe('maxConcurrentProbes');
  });

  it('a tie goes to the first candidate', () => {
    expect(suggest('ab', ['ax', 'ay'])).toBe('ax');
  });
});
