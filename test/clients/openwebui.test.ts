import { describe, expect, it } from 'vitest';
import { readOpenWebUiEnv } from '../../src/clients/openwebui.js';

// Open WebUI env files: the OpenAI base URLs, and TOOL_SERVER_CONNECTIONS as Open WebUI sends their requests
// (auth_type bearer puts "Bearer " before the key itself).

const conns = (list: unknown, quote = "'"): string =>
  `TOOL_SERVER_CONNECTIONS=${quote}${JSON.stringify(list)}${quote}\n`;

describe('readOpenWebUiEnv', () => {
  it('an env file without Open WebUI variables: undefined', () => {
    expect(readOpenWebUiEnv('x.env', 'FOO=1\n# OPENAI_API_BASE_URL=x\n')).toBeUndefined();
  });

  it('the base URLs, one per ;-separated value, quotes and export allowed', () => {
    const f = readOpenWebUiEnv(
      'o.env',
      '# chat\nexport OPENAI_API_BASE_URLS="http://a/v1; http://b/v1;"\nOPENAI_API_BASE_URL=http://c\n',
    );
    expect(f).toEqual({
      file: 'o.env',
      client: 'openwebui',
      entries: [],
      baseUrls: [
        { file: 'o.env', variable: 'OPENAI_API_BASE_URLS', url: 'http://a/v1', line: 2 },
        { file: 'o.env', variable: 'OPENAI_API_BASE_URLS', url: 'http://b/v1', line: 2 },
        { file: 'o.env', variable: 'OPENAI_API_BASE_URL', url: 'http://c', line: 3 },
      ],
    });
  });

  it('a bearer connection: its key as Authorization with "Bearer ", its headers, its type', () => {
    const f = readOpenWebUiEnv(
      'o.env',
      conns([
        {
          type: 'mcp',
          url: 'http://gw/mcp/',
          auth_type: 'bearer',
          key: 'sk-k',
          headers: { 'x-mcp-servers': 'a', n: 1 },
          info: { name: 'GW' },
        },
      ]),
    );
    expect(f?.entries).toEqual([
      {
        file: 'o.env',
        client: 'openwebui',
        server: 'GW',
        line: 1,
        url: { text: 'http://gw/mcp/', line: 1 },
        connectionType: { text: 'mcp', line: 1 },
        openWebUiAuth: { type: 'bearer', line: 1, key: { kind: 'literal', text: 'sk-k' } },
        headers: [
          { name: 'Authorization', value: { kind: 'literal', text: 'Bearer sk-k' }, line: 1 },
          { name: 'x-mcp-servers', value: { kind: 'literal', text: 'a' }, line: 1 },
        ],
        ignored: [],
      },
    ]);
  });

  it('names: info.name, else info.id, else the place in the list; auth_type defaults to bearer', () => {
    const f = readOpenWebUiEnv(
      'o.env',
      conns([{ info: { id: 'by-id' } }, null, { info: { name: '' } }, 5, { auth_type: 'session', key: 'k' }]),
    );
    expect(f?.entries.map((e) => [e.server, e.openWebUiAuth?.type, e.headers.length])).toEqual([
      ['by-id', 'bearer', 0],
      ['TOOL_SERVER_CONNECTIONS[2]', 'bearer', 0],
      ['TOOL_SERVER_CONNECTIONS[4]', 'session', 0],
    ]);
  });

  it('TOOL_SERVER_CONNECTIONS that is not JSON: one entry saying so; not a list: none', () => {
    const f = readOpenWebUiEnv('o.env', 'A=1\nTOOL_SERVER_CONNECTIONS=[not json\n');
    expect(f?.entries).toHaveLength(1);
    expect(f?.entries[0]).toMatchObject({ server: 'TOOL_SERVER_CONNECTIONS', line: 2, headers: [] });
    expect(f?.entries[0]?.ignored[0]?.why).toMatch(/^not valid JSON \(.+\): Open WebUI loads no tool server from it$/);
    expect(readOpenWebUiEnv('o.env', conns({}))?.entries).toEqual([]);
    expect(readOpenWebUiEnv('o.env', 'TOOL_SERVER_CONNECTIONS=\n')?.entries).toEqual([]);
  });
});
