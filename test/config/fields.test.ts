import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  cronExpr,
  duration,
  headers,
  hostPort,
  httpUrl,
  nameField,
  parseListen,
  regex,
} from '../../src/config/fields.js';

/** The messages of the issues a field raises for `value` ([] when it accepts it). */
function messages(schema: z.ZodType, value: unknown): string[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => i.message);
}

// What the duration field accepts: test/config/duration.test.ts (the table of parseDuration, both checked).
describe('duration', () => {
  it.each<[unknown, string]>([
    ['10x', 'invalid duration "10x" (expected a number with a unit: ms, s, m or h, e.g. 500ms, 10s, 5m)'],
    ['0s', 'duration "0s" must be greater than zero'],
    [5, 'expected a duration such as 500ms, 10s or 5m'],
    [null, 'expected a duration such as 500ms, 10s or 5m'],
  ])('refuses %j: %s', (value, message) => {
    expect(messages(duration, value)).toEqual([message]);
  });
});

describe('httpUrl', () => {
  it.each(['http://gw', 'https://litellm.example.com:4000/base', 'http://[::1]:4000'])('accepts %s', (url) => {
    expect(messages(httpUrl, url)).toEqual([]);
  });

  it.each<[string, string[]]>([
    ['nope', ['invalid URL "nope"']],
    ['http://', ['invalid URL "http://"']],
    ['litellm:4000', ['URL must be http:// or https://, got "litellm:"']],
    ['ftp://gw', ['URL must be http:// or https://, got "ftp:"']],
    ['http://u:p@gw', ['put credentials in apiKey/apiKeyFile, not in the URL']],
    ['http://u@gw', ['put credentials in apiKey/apiKeyFile, not in the URL']],
    [
      'ws://u:p@gw',
      ['URL must be http:// or https://, got "ws:"', 'put credentials in apiKey/apiKeyFile, not in the URL'],
    ],
  ])('refuses %s', (url, expected) => {
    expect(messages(httpUrl, url)).toEqual(expected);
  });
});

describe('parseListen', () => {
  it.each<[string, { host: string; port: number } | undefined]>([
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
    ['127.0.0.1:1', { host: '127.0.0.1', port: 1 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    [':9464', { host: '0.0.0.0', port: 9464 }],
    ['[::]:9464', { host: '::', port: 9464 }],
    ['[::1]:80', { host: '::1', port: 80 }],
    ['  gw:80  ', { host: 'gw', port: 80 }],
    ['9464', undefined],
    ['gw', undefined],
    ['gw:', undefined],
    ['gw:65536', undefined],
    ['gw:123456', undefined],
    ['gw:-1', undefined],
    ['::1:80', undefined],
    ['[gw]:80', undefined],
    ['g w:80', undefined],
  ])('%j → %j', (text, expected) => {
    expect(parseListen(text)).toEqual(expected);
  });

  it('hostPort refuses what parseListen cannot read', () => {
    expect(messages(hostPort, '0.0.0.0:9464')).toEqual([]);
    expect(messages(hostPort, '9464')).toEqual(['expected host:port (e.g. 0.0.0.0:9464 or [::]:9464), got "9464"']);
  });
});

describe('nameField', () => {
  it.each(['a', 'Z', '0', 'probe-1', 'gw.lan:mcp_fs', 'A_b.c:d-e'])('accepts %j', (name) => {
    expect(messages(nameField, name)).toEqual([]);
  });

  it.each(['', '-a', '_a', '.a', ':a', 'a b', 'a/b', 'ä'])('refuses %j', (name) => {
    expect(messages(nameField, name)).toEqual(['use letters, digits and _ . : - (starting with a letter or digit)']);
  });
});

describe('regex', () => {
  it.each(['^ok$', 'a|b', '\\d+', '(?<n>x)'])('accepts %j', (re) => {
    expect(messages(regex, re)).toEqual([]);
  });

  it.each<[string, string]>([
    ['(', 'invalid regular expression: /(/: Unterminated group'],
    ['[a', 'invalid regular expression: /[a/: Unterminated character class'],
    ['*', 'invalid regular expression: /*/: Nothing to repeat'],
  ])('refuses %j', (re, message) => {
    expect(messages(regex, re)).toEqual([message]);
  });
});

describe('cronExpr', () => {
  it('accepts 5 and 6 fields', () => {
    expect(messages(cronExpr, '*/5 * * * *')).toEqual([]);
    expect(messages(cronExpr, '*/10 * * * * *')).toEqual([]);
  });

  it('refuses a bad expression, naming it', () => {
    expect(messages(cronExpr, '* *')).toEqual(['invalid cron expression "* *": expected 5 or 6 fields but got 2']);
  });
});

describe('headers', () => {
  it('accepts names of token characters with string values', () => {
    expect(headers.parse({ 'X-Api-Key': 'v', "a!#$%&'*+-.^_`|~0": '' })).toEqual({
      'X-Api-Key': 'v',
      "a!#$%&'*+-.^_`|~0": '',
    });
  });

  it.each([{ 'a b': 'v' }, { 'a:b': 'v' }, { '': 'v' }])('refuses the name in %j', (h) => {
    expect(headers.safeParse(h).error?.issues).toMatchObject([
      { code: 'invalid_key', issues: [{ message: 'invalid HTTP header name' }] },
    ]);
  });

  it('refuses a value that is not a string', () => {
    expect(messages(headers, { 'x-n': 5 })).toEqual(['header values must be strings']);
  });
});
