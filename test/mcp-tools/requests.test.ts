import type { JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { bodyTooLarge, invalidParams, readJsonRpcBody } from '../../src/mcp-tools/requests.js';

describe('readJsonRpcBody: what is not JSON-RPC gets a JSON-RPC error', () => {
  it.each([
    ['malformed JSON', '{"jsonrpc":"2.0","id":1,"method":', 400, -32700, 'Parse error: the body is not valid JSON'],
    ['an empty body', '', 400, -32700, 'Parse error: the body is empty (send a JSON-RPC message)'],
    [
      'a message without "jsonrpc"',
      '{"id":1,"method":"tools/list"}',
      400,
      -32600,
      'Invalid Request: "jsonrpc" must be "2.0" (got none)',
    ],
    [
      '"jsonrpc": "1.0"',
      '{"jsonrpc":"1.0","id":1,"method":"tools/list"}',
      400,
      -32600,
      'Invalid Request: "jsonrpc" must be "2.0" (got "1.0")',
    ],
    ['a number', '42', 400, -32600, 'Invalid Request: a JSON-RPC message is an object'],
    ['an empty batch', '[]', 400, -32600, 'Invalid Request: an empty batch'],
    [
      'a batch with a bad message',
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"id":2}]',
      400,
      -32600,
      'Invalid Request: message 2 of the batch: "jsonrpc" must be "2.0" (got none)',
    ],
    [
      'a non-string method',
      '{"jsonrpc":"2.0","id":1,"method":7}',
      400,
      -32600,
      'Invalid Request: "method" must be a string',
    ],
    [
      'JSON-RPC 2.0 that is neither request, notification nor response',
      '{"jsonrpc":"2.0","id":1}',
      400,
      -32600,
      'Invalid Request: not a JSON-RPC 2.0 request, notification or response',
    ],
  ])('%s: the HTTP status and JSON-RPC error listed', (_what, body, status, code, message) => {
    expect(readJsonRpcBody(body)).toEqual({ ok: false, rejected: { status, code, message } });
    expect(readJsonRpcBody(Buffer.from(body))).toEqual({ ok: false, rejected: { status, code, message } });
  });

  it('reads no body as an empty one', () => {
    expect(readJsonRpcBody(undefined)).toMatchObject({ ok: false, rejected: { code: -32700 } });
  });

  it('does not echo the body in a parse error (it may hold a key)', () => {
    const r = readJsonRpcBody('{"jsonrpc":"2.0","auth":"sk-secret-0123456789abcdef"');
    expect(JSON.stringify(r)).not.toContain('sk-secret');
  });

  it('passes a message and a batch on as parsed', () => {
    const one = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    expect(readJsonRpcBody(Buffer.from(JSON.stringify(one)))).toEqual({ ok: true, message: one });
    const batch = [one, { jsonrpc: '2.0', method: 'notifications/initialized' }];
    expect(readJsonRpcBody(JSON.stringify(batch))).toEqual({ ok: true, message: batch });
  });
});

describe('bodyTooLarge', () => {
  it('is HTTP 413, -32600, with the limit in KiB', () => {
    expect(bodyTooLarge(1024 * 1024)).toEqual({
      status: 413,
      code: -32600,
      message: 'Invalid Request: the body is larger than 1024 KiB',
    });
  });
});

describe('invalidParams', () => {
  const request = (r: Record<string, unknown>): JSONRPCRequest => r as unknown as JSONRPCRequest;

  it.each([
    [
      'tools/call without params',
      { jsonrpc: '2.0', id: 5, method: 'tools/call' },
      'Invalid params for tools/call: params: Invalid input: expected object, received undefined',
    ],
    [
      'tools/call without a name',
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { arguments: {} } },
      'Invalid params for tools/call: params.name: Invalid input: expected string, received undefined',
    ],
    [
      'initialize without clientInfo',
      { jsonrpc: '2.0', id: 5, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {} } },
      'Invalid params for initialize: params.clientInfo: Invalid input: expected object, received undefined',
    ],
  ])('%s: -32602 Invalid params (not -32603)', (_what, msg, text) => {
    expect(invalidParams(request(msg))).toEqual({ code: -32602, message: text });
  });

  it('is undefined for params that fit, and for methods mcpwatch does not serve (the SDK answers -32601)', () => {
    expect(invalidParams(request({ jsonrpc: '2.0', id: 1, method: 'ping' }))).toBeUndefined();
    expect(
      invalidParams(request({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_health' } })),
    ).toBeUndefined();
    expect(invalidParams(request({ jsonrpc: '2.0', id: 1, method: 'prompts/list', params: 7 }))).toBeUndefined();
  });
});
