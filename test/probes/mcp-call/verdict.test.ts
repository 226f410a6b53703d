import { describe, expect, it } from 'vitest';
import {
  asksAboutServer,
  checkCallResult,
  noResponseReason,
  resultText,
} from '../../../src/probes/mcp-call/verdict.js';
import { NO_PREFIX } from '../../../src/probes/tool-servers.js';

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
    // Captured from 1.77.1: tools/call of a tool of an upstream that exits at start (its server named below).
    expect(checkCallResult('mcp_broken-x', expect0, text('MCP client session is not initialized', false)).outcome).toBe(
      'tool_error',
    );
    // 1.77.1 also answers "Access denied" with isError: false; only an expectation catches that.
    expect(
      checkCallResult('mcp_fs-read', expect0, text('Access denied - path outside allowed directories', false)).outcome,
    ).toBe('ok');
  });

  // The tool's server down, in the gateway's words (test/fixtures/litellm/*/responses.json, mcp_broken_upstream):
  // 1.77.1 says it has no session to it; 1.108.7 and 1.109.1 say "Tool x not found", as for an unknown tool of an
  // up server, and only their tools/list's status of the server tells the two apart.
  it.each([
    [
      '1.77.1: no session, the server named',
      text('MCP client session is not initialized', false),
      { name: 'ev' },
      'ev-echo failed: server ev is down: the gateway has no session to it (its words: MCP client session is not initialized)',
    ],
    [
      '1.77.1: no session, a tool without a server prefix',
      text('MCP client session is not initialized', false),
      { name: NO_PREFIX },
      "ev-echo failed: the tool's server is down: the gateway has no session to it (its words: MCP client session is not initialized)",
    ],
    [
      '1.109.1: not found, tools/list says internal',
      text('Error: Tool echo not found', true),
      { name: 'ev', status: 'internal' },
      'ev-echo failed: server ev is down: the gateway could not list its tools (internal), so it does not know the tool (its words: Error: Tool echo not found)',
    ],
    [
      '1.109.1: not found, the name quoted (another server in x-mcp-servers), tools/list says internal',
      text("Error: Tool 'echo' not found", true),
      { name: 'ev', status: 'internal' },
      "ev-echo failed: server ev is down: the gateway could not list its tools (internal), so it does not know the tool (its words: Error: Tool 'echo' not found)",
    ],
    [
      '1.109.1: not found, tools/list says ok (an unknown tool of an up server)',
      text('Error: Tool echo not found', true),
      { name: 'ev', status: 'ok' },
      'ev-echo failed: Error: Tool echo not found',
    ],
    [
      '1.109.1: not found, nothing known of the server',
      text('Error: Tool echo not found', true),
      { name: 'ev' },
      'ev-echo failed: Error: Tool echo not found',
    ],
    [
      '1.77.1: an unknown tool of an up server is not a server down',
      text('MCP error -32602: Tool echo not found', false),
      { name: 'ev', status: 'internal' },
      'ev-echo failed: MCP error -32602: Tool echo not found (reported by the gateway with isError: false)',
    ],
    [
      "another failure of a tool whose server is down by tools/list: the tool's words",
      text('permission denied', true),
      { name: 'ev', status: 'internal' },
      'ev-echo failed: permission denied',
    ],
  ])('%s', (_what, r, server, reason) => {
    expect(checkCallResult('ev-echo', expect0, r, server)).toMatchObject({ outcome: 'tool_error', reason });
  });

  it('the server is asked about only for 1.108+\'s "Tool x not found" of a call expected to succeed', () => {
    expect(asksAboutServer(expect0, text('Error: Tool echo not found', true))).toBe(true);
    expect(asksAboutServer({ isError: true }, text('Error: Tool echo not found', true))).toBe(false);
    expect(asksAboutServer(expect0, text('MCP client session is not initialized', false))).toBe(false);
    expect(asksAboutServer(expect0, text('MCP error -32602: Tool echo not found', false))).toBe(false);
    expect(asksAboutServer(expect0, text('Error: Tool echo not found', false))).toBe(false);
    // With the server down, an expected failure is still what was wanted.
    expect(
      checkCallResult('ev-echo', { isError: true }, text('MCP client session is not initialized', false), {
        name: 'ev',
      }).outcome,
    ).toBe('ok');
  });

  it('text is the text content, else structured content as JSON', () => {
    expect(resultText({ content: [{ type: 'image' }, { type: 'text', text: 'a' }, { type: 'text', text: 'b' }] })).toBe(
      'a\nb',
    );
    expect(resultText({ content: [], structuredContent: { n: 1 } })).toBe('{"n":1}');
  });
});

describe('noResponseReason', () => {
  const answer =
    '500 Internal Server Error from gw: {"code":-32600,"message":"Error processing request: No response received"}';

  it("names the tool's server as down when the gateway got no response from it (LiteLLM 1.77, by timing)", () => {
    expect(noResponseReason('ev-echo', 'ev', answer)).toBe(
      `ev-echo failed: server ev is down: the gateway got no response from it (its answer: ${answer})`,
    );
    expect(noResponseReason('echo', NO_PREFIX, answer)).toMatch(/^echo failed: the tool's server is down: /);
  });

  it('leaves other HTTP errors alone', () => {
    expect(noResponseReason('ev-echo', 'ev', '502 Bad Gateway from gw')).toBeUndefined();
  });
});
