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
    ['DATABASE_URI=postgresql://mcp:s3cr3t!pw@db:5432/app failed', 'DATABASE_URI=postgresql://mcp:***@db:5432/app failed'],
    ['see https://example.com/a:b@c and http://u@h/', 'see https://example.com/a:b@c and http://u@h/'],
    ['postgresql://:onlypass@db/x', 'postgresql://:***@db/x'],
  ])('%j → %j', (text, out) => expect(r.mask(text)).toBe(out));
  it('masks deep structures and credential fields, and is idempotent', () => {
    const once = r.maskDeep({ headers: { authorization: 'Bearer sk-1234567890abcdefghijwxyz', 'x-mcp-servers': 'a' }, apiKey: 'x', list: ['sk-1234567890abcdefghijwxyz'] });
    expect(once).toEqual({ headers: { authorization: 'Bearer sk-…wxyz', 'x-mcp-servers': 'a' }, apiKey: '***', list: ['sk-…wxyz'] });
    expect(r.maskDeep(once)).toEqual(once);
  });
  it('masks credentials in header maps but keeps their shape', () => {
    expect(maskHeaders({ Authorization: 'sk-1234567890abcdefghijwxyz', 'x-mcp-github-authorization': 'Bearer ghp_x', accept: 'a' })).toEqual({
      Authorization: 'sk-…wxyz',
      'x-mcp-github-authorization': '***',
      accept: 'a',
    });
    expect(maskCredential('Bearer ')).toBe('Bearer (empty)');
    expect(maskCredential('')).toBe('(empty)');
    expect(maskCredential('Basic dXNlcjpwYXNz')).toBe('Basic ***');
  });
});
