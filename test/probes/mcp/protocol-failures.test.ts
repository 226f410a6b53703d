import { ProtocolError, SdkError, SdkErrorCode, UnsupportedProtocolVersionError } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import {
  eraFailure,
  eraNegotiationFailure,
  eraProtocolError,
  rpcErrorIn,
} from '../../../src/probes/mcp/protocol-failures.js';
import type { SeenResponse } from '../../../src/probes/mcp/responses.js';
import { ProbeFailure } from '../../../src/probes/types.js';
import { lanTarget } from './test-run.js';

// The protocol-era failures as reasons, from the answers real servers give (the integration tests
// mcp-protocol-eras and mcp-protocol-litellm get them from the servers themselves).

const target = lanTarget();
const SPOKEN = '2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28';

describe('-32022 (unsupported protocol version): the versions the server supports, and the fix', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'a modern-only server refusing the 2025 handshake',
      { supported: ['2026-07-28'], requested: '2025-11-25' },
      'litellm-lan speaks only 2026-07-28: it refused the 2025 initialize handshake (-32022 unsupported protocol ' +
        'version 2025-11-25) — set protocol: auto or modern',
    ],
    [
      'a version newer than the server knows (the server is older)',
      { supported: ['2026-07-28'], requested: '2027-01-01' },
      'litellm-lan does not support protocol 2027-01-01 (-32022): it supports 2026-07-28 — pin a version both ' +
        'speak (protocol: 2026-07-28), or upgrade the server',
    ],
    [
      'a server newer than mcpwatch: nothing to pin',
      { supported: ['2027-01-01', '2027-06-30'], requested: '2026-07-28' },
      'litellm-lan does not support protocol 2026-07-28 (-32022): it supports 2027-01-01, 2027-06-30 — mcpwatch ' +
        `speaks none of them (${SPOKEN}): upgrade mcpwatch`,
    ],
    [
      'a server newer than the pinned version, with versions both speak: the newest of those',
      { supported: ['2026-07-28', '2025-11-25'], requested: '2025-06-18' },
      'litellm-lan does not support protocol 2025-06-18 (-32022): it supports 2026-07-28, 2025-11-25 — pin a ' +
        'version both speak (protocol: 2026-07-28)',
    ],
    [
      'a server that supports only versions older than any mcpwatch speaks',
      { supported: ['2024-10-07'], requested: '2026-07-28' },
      'litellm-lan does not support protocol 2026-07-28 (-32022): it supports 2024-10-07 — mcpwatch speaks none ' +
        `of them (${SPOKEN}): upgrade the server`,
    ],
    [
      'versions on both sides of what mcpwatch speaks, none in common',
      { supported: ['2024-10-07', '2027-01-01'], requested: '2026-07-28' },
      'litellm-lan does not support protocol 2026-07-28 (-32022): it supports 2024-10-07, 2027-01-01 — mcpwatch ' +
        `speaks none of them (${SPOKEN}): upgrade mcpwatch or the server`,
    ],
    [
      'no versions named',
      {},
      'litellm-lan does not support the protocol version mcpwatch asked for (-32022): it supports no version it ' +
        'named — check the server',
    ],
  ])('%s', (_, data, reason) => {
    const f = eraFailure(target, { code: -32022, message: 'Unsupported protocol version', data }, 400);
    expect(f).toBeInstanceOf(ProbeFailure);
    expect(f?.outcome).toBe('protocol_error');
    expect(f?.message).toBe(reason);
    expect(f?.details).toEqual({ status: 400, jsonRpcError: -32022, supported: data.supported ?? [] });
  });

  it("the SDK's UnsupportedProtocolVersionError (a -32022 the client raised itself) is read the same way", () => {
    const err = new UnsupportedProtocolVersionError({ supported: ['2027-01-01'], requested: '2026-07-28' });
    expect(eraProtocolError(err, target)?.message).toMatch(
      /^litellm-lan does not support protocol 2026-07-28 \(-32022\): it supports 2027-01-01 — .*: upgrade mcpwatch$/,
    );
  });
});

