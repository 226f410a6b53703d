import { describe, expect, it } from 'vitest';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { extraRule, firstLine, firstLines, type Rule, RuleSet } from '../../src/logs/rules.js';
import { recordWith } from '../support/log-records.js';

/** A rule that matches records whose text contains `word`. */
const rule = (name: string, category: Rule['category'], when: Rule['when'], word: string): Rule => ({
  name,
  category,
  when,
  match: (r) => (r.text.includes(word) ? { kind: name, ...(word === 'srv' && { server: 'mcp_x' }) } : undefined),
});

describe('RuleSet', () => {
  it('extra rules from the config match first lines, before the built-in ones', () => {
    const rs = new RuleSet([
      extraRule({ name: 'teapot', category: 'http', kind: 'teapot', regex: '" 4\\d\\d ' }),
      ...litellmRules(),
    ]);
    expect(
      rs.atStart(
        recordWith({
          kind: 'access',
          text: 'INFO:     1.2.3.4:5 - "GET / HTTP/1.1" 401 x',
          http: { method: 'GET', path: '/', status: 401 },
        }),
      ),
    ).toEqual([{ category: 'http', kind: 'teapot', rule: 'teapot' }]);
  });

  const rs = new RuleSet([
    rule('a1', 'auth', 'start', 'boom'),
    rule('a2', 'auth', 'start', 'boom'),
    rule('m1', 'mcp', 'start', 'srv'),
    rule('r1', 'auth', 'requester', 'boom'),
    rule('r2', 'mcp', 'requester', 'boom'),
    rule('e1', 'http', 'end', 'boom'),
    rule('e2', 'auth', 'end', 'boom'),
  ]);

  it.each([
    ['start: the first rule of each category', 'boom srv', 'start', [], ['a1', 'm1']],
    ['start: nothing matches', 'quiet', 'start', [], []],
    ['requester: categories not matched before', 'boom', 'requester', ['auth'], ['r2']],
    ['requester: all matched before', 'boom', 'requester', ['auth', 'mcp'], []],
    ['end: categories not matched before', 'boom', 'end', ['auth'], ['e1']],
    ['end: none matched before', 'boom', 'end', [], ['e1', 'e2']],
  ] as const)('%s', (_name, text, when, before, rules) => {
    const r = recordWith({ text });
    const matched = before.map((category) => ({ category, kind: 'x', rule: 'x' }));
    const got =
      when === 'start' ? rs.atStart(r) : when === 'requester' ? rs.atRequester(r, matched) : rs.atEnd(r, matched);
    expect(got.map((m) => m.rule)).toEqual(rules);
  });

  it('gives the server a rule names, and nothing for a duplicate record', () => {
    expect(rs.atStart(recordWith({ text: 'srv' }))).toEqual([
      { category: 'mcp', kind: 'm1', rule: 'm1', server: 'mcp_x' },
    ]);
    expect(rs.atStart(recordWith({ text: 'boom srv', duplicate: true }))).toEqual([]);
    expect(rs.atEnd(recordWith({ text: 'boom', duplicate: true }), [])).toEqual([]);
  });

  it('an extra rule reads the first line only', () => {
    const x = new RuleSet([extraRule({ name: 'x', category: 'mcp', kind: 'k', regex: 'needle' })]);
    expect(x.atStart(recordWith({ text: 'needle here\nmore' })).map((m) => m.kind)).toEqual(['k']);
    expect(x.atStart(recordWith({ text: 'first\nneedle on the second line' }))).toEqual([]);
  });
});

describe('first lines', () => {
  it.each([
    ['one line', 'one line'],
    ['first\nsecond', 'first'],
    ['', ''],
  ])('firstLine(%j) = %j', (text, want) => expect(firstLine(text)).toBe(want));

  it.each([
    ['a\nb\nc', 2, 500, 'a\nb'],
    ['a', 2, 500, 'a'],
    ['a\nb\nc', 1, 500, 'a'],
    ['x'.repeat(600), 2, 500, `${'x'.repeat(500)}…`],
    ['abc\ndef', 2, 5, 'abc\nd…'],
  ])('firstLines(%j, %i, %i)', (text, n, max, want) => expect(firstLines(text, n, max)).toBe(want));
});
