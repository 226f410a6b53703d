import { describe, expect, it } from 'vitest';
import { clientIdHeaderOf, rawKeyHeader, targetSchema } from '../../src/config/target.js';

describe('targetSchema', () => {
  it('fills in the defaults', () => {
    expect(targetSchema.parse({ url: 'http://gw:4000' })).toEqual({
      url: 'http://gw:4000',
      apiKeyHeader: 'authorization',
      mcpPath: '/mcp/',
      transport: 'streamable-http',
      protocol: 'auto',
      headers: {},
      tls: { insecureSkipVerify: false },
    });
  });

  it.each(['auto', 'legacy', 'modern', '2026-07-28', '2025-06-18', '2024-11-05'])('protocol %s is taken', (p) => {
    expect(targetSchema.parse({ url: 'http://gw', protocol: p }).protocol).toBe(p);
  });

  it('protocol: anything else is refused, naming the known versions; modern over the legacy SSE transport too', () => {
    expect(targetSchema.safeParse({ url: 'http://gw', protocol: 'newest' }).error?.issues[0]?.message).toBe(
      'expected auto, legacy, modern or a protocol version (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25, ' +
        '2026-07-28), got "newest"',
    );
    const sse = targetSchema.safeParse({ url: 'http://gw', transport: 'sse', protocol: 'modern' });
    expect(sse.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [
        'protocol',
        'transport sse speaks only the legacy protocol: use protocol auto or legacy with it, or transport streamable-http',
      ],
    ]);
    expect(targetSchema.safeParse({ url: 'http://gw', transport: 'sse', protocol: 'auto' }).success).toBe(true);
  });

  it.each<[string, string | undefined]>([
    ['sk-x', 'sk-x'],
    ['', undefined],
  ])('apiKey %j → %j (an empty key is none)', (apiKey, expected) => {
    expect(targetSchema.parse({ url: 'http://gw', apiKey }).apiKey).toBe(expected);
  });

  it.each([
    ['X-LiteLLM-API-Key', 'x-litellm-api-key'],
    ['Authorization', 'authorization'],
  ])('apiKeyHeader %s is kept lower-cased', (header, expected) => {
    expect(targetSchema.parse({ url: 'http://gw', apiKeyHeader: header }).apiKeyHeader).toBe(expected);
  });

  it('oauth2: an empty secret is none, no scopes by default', () => {
    expect(targetSchema.parse({ url: 'http://gw', oauth2: { clientId: 'c', clientSecret: '' } }).oauth2).toEqual({
      clientId: 'c',
      scopes: [],
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['no url', {}],
    ['an unknown key', { url: 'http://gw', timeot: '5s' }],
    ['an mcpPath without its leading /', { url: 'http://gw', mcpPath: 'mcp' }],
    ['an unknown transport', { url: 'http://gw', transport: 'websocket' }],
    ['an unknown tls key', { url: 'http://gw', tls: { verify: false } }],
    ['an empty apiKeyFile', { url: 'http://gw', apiKeyFile: '' }],
  ])('refuses %s', (_what, t) => {
    expect(targetSchema.safeParse(t).success).toBe(false);
  });

  it('clientId and clientIdHeader (lower-cased); not a header that carries a key', () => {
    const t = targetSchema.parse({ url: 'http://gw', clientId: 'mcpwatch', clientIdHeader: 'X-Client-App' });
    expect([t.clientId, t.clientIdHeader, clientIdHeaderOf(t)]).toEqual(['mcpwatch', 'x-client-app', 'x-client-app']);
    expect(clientIdHeaderOf(targetSchema.parse({ url: 'http://gw', clientId: 'mcpwatch' }))).toBe('x-mcp-client');
    expect(targetSchema.safeParse({ url: 'http://gw', clientId: '' }).success).toBe(false);
    for (const clientIdHeader of ['Authorization', 'x-litellm-api-key', 'x-my-key']) {
      const r = targetSchema.safeParse({ url: 'http://gw', clientId: 'm', clientIdHeader, apiKeyHeader: 'x-my-key' });
      expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
        [
          'clientIdHeader',
          `${clientIdHeader.toLowerCase()} carries credentials: use the header the gateway reads the client id from ` +
            '(its mcp_client_id_header, e.g. x-mcp-client)',
        ],
      ]);
    }
  });

  it('a timeout in milliseconds', () => {
    expect(targetSchema.parse({ url: 'http://gw', timeout: '5s' }).timeout).toBe(5000);
  });
});

describe('rawKeyHeader: the key header as written', () => {
  it.each<[Record<string, unknown>, string]>([
    [{}, 'authorization'],
    [{ apiKeyHeader: 'X-LiteLLM-API-Key' }, 'x-litellm-api-key'],
    [{ apiKeyHeader: 'Authorization' }, 'authorization'],
    [{ apiKeyHeader: 5 }, 'authorization'],
    [{ apiKeyHeader: null }, 'authorization'],
  ])('%j → %s', (t, expected) => {
    expect(rawKeyHeader(t)).toBe(expected);
  });
});