describe('-32020 and a 2025 method refused', () => {
  it('-32020 with the mismatch in data (the TypeScript SDK) or only in words (the Python SDK)', () => {
    const ts = eraFailure(target, {
      code: -32020,
      message: 'Bad Request: the request headers and body disagree',
      data: { mismatch: { header: 'tools/call', body: 'tools/list' } },
    });
    expect(ts?.message).toMatch(
      /^litellm-lan refused the request because its MCP headers and its body disagree \(header: "tools\/call", body: "tools\/list"\) \(-32020\): .*often a proxy/,
    );
    const py = eraFailure(target, {
      code: -32020,
      message: "mcp-method header does not match the request body's method",
    });
    expect(py?.message).toMatch(/disagree \(mcp-method header does not match the request body's method\) \(-32020\)/);
  });

  it('-32601 to initialize or ping: the server speaks only 2026-07-28; to another method: not an era failure', () => {
    for (const rpc of ['initialize', 'ping']) {
      expect(eraFailure(target, { code: -32601, message: 'Method not found' }, 404, rpc)?.message).toBe(
        `litellm-lan does not know the 2025 method ${rpc} (404, -32601 Method not found): the server speaks only ` +
          '2026-07-28 — set protocol: auto or modern',
      );
    }
    expect(eraFailure(target, { code: -32601, message: 'Method not found' }, 404, 'tools/call')).toBeUndefined();
    expect(eraFailure(target, { code: -32600, message: 'Invalid Request' }, 400, 'initialize')).toBeUndefined();
  });

  it('only -32020 and -32022 ProtocolErrors are era errors', () => {
    expect(eraProtocolError(new ProtocolError(-32601, 'Method not found'), target)).toBeUndefined();
    expect(eraProtocolError(new Error('-32022'), target)).toBeUndefined();
  });
});

describe('protocol: modern against a legacy gateway: what it answered to server/discover', () => {
  const failed = new SdkError(
    SdkErrorCode.EraNegotiationFailed,
    'Version negotiation failed: the server did not offer pinned protocol version 2026-07-28 via server/discover ' +
      '(no fallback in pin mode)',
  );
  const discover = (status: number, body: string): SeenResponse[] => [
    { method: 'POST', url: 'http://gw:4000/mcp/', status, auth: 'bearer', rpc: 'server/discover', body },
  ];
  const UPGRADE = 'set protocol: auto or legacy, or upgrade the gateway to a release that speaks 2026-07-28';

  it.each<[string, number, string, string, string[] | undefined]>([
    [
      'LiteLLM 1.110.2 (and 1.109.1)',
      400,
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Unsupported MCP-Protocol-Version 2026-07-28; ' +
        'supported: 2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25"}}',
      '400 Bad Request: -32600 "Unsupported MCP-Protocol-Version 2026-07-28; supported: 2024-11-05, 2025-03-26, ' +
        '2025-06-18, 2025-11-25") — it speaks only the 2025 revisions 2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25',
      ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'],
    ],
    [
      'LiteLLM 1.77.1 (the Python SDK 1.x)',
      400,
      '{"jsonrpc":"2.0","id":"server-error","error":{"code":-32600,"message":"Bad Request: Unsupported protocol ' +
        'version: 2026-07-28. Supported versions: 2024-11-05, 2025-03-26, 2025-06-18"}}',
      '400 Bad Request: -32600 "Bad Request: Unsupported protocol version: 2026-07-28. Supported versions: ' +
        '2024-11-05, 2025-03-26, 2025-06-18") — it speaks only the 2025 revisions 2024-11-05, 2025-03-26, 2025-06-18',
      ['2024-11-05', '2025-03-26', '2025-06-18'],
    ],
    [
      'the TypeScript SDK 1.32.2 (no versions named)',
      400,
      '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: Server not initialized"},"id":null}',
      '400 Bad Request: -32000 "Bad Request: Server not initialized") — it speaks only the 2025 protocol',
      undefined,
    ],
    [
      'a body that is not JSON-RPC',
      404,
      'Not Found',
      '404 Not Found: Not Found) — it speaks only the 2025 protocol',
      undefined,
    ],
  ])('%s', (_, status, body, said, supported) => {
    const f = eraNegotiationFailure(failed, target, discover(status, body));
    expect(f?.outcome).toBe('protocol_error');
    expect(f?.message).toBe(
      `litellm-lan did not answer server/discover as a 2026-07-28 server (it answered ${said} (legacy): ${UPGRADE}`,
    );
    expect(f?.details).toMatchObject({ status, body });
    expect((f?.details as { supported?: string[] }).supported).toEqual(supported);
  });

  it('a refusal that lists 2026-07-28 itself is not called legacy', () => {
    const body = '{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"Bad envelope; supported: 2026-07-28"}}';
    expect(eraNegotiationFailure(failed, target, discover(400, body))?.message).toMatch(
      / — the pinned protocol could not be agreed: Version negotiation failed/,
    );
  });

  it('a -32022 to server/discover is read as -32022', () => {
    const body = '{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"x","data":{"supported":["2027-01-01"]}}}';
    expect(eraNegotiationFailure(failed, target, discover(400, body))?.message).toMatch(
      /^litellm-lan does not support the protocol version mcpwatch asked for \(-32022\): it supports 2027-01-01 — mcpwatch speaks none of them \(.*\): upgrade mcpwatch$/,
    );
  });

  it('not its business: another SDK error, an HTTP error the SDK carries, no server/discover seen', () => {
    const body = '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"no"}}';
    expect(eraNegotiationFailure(new SdkError(SdkErrorCode.RequestTimeout, 't'), target, discover(400, body))).toBe(
      undefined,
    );
    const http = new SdkError(SdkErrorCode.EraNegotiationFailed, 'failed', { status: 500 });
    expect(eraNegotiationFailure(http, target, discover(500, body))).toBeUndefined();
    expect(eraNegotiationFailure(failed, target, [])).toBeUndefined();
  });
});

describe('rpcErrorIn', () => {
  it('reads a JSON-RPC error body, and nothing else', () => {
    expect(rpcErrorIn('{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"m","data":{"a":1}}}')).toEqual({
      code: -32022,
      message: 'm',
      data: { a: 1 },
    });
    expect(rpcErrorIn('{"jsonrpc":"2.0","id":1,"result":{}}')).toBeUndefined();
    expect(rpcErrorIn('Not Found')).toBeUndefined();
    expect(rpcErrorIn(undefined)).toBeUndefined();
  });
});
