import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/parse.js';

// Property tests: whatever text or structure it is given, the config parser answers with a
// config or with problems; it never throws, and every problem has a path and a message.

function check(text: string, env: Record<string, string> = {}): void {
  const r = parseConfig(text, env);
  if (!r.ok) {
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) {
      expect(typeof p.path).toBe('string');
      expect(p.message.length).toBeGreaterThan(0);
    }
  }
}

const key = fc.constantFrom(
  'listen',
  'logLevel',
  'stateDir',
  'targets',
  'probes',
  'logs',
  'mcpServer',
  'web',
  'allowedOrigins',
  'allowedHosts',
  'tokenFile',
  'enabled',
  'maxConcurrentProbes',
  'url',
  'apiKey',
  'type',
  'name',
  'target',
  'every',
  'schedule',
  'timeout',
  'expect',
  'status',
  'tools',
  'containers',
  'regex',
  'servers',
  'x',
);
const scalar = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '10s',
    '*/5 * * * * *',
    'http://x',
    '${VAR}',
    '${MISSING:-d}',
    '$$',
    'http',
    'mcp_catalog',
    'auth_guard',
    '(',
    '0.0.0.0:1',
  ),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(key, tie('v'), { maxKeys: 5 }),
  ),
})).v;

describe('config parser fuzz', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => check(text)),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary YAML structures', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 8 }), (obj) => check(stringify(obj), { VAR: 'v' })),
      { numRuns: 500 },
    );
  });

  it('never throws on mutations of a valid config', () => {
    const base = `targets:\n  t: { url: "http://x", apiKey: k }\nprobes:\n  - { name: a, type: http, target: t, every: 10s }\n`;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length }), fc.string({ maxLength: 20 }), (at, insert) =>
        check(base.slice(0, at) + insert + base.slice(at)),
      ),
      { numRuns: 500 },
    );
  });
});
