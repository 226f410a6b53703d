import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/parse.js';
import { sessionHeaders } from '../../../src/probes/mcp/session.js';
import { createPhaseClock } from '../../../src/probes/net/phases.js';
import type { ProbeContext } from '../../../src/probes/types.js';
import { Redactor } from '../../../src/util/redact.js';

const target = (over: Partial<Target> = {}): Target =>
  ({
    name: 'litellm-lan',
    url: 'http://gw:4000',
    apiKey: 'sk-unit-0123456789abcdef',
    apiKeyHeader: 'authorization',
    mcpPath: '/mcp/',
    transport: 'streamable-http',
    headers: {},
    tls: { insecureSkipVerify: false },
    ...over,
  }) as Target;

describe('sessionHeaders', () => {
  const ctx = (t: Target): ProbeContext =>
    ({
      target: t,
      logger: pino({ level: 'silent' }),
      redactor: new Redactor(),
      phases: createPhaseClock(),
      step: () => undefined,
    }) as unknown as ProbeContext;

  it("target headers, then the probe's (case-insensitively), x-mcp-servers joined, Bearer <key>", () => {
    const h = sessionHeaders(ctx(target({ headers: { 'X-Team': 'a', 'X-Env': 'prod' } })), {
      servers: ['mcp_fs', 'mcp_db'],
      headers: { 'x-team': 'b' },
    });
    expect(h).toEqual({
      'user-agent': expect.stringMatching(/^mcpwatch\//),
      'x-team': 'b',
      'x-env': 'prod',
      'x-mcp-servers': 'mcp_fs,mcp_db',
      authorization: 'Bearer sk-unit-0123456789abcdef',
    });
  });

  it('no x-mcp-servers without servers; a key with its prefix is sent as is', () => {
    const h = sessionHeaders(ctx(target({ apiKey: 'Bearer sk-unit-0123456789abcdef' })), { servers: [], headers: {} });
    expect(h).not.toHaveProperty('x-mcp-servers');
    expect(h.authorization).toBe('Bearer sk-unit-0123456789abcdef');
  });

  it('the guard\'s "no key" carries no credential, also not one configured as an extra header', () => {
    const t = target({
      headers: { 'x-litellm-api-key': 'Bearer sk-in-a-header-0000', Authorization: 'Bearer sk-x', 'x-team': 'a' },
    });
    expect(sessionHeaders(ctx(t), { servers: [], headers: { 'API-Key': 'sk-y' }, auth: { kind: 'none' } })).toEqual({
      'user-agent': expect.any(String),
      'x-team': 'a',
    });
    expect(sessionHeaders(ctx(t), { servers: [], headers: {}, auth: { kind: 'raw', value: 'sk-raw' } })).toEqual({
      'user-agent': expect.any(String),
      'x-team': 'a',
      authorization: 'sk-raw',
    });
  });

  it('apiKeyHeader: the key in that header; Authorization (the SSO token) stays, also for the guard, whose credentials go in that header', () => {
    const t = target({
      apiKeyHeader: 'x-litellm-api-key',
      headers: { Authorization: 'Bearer sso-token-0123456789', 'X-API-Key': 'sk-other' },
    });
    expect(sessionHeaders(ctx(t), { servers: ['a'], headers: {} })).toEqual({
      'user-agent': expect.any(String),
      authorization: 'Bearer sso-token-0123456789',
      'x-api-key': 'sk-other',
      'x-mcp-servers': 'a',
      'x-litellm-api-key': 'Bearer sk-unit-0123456789abcdef',
    });
    expect(sessionHeaders(ctx(t), { servers: [], headers: {}, auth: { kind: 'none' } })).toEqual({
      'user-agent': expect.any(String),
      authorization: 'Bearer sso-token-0123456789',
    });
    expect(
      sessionHeaders(ctx(t), { servers: [], headers: {}, auth: { kind: 'raw', value: 'Bearer sk-wrong' } }),
    ).toEqual({
      'user-agent': expect.any(String),
      authorization: 'Bearer sso-token-0123456789',
      'x-litellm-api-key': 'Bearer sk-wrong',
    });
  });

  it("ssoToken: the SSO gate's token in Authorization beside the key; for a key check in Authorization itself it is left out", () => {
    const sso = target({ apiKeyHeader: 'x-litellm-api-key' });
    expect(sessionHeaders(ctx(sso), { servers: [], headers: {}, ssoToken: 'opaque-sso-token' })).toEqual({
      'user-agent': expect.any(String),
      authorization: 'Bearer opaque-sso-token',
      'x-litellm-api-key': 'Bearer sk-unit-0123456789abcdef',
    });
    expect(
      sessionHeaders(ctx(sso), { servers: [], headers: {}, auth: { kind: 'none' }, ssoToken: 'opaque-sso-token' }),
    ).toEqual({ 'user-agent': expect.any(String), authorization: 'Bearer opaque-sso-token' });
    // An OAuth-protected server without a gateway key: the token is the credential; the guard's raw checks go without
    // it.
    const plain = target({ apiKey: undefined });
    expect(sessionHeaders(ctx(plain), { servers: [], headers: {}, ssoToken: 'opaque-sso-token' }).authorization).toBe(
      'Bearer opaque-sso-token',
    );
    expect(
      sessionHeaders(ctx(plain), {
        servers: [],
        headers: {},
        auth: { kind: 'raw', value: 'Bearer sk-wrong' },
        ssoToken: 'opaque-sso-token',
      }).authorization,
    ).toBe('Bearer sk-wrong');
  });
});
