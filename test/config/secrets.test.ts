import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { secretsOf } from '../../src/config/secrets.js';

describe('secretsOf', () => {
  it('collects keys, credential headers of targets and probes, and the MCP token; nothing else', () => {
    const r = parseConfig(
      `targets:
  a:
    url: http://gw:4000
    apiKey: sk-target-a-0123456789
    headers: { x-mcp-github-authorization: "Bearer ghp_abcdefgh", x-team: platform, X-Session-Cookie: c00kie-value }
  b: { url: http://gw2:4000 }
probes:
  - { name: p, type: mcp_catalog, target: a, headers: { x-api-key: probe-key-123, x-env: prod } }
  - { name: h, type: http, target: b, headers: { x-password: hunter22 } }
mcpServer: { token: mcpwatch-token-xyz }
`,
      {},
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(secretsOf(r.config).sort()).toEqual(
      [
        'Bearer ghp_abcdefgh',
        'c00kie-value',
        'hunter22',
        'mcpwatch-token-xyz',
        'probe-key-123',
        'sk-target-a-0123456789',
      ].sort(),
    );
  });

  it("an oauth2 client's secret and private key are secrets too", () => {
    const r = parseConfig(
      'targets:\n  s: { url: https://gw, apiKeyHeader: x-litellm-api-key, oauth2: { clientId: mcpwatch, clientSecret: kc-s3cret-value } }\n',
      {},
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    r.config.targets.s!.oauth2Key = {
      pem: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n',
      alg: 'RS256',
    };
    expect(secretsOf(r.config).sort()).toEqual([
      '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n',
      'kc-s3cret-value',
    ]);
  });

  it('a config without secrets has none', () => {
    const r = parseConfig('targets:\n  a: { url: http://gw:4000 }\nprobes: []\n', {});
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(secretsOf(r.config)).toEqual([]);
  });
});
