import { describe, expect, it } from 'vitest';
import { format } from '../../../src/probes/mcp-call/format.js';

describe('mcp_call format', () => {
  it("the tool's text, then the rest as JSON", () => {
    expect(format({ tool: 'fs-read', isError: false, textBytes: 5, text: 'hello' })).toEqual([
      'text:     hello',
      'details:  {"tool":"fs-read","isError":false,"textBytes":5}',
    ]);
  });

  it('an empty text still has its line', () => {
    expect(format({ tool: 'fs-read', isError: true, textBytes: 0, text: '' })).toEqual([
      'text:     ',
      'details:  {"tool":"fs-read","isError":true,"textBytes":0}',
    ]);
  });

  it.each([
    ['a JSON-RPC error', { jsonRpcError: -32602 }],
    ["the gateway's refusal", { status: 403, body: 'Forbidden' }],
  ])('%s has no lines of its own', (_what, d) => {
    expect(format(d)).toBeUndefined();
  });
});
