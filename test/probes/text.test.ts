import { describe, expect, it } from 'vitest';
import { checkText, excerpt, statusText, stripMcpErrorPrefix } from '../../src/probes/text.js';

// The words of the reasons probes give: statuses, expectations on text, excerpts of bodies, JSON-RPC errors.

describe('statusText', () => {
  it.each([
    [200, '200 OK'],
    [404, '404 Not Found'],
    [307, '307 Temporary Redirect'],
    [599, '599'],
  ])('%i → %s', (status, text) => expect(statusText(status)).toBe(text));
});

describe('checkText', () => {
  it('passes when every expectation holds, or there is none', () => {
    expect(checkText('all healthy here', {}, 'body')).toBeUndefined();
    expect(checkText('all healthy here', { contains: 'healthy', matches: '^all .* here$' }, 'body')).toBeUndefined();
    expect(checkText('', { contains: '' }, 'body')).toBeUndefined();
  });

  it('contains: says what was wanted and quotes what came (contains is checked first)', () => {
    expect(checkText('degraded', { contains: 'healthy', matches: 'x' }, 'response body')).toBe(
      'response body does not contain "healthy": got "degraded"',
    );
  });

  it('matches: the pattern as written', () => {
    expect(checkText('v1.2', { matches: '^v2\\.' }, 'tool result')).toBe(
      'tool result does not match /^v2\\./: got "v1.2"',
    );
  });

  it('an empty or blank text is said to be empty; a long one is quoted in 80 characters', () => {
    expect(checkText('  \n', { contains: 'x' }, 'body')).toBe('body does not contain "x" (empty)');
    const long = `${'a'.repeat(100)}\n\n${'b'.repeat(10)}`;
    expect(checkText(long, { contains: 'x' }, 'body')).toBe(`body does not contain "x": got "${'a'.repeat(80)}…"`);
  });
});

describe('excerpt', () => {
  it('one line: whitespace runs become one space, ends trimmed', () => {
    expect(excerpt('  a\n\tb   c \r\n')).toBe('a b c');
  });

  it('cut at max characters with an ellipsis; 120 by default', () => {
    expect(excerpt('x'.repeat(120))).toBe('x'.repeat(120));
    expect(excerpt('x'.repeat(121))).toBe(`${'x'.repeat(120)}…`);
    expect(excerpt('abcdef', 3)).toBe('abc…');
  });
});

describe('stripMcpErrorPrefix', () => {
  it.each([
    ['MCP error -32602: Tool x not found', 'Tool x not found'],
    ['MCP error -32603: MCP error -32602: Tool x not found', 'Tool x not found'],
    ['MCP error 5: odd', 'odd'],
    ['Tool x not found', 'Tool x not found'],
    ['see MCP error -1: in the middle', 'see MCP error -1: in the middle'],
  ])('%s', (message, stripped) => expect(stripMcpErrorPrefix(message)).toBe(stripped));
});
