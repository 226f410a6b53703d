import { describe, expect, it } from 'vitest';
import { refuseMcpRequest } from '../../src/server/mcp-access.js';
import type { McpAccess } from '../../src/server/ports.js';
import { MCP_TOKEN, WRONG_AUTHORIZATIONS } from '../support/fake-agent-port.js';

const open: McpAccess = { token: undefined, allowedOrigins: [], allowedHosts: [] };

describe('refuseMcpRequest', () => {
  it('refuses everything with 404 while the endpoint is off', () => {
    expect(refuseMcpRequest(null, {})).toEqual({
      status: 404,
      message: 'the MCP endpoint is disabled (mcpServer.enabled: false)',
    });
  });

  it('lets a request without Origin through an open endpoint', () => {
    expect(refuseMcpRequest(open, { host: 'anything.example.com' })).toBeUndefined();
  });

  it.each(['http://evil.example.com', 'null', '', 'not an origin'])('refuses Origin %j while none is allowed', (o) => {
    expect(refuseMcpRequest(open, { origin: o })).toEqual({
      status: 403,
      message: `Forbidden: Origin ${JSON.stringify(o)} is not in mcpServer.allowedOrigins`,
    });
  });

  it('compares origins in canonical form', () => {
    const access = { ...open, allowedOrigins: ['http://localhost:9464', 'https://grafana.example.com'] };
    expect(refuseMcpRequest(access, { origin: 'HTTP://LocalHost:9464' })).toBeUndefined();
    expect(refuseMcpRequest(access, { origin: 'https://grafana.example.com:443' })).toBeUndefined();
    expect(refuseMcpRequest(access, { origin: 'http://localhost:9465' })?.status).toBe(403);
  });

  it('clips a long header in its message', () => {
    const origin = `http://${'a'.repeat(300)}.example.com`;
    const r = refuseMcpRequest(open, { origin });
    expect(r?.message).toBe(
      `Forbidden: Origin ${JSON.stringify(`${origin.slice(0, 200)}…`)} is not in mcpServer.allowedOrigins`,
    );
  });

  it('checks Host only when allowedHosts is set; an entry without a port allows any port', () => {
    const access = { ...open, allowedHosts: ['localhost', '127.0.0.1:9464'] };
    expect(refuseMcpRequest(open, { host: 'evil.example.com' })).toBeUndefined();
    expect(refuseMcpRequest(access, { host: 'evil.example.com:9464' })).toEqual({
      status: 403,
      message: 'Forbidden: Host "evil.example.com:9464" is not in mcpServer.allowedHosts',
    });
    expect(refuseMcpRequest(access, { host: 'LOCALHOST:1234' })).toBeUndefined();
    expect(refuseMcpRequest(access, { host: '127.0.0.1:9464' })).toBeUndefined();
    expect(refuseMcpRequest(access, { host: '127.0.0.1:9465' })?.status).toBe(403);
    expect(refuseMcpRequest(access, {})).toEqual({
      status: 403,
      message: 'Forbidden: Host "" is not in mcpServer.allowedHosts',
    });
  });

  it.each(WRONG_AUTHORIZATIONS)('refuses %s with 401, without echoing the token', (_what, authorization) => {
    const r = refuseMcpRequest({ ...open, token: MCP_TOKEN }, { authorization });
    expect(r).toEqual({ status: 401, message: 'Unauthorized: send Authorization: Bearer <mcpServer.token>' });
  });

  it.each([`Bearer ${MCP_TOKEN}`, `bearer ${MCP_TOKEN}`, `Bearer   ${MCP_TOKEN} `])('accepts %j', (authorization) => {
    expect(refuseMcpRequest({ ...open, token: MCP_TOKEN }, { authorization })).toBeUndefined();
  });

  it('checks Origin before the token (403, not 401)', () => {
    const r = refuseMcpRequest({ ...open, token: MCP_TOKEN }, { origin: 'http://evil.example.com' });
    expect(r?.status).toBe(403);
  });

  describe("the server's own loopback origin, while allowedOrigins is empty", () => {
    const onLoopback = { loopbackPort: 9464 };

    it.each(['http://localhost:9464', 'http://127.0.0.1:9464', 'http://[::1]:9464', 'HTTP://LocalHost:9464'])(
      'accepts %j from a server listening on loopback port 9464',
      (origin) => {
        expect(refuseMcpRequest(open, { origin }, onLoopback)).toBeUndefined();
      },
    );

    it.each([
      'http://localhost:9465',
      'http://localhost',
      'http://evil.example.com:9464',
      'null',
      'http://localhost.evil.example.com:9464',
    ])('refuses %j (another port, another name)', (origin) => {
      expect(refuseMcpRequest(open, { origin }, onLoopback)?.status).toBe(403);
    });

    it('refuses it when the server does not listen on loopback only, or once the list names origins', () => {
      expect(refuseMcpRequest(open, { origin: 'http://localhost:9464' }, {})?.status).toBe(403);
      const listed = { ...open, allowedOrigins: ['https://grafana.example.com'] };
      expect(refuseMcpRequest(listed, { origin: 'http://localhost:9464' }, onLoopback)?.status).toBe(403);
    });

    it('still asks for the token', () => {
      const r = refuseMcpRequest({ ...open, token: MCP_TOKEN }, { origin: 'http://localhost:9464' }, onLoopback);
      expect(r?.status).toBe(401);
    });
  });
});
