import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  isProtocolViolation,
  isSchemaError,
  SERVER_OUTCOMES_KEY,
  sentAuth,
  serverOutcomesOf,
  shortMessage,
} from '../../../src/probes/mcp/responses.js';

describe('sentAuth', () => {
  it.each<[string, Record<string, string>, string | undefined, string]>([
    ['no header', {}, undefined, 'none'],
    ['an empty one', { authorization: '  ' }, undefined, 'none'],
    ['Bearer, any case of name and scheme', { Authorization: 'bearer sk-1' }, undefined, 'bearer'],
    ['a bare key', { authorization: 'sk-1' }, undefined, 'no_scheme'],
    ['another scheme', { authorization: 'Basic dXNlcjpwdw==' }, undefined, 'other_scheme'],
    [
      'the key in its own header',
      { 'x-litellm-api-key': 'Bearer sk-1', authorization: 'sso' },
      'x-litellm-api-key',
      'bearer',
    ],
    ['nothing in that header', { authorization: 'Bearer sso' }, 'x-litellm-api-key', 'none'],
  ])('%s', (_what, headers, keyHeader, out) => {
    expect(keyHeader === undefined ? sentAuth(headers) : sentAuth(headers, keyHeader)).toBe(out);
  });
});

describe('serverOutcomesOf', () => {
  it('reads the per-server outcomes a gateway sends, and nothing else', () => {
    const outcomes = { alpha: { status: 'ok' } };
    expect(serverOutcomesOf({ [SERVER_OUTCOMES_KEY]: outcomes })).toBe(outcomes);
    expect(serverOutcomesOf({ [SERVER_OUTCOMES_KEY]: [1] })).toBeUndefined();
    expect(serverOutcomesOf({ [SERVER_OUTCOMES_KEY]: 'x' })).toBeUndefined();
    expect(serverOutcomesOf(undefined)).toBeUndefined();
  });
});

describe('schema errors and short messages', () => {
  const message = z.union([
    z.object({ jsonrpc: z.literal('2.0'), id: z.number(), result: z.object({}) }),
    z.object({ jsonrpc: z.literal('2.0'), method: z.string() }),
  ]);
  const zodError = (): Error => {
    const r = message.safeParse({ jsonrpc: '2.0', id: 'x', result: {} });
    if (r.success) throw new Error('expected a schema error');
    return r.error;
  };

  it('a zod error is a schema error and a protocol violation, in one line: the first failing field', () => {
    const err = zodError();
    expect(isSchemaError(err)).toBe(true);
    expect(isProtocolViolation(err)).toBe(true);
    expect(shortMessage(err)).toMatch(/^not a valid MCP message \(id: .+\)$/);
  });

  it('a SyntaxError is a protocol violation; other errors are neither', () => {
    expect(isProtocolViolation(new SyntaxError('Unexpected token'))).toBe(true);
    expect(isSchemaError(new SyntaxError('x'))).toBe(false);
    expect(isProtocolViolation(new Error('socket hang up'))).toBe(false);
  });

  it('shortMessage: one line, cut at max', () => {
    expect(shortMessage(new Error('a\n  b\tc'))).toBe('a b c');
    expect(shortMessage('x'.repeat(30), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
