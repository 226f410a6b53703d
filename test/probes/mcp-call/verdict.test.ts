import { describe, expect, it } from 'vitest';
import { checkCallResult, resultText } from '../../../src/probes/mcp-call/verdict.js';

describe('checkCallResult', () => {
  const text = (t: string, isError?: boolean) => ({
    content: [{ type: 'text', text: t }],
    ...(isError !== undefined && { isError }),
  });
  const expect0 = { isError: false };

  it('ok, with contains and matches on the text content', () => {
    expect(
      checkCallResult('e-echo', { isError: false, contains: 'hi', matches: '^Echo: ' }, text('Echo: hi', false)),
    ).toMatchObject({ outcome: 'ok', reason: 'e-echo returned Echo: hi' });
    expect(checkCallResult('e-echo', { isError: false, contains: 'bye' }, text('Echo: hi'))).toMatchObject({
      outcome: 'expectation_failed',
      reason: 'e-echo result does not contain "bye": got "Echo: hi"',
    });
  });

  it("isError is tool_error with the tool's message; expected errors pass; success when an error was expected fails", () => {
    expect(checkCallResult('fs-read', expect0, text('ENOENT: no such file', true))).toMatchObject({
      outcome: 'tool_error',
      reason: 'fs-read failed: ENOENT: no such file',
    });
    expect(
      checkCallResult('fs-read', { isError: true, contains: 'ENOENT' }, text('ENOENT: no such file', true)).outcome,
    ).toBe('ok');
    expect(checkCallResult('fs-read', { isError: true }, text('fine')).outcome).toBe('expectation_failed');
  });

  it('LiteLLM 1.77 wraps an upstream JSON-RPC error in a result with isError: false: still a tool_error', () => {
    // Captured from 1.77.1: tools/call of an unknown tool.
    const r = checkCallResult('mcp_fs-nope', expect0, text('MCP error -32602: Tool nope not found', false));
    expect(r).toMatchObject({
      outcome: 'tool_error',
      reason: 'mcp_fs-nope failed: MCP error -32602: Tool nope not found (reported by the gateway with isError: false)',
    });
    // Captured from 1.77.1: tools/call of a tool of an upstream that exits at start.
    expect(checkCallResult('mcp_broken-x', expect0, text('MCP client session is not initialized', false)).outcome).toBe(
      'tool_error',
    );
    // 1.77.1 also answers "Access denied" with isError: false; only an expectation catches that.
    expect(
      checkCallResult('mcp_fs-read', expect0, text('Access denied - path outside allowed directories', false)).outcome,
    ).toBe('ok');
  });

  it('text is the text content, else structured content as JSON', () => {
    expect(resultText({ content: [{ type: 'image' }, { type: 'text', text: 'a' }, { type: 'text', text: 'b' }] })).toBe(
      'a\nb',
    );
    expect(resultText({ content: [], structuredContent: { n: 1 } })).toBe('{"n":1}');
  });
});
