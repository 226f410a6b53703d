import { describe, expect, it } from 'vitest';
import { isGatewayKeyHeader, isSchemedKeyHeader, isSensitiveName, mayCarrySecret } from '../../src/util/credentials.js';

describe('credential names', () => {
  it.each(['authorization', 'Proxy-Authorization', 'x-litellm-api-key'])('%s holds a scheme and a key', (name) => {
    expect(isSchemedKeyHeader(name)).toBe(true);
  });
  it.each(['api-key', 'x-api-key', 'cookie', 'x-authorization'])('%s is not a scheme-and-key header', (name) => {
    expect(isSchemedKeyHeader(name)).toBe(false);
  });

  it.each(['authorization', 'x-litellm-api-key', 'api-key', 'X-API-Key', 'x-goog-api-key', 'cookie'])(
    'the gateway takes a key through %s',
    (name) => expect(isGatewayKeyHeader(name)).toBe(true),
  );
  it.each(['x-mcp-servers', 'set-cookie', 'content-type'])('the gateway takes no key through %s', (name) =>
    expect(isGatewayKeyHeader(name)).toBe(false),
  );

  it.each([
    'authorization',
    'apiKey',
    'api_key',
    'api-key',
    'APIKEY',
    'token',
    'password',
    'secret',
    'set-cookie',
    'x-mcp-github-authorization',
    'x-mcp-jira-token',
    'x-mcp-a-key',
    'access_token',
    'client_key',
    'x-private-key',
  ])('%s is a credential', (name) => expect(isSensitiveName(name)).toBe(true));

  it.each(['x-mcp-servers', 'tokens', 'keyboard', 'passwords', 'author', 'x-mcp-github-url', 'monkey'])(
    '%s is not a credential',
    (name) => expect(isSensitiveName(name)).toBe(false),
  );

  it('mayCarrySecret is looser: any name that mentions one', () => {
    for (const name of ['x-auth-user', 'tokens', 'x-session-cookie', 'passwd', 'x-passw', 'apiKey'])
      expect(mayCarrySecret(name), name).toBe(true);
    for (const name of ['x-mcp-servers', 'accept', 'user-agent']) expect(mayCarrySecret(name), name).toBe(false);
  });
});
