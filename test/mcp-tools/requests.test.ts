import { describe, expect, it } from 'vitest';
import { batchRefused, bodyFacts, bodyTooLarge } from '../../src/mcp-tools/requests.js';

// What mcpwatch reads of a body itself: the id its errors name, and whether it is a batch (refused).
// Everything else about a body (not JSON, not JSON-RPC, bad params) the SDK answers: see
// test/server/routes/mcp.test.ts.

describe('bodyFacts', () => {
  it.each([
    ['a request with a number id', '{"jsonrpc":"2.0","id":7,"method":"ping"}', { id: 7, batch: false }],
    ['a request with a string id', '{"jsonrpc":"2.0","id":"a-1","method":"ping"}', { id: 'a-1', batch: false }],
    ['an id even where JSON-RPC is wrong', '{"jsonrpc":"1.0","id":3}', { id: 3, batch: false }],
    ['a notification (no id)', '{"jsonrpc":"2.0","method":"notifications/initialized"}', { batch: false }],
    ['an id that is not one (null, an object)', '{"jsonrpc":"2.0","id":null}', { batch: false }],
    ['an object id', '{"jsonrpc":"2.0","id":{"a":1}}', { batch: false }],
    ['malformed JSON', '{"jsonrpc":"2.0","id":1,', { batch: false }],
    ['an empty body', '', { batch: false }],
    ['a number', '42', { batch: false }],
    ['a batch', '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', { batch: true }],
    ['an empty batch', '[]', { batch: true }],
  ])('%s', (_what, body, facts) => {
    expect(bodyFacts(body)).toEqual(facts);
    expect(bodyFacts(Buffer.from(body))).toEqual(facts);
  });

  it('no body at all', () => {
    expect(bodyFacts(undefined)).toEqual({ batch: false });
  });
});

describe("mcpwatch's own refusals", () => {
  it('a batch: 400 -32600, saying why', () => {
    expect(batchRefused()).toEqual({
      status: 400,
      code: -32600,
      message: 'Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18): send one message',
    });
  });

  it('a body over the limit: 413 -32600 with the limit', () => {
    expect(bodyTooLarge(1024 * 1024)).toEqual({
      status: 413,
      code: -32600,
      message: 'Invalid Request: the body is larger than 1024 KiB',
    });
  });
});
