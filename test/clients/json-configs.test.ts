import { describe, expect, it } from 'vitest';
import { lineOf, readJsonConfig } from '../../src/clients/json-configs.js';

// JSON client configs (comments allowed): VS Code's mcp.json (servers) and settings.json (mcp.servers), and
// mcpServers JSON; each entry with the lines its URL and headers are written on.

describe('readJsonConfig', () => {
  it('VS Code mcp.json: servers.NAME, headers as templates, each on its line', () => {
    const f = readJsonConfig(
      'mcp.json',
      [
        '// VS Code',
        '{',
        '  "servers": {',
        '    "gw": {',
        '      "type": "http",',
        '      "url": "http://gw/mcp/",',
        '      "headers": {',
        '        "Authorization": "Bearer ${input:k}",',
        '      },',
        '    },',
        '    "not-an-object": 5',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(f).toEqual({
      file: 'mcp.json',
      client: 'vscode',
      baseUrls: [],
      entries: [
        {
          file: 'mcp.json',
          client: 'vscode',
          server: 'gw',
          line: 4,
          url: { text: 'http://gw/mcp/', line: 6 },
          headers: [{ name: 'Authorization', value: { kind: 'template', text: 'Bearer ${input:k}' }, line: 8 }],
          ignored: [],
        },
      ],
    });
  });

  it('VS Code settings.json: mcp.servers', () => {
    const f = readJsonConfig('settings.json', '{ "editor.tabSize": 2, "mcp": { "servers": { "a": { "url": "u" } } } }');
    expect(f?.client).toBe('vscode');
    expect(f?.entries.map((e) => [e.server, e.url?.text])).toEqual([['a', 'u']]);
  });

  it('mcpServers JSON: url or serverUrl', () => {
    const f = readJsonConfig('.mcp.json', '{ "mcpServers": { "a": { "serverUrl": "u1" }, "b": { "url": "u2" } } }');
    expect(f?.client).toBe('mcp_json');
    expect(f?.entries.map((e) => [e.server, e.url?.text])).toEqual([
      ['a', 'u1'],
      ['b', 'u2'],
    ]);
    // serverUrl is the mcpServers files' own: VS Code reads `url` only.
    expect(
      readJsonConfig('mcp.json', '{ "servers": { "a": { "serverUrl": "u1" } } }')?.entries[0]?.url,
    ).toBeUndefined();
  });

  it("header-like keys the client does not read are ignored keys, in the client's words", () => {
    const vscode = readJsonConfig('mcp.json', '{ "servers": { "a": { "url": "u",\n "http_headers": {} } } }');
    expect(vscode?.entries[0]?.ignored).toEqual([
      {
        key: 'http_headers',
        line: 2,
        why: 'VS Code reads headers from `headers` only: `http_headers` is never sent',
        fix: 'move it into "headers": { "Authorization": "Bearer ${input:litellm-key}" }',
      },
    ]);
    const json = readJsonConfig('.mcp.json', '{ "mcpServers": { "a": { "url": "u", "apiKey": "k" } } }');
    expect(json?.entries[0]?.ignored).toEqual([
      {
        key: 'apiKey',
        line: 1,
        why: 'the client reads headers from `headers` only: `apiKey` is never sent',
        fix: 'move it into "headers": { "Authorization": "Bearer ${LITELLM_KEY}" }',
      },
    ]);
  });

  it('JSON without any of them: undefined; invalid JSON: a ClientFileError with its line', () => {
    expect(readJsonConfig('x.json', '{ "name": "x" }')).toBeUndefined();
    expect(readJsonConfig('x.json', '{ "servers": [] }')).toBeUndefined();
    expect(() => readJsonConfig('x.json', '{\n  "servers": {\n    "a": ]\n}')).toThrow(
      /^x\.json:3: not valid JSON: \w+$/,
    );
  });
});

describe('lineOf', () => {
  it('the 1-based line of an offset', () => {
    expect(lineOf('ab\ncd\nef', 0)).toBe(1);
    expect(lineOf('ab\ncd\nef', 3)).toBe(2);
    expect(lineOf('ab\ncd\nef', 6)).toBe(3);
    expect(lineOf('ab', 99)).toBe(1);
  });
});
