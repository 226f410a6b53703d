import { describe, expect, it } from 'vitest';
import { refuseMcpRequest } from '../../src/server/mcp-access.js';
import type { McpAccess } from '../../src/server/ports.js';
import { MCP_TOKEN, WRONG_AUTHORIZATIONS } from '../support/fake-agent-port.js';

// Who may use /mcp once the whole server's Origin and Host checks let a request in (those are
// test/server/web-guard.test.ts's): off is 404, then the token.

const open: McpAccess = { token: undefined };

describe('refuseMcpRequest', () => {
  it('refuses everything with 404 while the endpoint is off', () => {
    expect(refuseMcpRequest(null, {})).toEqual({
      status: 404,
      message: 'the MCP endpoint is disabled (mcpServer.enabled: false, or no mcpServer.token / tokenFile)',
    });
  });

  it('lets any request through an endpoint without a token', () => {
    expect(refuseMcpRequest(open, {})).toBeUndefined();
    expect(refuseMcpRequest(open, { authorization: 'Bearer whatever' })).toBeUndefined();
  });

  it.each(WRONG_AUTHORIZATIONS)('refuses %s with 401, without echoing the token', (_what, authorization) => {
    const r = refuseMcpRequest({ token: MCP_TOKEN }, { authorization });
    expect(r).toEqual({ status: 401, message: 'Unauthorized: send Authorization: Bearer <mcpServer.token>' });
  });

  it.each([`Bearer ${MCP_TOKEN}`, `bearer ${MCP_TOKEN}`, `Bearer   ${MCP_TOKEN} `])('accepts %j', (authorization) => {
    expect(refuseMcpRequest({ token: MCP_TOKEN }, { authorization })).toBeUndefined();
  });
});
