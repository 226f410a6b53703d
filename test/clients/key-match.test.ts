import { describe, expect, it } from 'vitest';
import { entryKeys, formatEntryKey, keyLabel, matchKey } from '../../src/clients/key-match.js';
import { parseClientFile } from '../../src/clients/read.js';
import { parseConfig, type Config } from '../../src/config/parse.js';

// Which configured key a client entry sends (issue 27): matched by value (hashed, constant time), said by name only.

const MASTER = 'sk-master-0123456789abcdef';
const CODEX = 'sk-codex-0123456789abcdef';
const WEBUI = 'sk-webui-0123456789abcdef';
const URL = 'http://litellm.lan:4000';

function config(): Config {
  const r = parseConfig(
    `targets:\n  litellm:\n    url: ${URL}\n    apiKey: ${MASTER}\n    keys:\n` +
      `      codex: { apiKey: "Bearer ${CODEX}" }\n      webui: { apiKey: ${WEBUI} }\nprobes: []\n`,
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.config;
}

const codexEntry = (name: string, more: string): string =>
  `[mcp_servers.${name}]\nurl = "${URL}/mcp/"\n${more}\nhttp_headers = { "x-mcp-servers" = "mcp_fs" }\n`;

describe('matchKey', () => {
  it('the name of the equal value, with or without Bearer on either side; none for another', () => {
    const c: Array<[string, string]> = [
      ['a', 'sk-aaa'],
      ['b', 'Bearer sk-bbb'],
    ];
    expect(matchKey('sk-aaa', c)).toBe('a');
    expect(matchKey('Bearer sk-aaa', c)).toBe('a');
    expect(matchKey('sk-bbb', c)).toBe('b');
    expect(matchKey('bearer   sk-bbb', c)).toBe('b');
    expect(matchKey('sk-aa', c)).toBeUndefined();
    expect(matchKey('sk-aaa', [])).toBeUndefined();
  });
});

describe('entryKeys', () => {
  const text = [
    codexEntry('master', 'bearer_token_env_var = "MASTER_KEY"'),
    codexEntry('codex', 'bearer_token_env_var = "CODEX_KEY"'),
    codexEntry('other', `http_headers = { Authorization = "Bearer sk-someone-else-000000" }`).replace(
      /\nhttp_headers = \{ "x-mcp-servers" = "mcp_fs" \}\n$/,
      '\n',
    ),
    codexEntry('unset', 'bearer_token_env_var = "NOT_SET_HERE"'),
    codexEntry('nokey', ''),
    '[mcp_servers.elsewhere]\nurl = "http://elsewhere.example/mcp/"\nbearer_token_env_var = "CODEX_KEY"\n',
  ].join('\n');
  const file = parseClientFile('/tmp/config.toml', text);
  const env = { MASTER_KEY: MASTER, CODEX_KEY: CODEX };

  it('the master key (a warning), a named key (matched though the config writes "Bearer "), a key not known', () => {
    const keys = entryKeys([file], config().targets, env);
    expect(keys.map((k) => [k.server, k.which, k.key, k.level])).toEqual([
      ['master', 'main', undefined, 'warning'],
      ['codex', 'named', 'codex', 'info'],
      ['other', 'unknown', undefined, 'info'],
    ]);
    expect(keys.map(formatEntryKey)).toEqual([
      "/tmp/config.toml:1: key: master: uses the master key (target litellm's own key): LiteLLM scopes no request " +
        'made with it, so this client sees and may call every server; give it a key of its own (and add it to ' +
        'targets.litellm.keys)',
      '/tmp/config.toml:6: key: codex: uses key codex of target litellm',
      "/tmp/config.toml:11: key: other: uses a key mcpwatch does not know (neither target litellm's own nor one of " +
        'its keys): add it to targets.litellm.keys to see the gateway as this client does',
    ]);
    expect(keys.map(keyLabel)).toEqual(['the master key', 'key codex', 'a key mcpwatch does not know']);
    // No value, in any field.
    const all = JSON.stringify(keys);
    for (const k of [MASTER, CODEX, WEBUI, 'sk-someone-else']) expect(all).not.toContain(k);
  });

  it('x-litellm-api-key (what LiteLLM reads first), VS Code inputs not known here, Open WebUI bearer keys', () => {
    const vscode = parseClientFile(
      '/tmp/mcp.json',
      JSON.stringify({
        servers: {
          a: { url: `${URL}/mcp/`, headers: { 'x-litellm-api-key': WEBUI, Authorization: 'Bearer sk-sso-token' } },
          b: { url: `${URL}/mcp/`, headers: { Authorization: 'Bearer ${input:key}' } },
          c: { url: `${URL}/mcp/`, headers: { Authorization: 'Bearer ${env:CODEX_KEY}' } },
        },
      }),
    );
    const webui = parseClientFile(
      '/tmp/webui.env',
      `TOOL_SERVER_CONNECTIONS=[{"type":"mcp","url":"${URL}/mcp/","auth_type":"bearer","key":"${WEBUI}"}]\n`,
    );
    const keys = entryKeys([vscode, webui], config().targets, env);
    expect(keys.map((k) => [k.file, k.server, k.which, k.key])).toEqual([
      ['/tmp/mcp.json', 'a', 'named', 'webui'],
      ['/tmp/mcp.json', 'c', 'named', 'codex'],
      ['/tmp/webui.env', 'TOOL_SERVER_CONNECTIONS[0]', 'named', 'webui'],
    ]);
  });
});
