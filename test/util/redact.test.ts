import { describe, expect, it } from 'vitest';
import { maskCredential, maskHeaders, Redactor } from '../../src/util/redact.js';

describe('Redactor', () => {
  const r = new Redactor();
  r.addSecrets(['configured-secret-value', 'ab']);
  it.each([
    ['Passed in: sk-1234567890abcdefghijwxyz', 'Passed in: sk-…wxyz'],
    ['Received API Key = sk-short', 'Received API Key = sk-***'],
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer ***'],
    ['token configured-secret-value here', 'token *** here'],
    ['ab is too short to be a secret', 'ab is too short to be a secret'],
    ['no secrets', 'no secrets'],
    [
      'DATABASE_URI=postgresql://mcp:s3cr3t!pw@db:5432/app failed',
      'DATABASE_URI=postgresql://mcp:***@db:5432/app failed',
    ],
    ['see https://example.com/a:b@c and http://u@h/', 'see https://example.com/a:b@c and http://u@h/'],
    ['postgresql://:onlypass@db/x', 'postgresql://:***@db/x'],
  ])('%j → %j', (text, out) => expect(r.mask(text)).toBe(out));
  it('masks deep structures and credential fields, and is idempotent', () => {
    const once = r.maskDeep({
      headers: { authorization: 'Bearer sk-1234567890abcdefghijwxyz', 'x-mcp-servers': 'a' },
      apiKey: 'x',
      list: ['sk-1234567890abcdefghijwxyz'],
    });
    expect(once).toEqual({
      headers: { authorization: 'Bearer sk-…wxyz', 'x-mcp-servers': 'a' },
      apiKey: '***',
      list: ['sk-…wxyz'],
    });
    expect(r.maskDeep(once)).toEqual(once);
  });
  it('masks credentials in header maps but keeps their shape', () => {
    expect(
      maskHeaders({
        Authorization: 'sk-1234567890abcdefghijwxyz',
        'x-mcp-github-authorization': 'Bearer ghp_x',
        accept: 'a',
      }),
    ).toEqual({
      Authorization: 'sk-…wxyz',
      'x-mcp-github-authorization': '***',
      accept: 'a',
    });
    expect(maskCredential('Bearer ')).toBe('Bearer (empty)');
    expect(maskCredential('')).toBe('(empty)');
    expect(maskCredential('Basic dXNlcjpwYXNz')).toBe('Basic ***');
  });
});

describe('Redactor: rotating secrets and JWTs', () => {
  const jwt = `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"service-account-mcpwatch","exp":1}').toString('base64url')}.c2lnbmF0dXJlLXBhcnQ`;
  it('masks a JWT wherever it appears, with or without a scheme', () => {
    const r = new Redactor();
    expect(r.mask(`{"access_token":"${jwt}","expires_in":300}`)).toBe('{"access_token":"eyJ***","expires_in":300}');
    expect(r.mask(`Authorization: Bearer ${jwt}`)).toBe('Authorization: Bearer eyJ***');
    expect(r.mask('eyJhbGciOi is too short to be a token')).toBe('eyJhbGciOi is too short to be a token');
  });
  it('keeps the last two values of a rotating slot, forgets older ones, leaves fixed secrets alone', () => {
    const r = new Redactor();
    r.addSecrets(['fixed-secret-1']);
    for (const v of ['opaque-token-1', 'opaque-token-2', 'opaque-token-3']) r.rotateSecret('oauth2:sso', v);
    expect(r.mask('opaque-token-3 opaque-token-2 opaque-token-1 fixed-secret-1')).toBe('*** *** opaque-token-1 ***');
    r.rotateSecret('oauth2:other', 'opaque-other-1');
    expect(r.mask('opaque-other-1 opaque-token-3')).toBe('*** ***');
  });
});
