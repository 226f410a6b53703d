import { describe, expect, it } from 'vitest';
import { keyLines, readCodexConfig } from '../../src/clients/codex.js';

// Codex CLI config.toml as Codex reads it (test/integration/codex-config.test.ts checks that against the real
// Codex): the entries, their headers with the lines they are written on, the keys Codex ignores or refuses.

describe('keyLines', () => {
  it('finds tables, keys, dotted and quoted keys, and inline tables on their line', () => {
    const lines = keyLines(
      [
        '# comment',
        '[mcp_servers.a]',
        'url = "http://x"',
        'http_headers = { "x-mcp-servers" = "s", Authorization = "b" }',
        '',
        '[mcp_servers."b.c"]',
        'env_http_headers.K = "V"',
        '[[list]]',
      ].join('\n'),
    );
    const at = (...path: string[]): number | undefined => lines.get(path.join('\u0000'));
    expect(at('mcp_servers', 'a')).toBe(2);
    expect(at('mcp_servers', 'a', 'url')).toBe(3);
    expect(at('mcp_servers', 'a', 'http_headers')).toBe(4);
    expect(at('mcp_servers', 'a', 'http_headers', 'x-mcp-servers')).toBe(4);
    expect(at('mcp_servers', 'a', 'http_headers', 'Authorization')).toBe(4);
    expect(at('mcp_servers', 'b.c')).toBe(6);
    expect(at('mcp_servers', 'b.c', 'env_http_headers', 'K')).toBe(7);
    expect(at('list')).toBe(8);
  });
});

describe('readCodexConfig', () => {
  it('each entry with its URL and headers: bearer_token_env_var as Authorization: Bearer $VAR', () => {
    const f = readCodexConfig(
      'c.toml',
      [
        '[mcp_servers.gw]',
        'url = "http://gw/mcp/"',
        'bearer_token_env_var = "KEY"',
        '[mcp_servers.gw.http_headers]',
        '"x-mcp-servers" = "a"',
        '[mcp_servers.gw.env_http_headers]',
        'X-Other = "OTHER"',
        '[mcp_servers.fs]',
        'command = "npx"',
      ].join('\n'),
    );
    expect(f).toMatchObject({ file: 'c.toml', client: 'codex', baseUrls: [] });
    expect(f.entries).toEqual([
      {
        file: 'c.toml',
        client: 'codex',
        server: 'gw',
        line: 1,
        url: { text: 'http://gw/mcp/', line: 2 },
        headers: [
          { name: 'Authorization', value: { kind: 'env', variable: 'KEY', prefix: 'Bearer ' }, line: 3 },
          { name: 'x-mcp-servers', value: { kind: 'literal', text: 'a' }, line: 5 },
          { name: 'X-Other', value: { kind: 'env', variable: 'OTHER' }, line: 7 },
        ],
        ignored: [],
      },
      { file: 'c.toml', client: 'codex', server: 'fs', line: 8, headers: [], ignored: [] },
    ]);
  });

  it('`headers` and `bearer_token` on a URL entry are ignored keys, with why and the fix', () => {
    const f = readCodexConfig(
      'c.toml',
      '[mcp_servers.l]\nurl = "http://gw/mcp/"\nheaders = { A = "b" }\nbearer_token = "sk-x"\n',
    );
    expect(f.entries[0]!.ignored).toEqual([
      {
        key: 'headers',
        line: 3,
        why: 'Codex ignores `headers` (it reads `http_headers`): these headers are never sent',
        fix: 'rename the table to `http_headers` (or use `env_http_headers` for values from the environment)',
      },
      {
        key: 'bearer_token',
        line: 4,
        why: 'Codex refuses `bearer_token` on a URL entry ("bearer_token is not supported for streamable_http") and loads none of this file',
        fix: 'put the key in an environment variable and set `bearer_token_env_var = "LITELLM_KEY"` (Codex adds the `Bearer ` prefix)',
      },
    ]);
  });

  it('a stdio entry with `headers`: nothing is ignored (no URL, nothing sent)', () => {
    const f = readCodexConfig('c.toml', '[mcp_servers.fs]\ncommand = "npx"\nheaders = { A = "b" }\n');
    expect(f.entries[0]!.ignored).toEqual([]);
  });

  it('no mcp_servers: no entries', () => {
    expect(readCodexConfig('c.toml', 'model = "o3"\n').entries).toEqual([]);
  });

  it('invalid TOML: a ClientFileError with the line and the first line of the reason', () => {
    expect(() => readCodexConfig('c.toml', 'a = 1\n[mcp_servers.l\n')).toThrow(/^c\.toml:2: not valid TOML: [^\n]+$/);
  });
});
