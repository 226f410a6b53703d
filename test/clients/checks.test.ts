import { describe, expect, it } from 'vitest';
import { formatFinding } from '../../src/cli/check-clients.js';
import { checkClientFile, resolveValue, targetOf } from '../../src/clients/checks.js';
import { parseClientFile } from '../../src/clients/read.js';
import { parseConfig, type Config } from '../../src/config/parse.js';

// Client configs, right and wrong, for each client and each code, with the exact file:line of
// each finding. The formats: Codex as the real Codex CLI reads them (test/integration/codex-config
// checks that against `codex mcp list --json`); VS Code's mcp.json and settings.json as documented
// at https://code.visualstudio.com/docs/copilot/customization/mcp-servers (servers.NAME with type,
// url, headers; ${env:NAME} and ${input:ID}); Open WebUI's TOOL_SERVER_CONNECTIONS and
// OPENAI_API_BASE_URL as documented at https://docs.openwebui.com/features/mcp and
// https://docs.openwebui.com/getting-started/env-configuration (neither client runs headless here).

const config = ((): Config => {
  const r = parseConfig(
    `targets:
  lan: { url: "http://litellm.linuxserver.lan", apiKey: sk-x }
  internet: { url: "https://litellm.ai-servicers.com", apiKey: sk-x, apiKeyHeader: x-litellm-api-key, oauth2: { clientId: mcpwatch, clientSecret: s, tokenUrl: "https://sso/token" } }
`,
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
})();

function check(file: string, text: string, env: Record<string, string> = {}): string[] {
  return checkClientFile(parseClientFile(file, text), config.targets, env).map(
    (f) => `${f.file}:${f.line}: ${f.severity}: ${f.server}: [${f.code}]`,
  );
}

const LAN = 'http://litellm.linuxserver.lan/mcp/';
const KEY = 'sk-live-0123456789abcdef';

describe('Codex CLI config.toml', () => {
  const cases: Array<[string, string, Record<string, string>, string[]]> = [
    [
      'right: bearer_token_env_var and x-mcp-servers',
      `[mcp_servers.litellm]\nurl = "${LAN}"\nbearer_token_env_var = "LITELLM_KEY"\nhttp_headers = { "x-mcp-servers" = "mcp_fs" }\n`,
      { LITELLM_KEY: KEY },
      [],
    ],
    [
      'a literal key without Bearer (and written in the file)',
      `# gateway\n[mcp_servers.litellm]\nurl = "${LAN}"\n\n[mcp_servers.litellm.http_headers]\nAuthorization = "${KEY}"\n"x-mcp-servers" = "mcp_fs"\n`,
      {},
      ['c.toml:6: warning: litellm: [plaintext_key]', 'c.toml:6: error: litellm: [missing_bearer_prefix]'],
    ],
    [
      'env_http_headers: the variable holds the bare key',
      `[mcp_servers.l]\nurl = "${LAN}"\nenv_http_headers = { Authorization = "LITELLM_KEY", "x-mcp-servers" = "SERVERS" }\n`,
      { LITELLM_KEY: KEY, SERVERS: 'mcp_fs' },
      ['c.toml:3: error: l: [missing_bearer_prefix]'],
    ],
    [
      'bearer_token_env_var holding "Bearer sk-…"',
      `[mcp_servers.l]\nurl = "${LAN}"\nbearer_token_env_var = "LITELLM_KEY"\nhttp_headers = { "x-mcp-servers" = "mcp_fs" }\n`,
      { LITELLM_KEY: `Bearer ${KEY}` },
      ['c.toml:3: error: l: [double_bearer_prefix]'],
    ],
    [
      '`headers`, which Codex ignores: nothing is sent',
      `[mcp_servers.l]\nurl = "${LAN}"\nheaders = { Authorization = "Bearer \${LITELLM_KEY}", "x-mcp-servers" = "mcp_fs" }\n`,
      {},
      [
        'c.toml:1: error: l: [missing_servers_header]',
        'c.toml:1: error: l: [no_key]',
        'c.toml:3: error: l: [ignored_key]',
      ],
    ],
    [
      '`bearer_token`, which Codex refuses',
      `[mcp_servers.l]\nurl = "${LAN}"\nbearer_token = "${KEY}"\nbearer_token_env_var = "K"\nhttp_headers = { "x-mcp-servers" = "mcp_fs" }\n`,
      { K: KEY },
      ['c.toml:3: error: l: [ignored_key]'],
    ],
    [
      'no x-mcp-servers',
      `[mcp_servers.l]\nurl = "${LAN}"\nbearer_token_env_var = "K"\n`,
      { K: KEY },
      ['c.toml:1: error: l: [missing_servers_header]'],
    ],
    [
      'a server in the path instead',
      `[mcp_servers.l]\nurl = "${LAN}mcp_fs"\nbearer_token_env_var = "K"\n`,
      { K: KEY },
      [],
    ],
    [
      '/mcp without the slash',
      `[mcp_servers.l]\nurl = "http://litellm.linuxserver.lan/mcp"\nbearer_token_env_var = "K"\nhttp_headers = { "x-mcp-servers" = "a" }\n`,
      { K: KEY },
      ['c.toml:2: warning: l: [trailing_slash]'],
    ],
    [
      'the SSO host',
      `[mcp_servers.l]\nurl = "https://litellm.ai-servicers.com/mcp/"\nbearer_token_env_var = "K"\nhttp_headers = { "x-mcp-servers" = "a" }\n`,
      { K: KEY },
      ['c.toml:2: error: l: [sso_host]'],
    ],
    [
      'another server',
      `[mcp_servers.gh]\nurl = "https://api.githubcopilot.com/mcp/"\n`,
      {},
      ['c.toml:2: warning: gh: [not_a_gateway]'],
    ],
    [
      'a variable not set here',
      `[mcp_servers.l]\nurl = "${LAN}"\nbearer_token_env_var = "LITELLM_KEY"\nhttp_headers = { "x-mcp-servers" = "a" }\n`,
      {},
      ['c.toml:3: warning: l: [unresolved_variable]'],
    ],
    [
      'a stdio server: nothing to check',
      `[mcp_servers.fs]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-filesystem"]\n`,
      {},
      [],
    ],
  ];
  it.each(cases)('%s', (_n, text, env, expected) => expect(check('c.toml', text, env)).toEqual(expected));

  it('says what to do, one finding a line', () => {
    const [f] = checkClientFile(
      parseClientFile(
        'c.toml',
        `[mcp_servers.l]\nurl = "${LAN}"\nenv_http_headers = { Authorization = "LITELLM_KEY", "x-mcp-servers" = "S" }\n`,
      ),
      config.targets,
      { LITELLM_KEY: KEY, S: 'a' },
    );
    expect(formatFinding(f!)).toBe(
      'c.toml:3: error: l: [missing_bearer_prefix] the Authorization value lacks "Bearer " (LITELLM_KEY holds the bare key): LiteLLM refuses the key — fix: use bearer_token_env_var = "LITELLM_KEY" instead of env_http_headers (Codex adds "Bearer "), or put "Bearer " in the variable',
    );
    expect(JSON.stringify(f)).not.toContain(KEY);
  });
});

describe('VS Code mcp.json and settings.json, mcpServers JSON', () => {
  const vscode = (headers: string, extra = ''): string =>
    `// VS Code\n{\n  "servers": {\n    "litellm": {\n      "type": "http",\n      "url": "${LAN}",${extra}\n      "headers": { ${headers} }\n    }\n  }\n}\n`;
  const cases: Array<[string, string, string, Record<string, string>, string[]]> = [
    [
      'right: Bearer ${input:…}',
      'mcp.json',
      vscode('"Authorization": "Bearer ${input:litellm-key}", "x-mcp-servers": "mcp_fs"'),
      {},
      [],
    ],
    [
      'an input alone: cannot be known',
      'mcp.json',
      vscode('"Authorization": "${input:litellm-key}", "x-mcp-servers": "mcp_fs"'),
      {},
      ['mcp.json:7: warning: litellm: [unresolved_variable]'],
    ],
    [
      '${env:…} with the bare key',
      'mcp.json',
      vscode('"Authorization": "${env:LITELLM_KEY}", "x-mcp-servers": "mcp_fs"'),
      { LITELLM_KEY: KEY },
      ['mcp.json:7: error: litellm: [missing_bearer_prefix]'],
    ],
    [
      'http_headers, which VS Code ignores',
      'mcp.json',
      vscode('"x-mcp-servers": "mcp_fs"', '\n      "http_headers": { "Authorization": "Bearer x" },'),
      {},
      ['mcp.json:4: error: litellm: [no_key]', 'mcp.json:7: error: litellm: [ignored_key]'],
    ],
    [
      'settings.json: mcp.servers, a key in the file',
      'settings.json',
      `{\n  "editor.tabSize": 2,\n  "mcp": {\n    "servers": {\n      "gw": { "type": "http", "url": "${LAN}", "headers": { "Authorization": "Bearer ${KEY}" } }\n    }\n  }\n}\n`,
      {},
      ['settings.json:5: error: gw: [missing_servers_header]', 'settings.json:5: warning: gw: [plaintext_key]'],
    ],
    [
      'mcpServers JSON: ${VAR}',
      '.mcp.json',
      `{ "mcpServers": { "litellm": { "url": "${LAN}", "headers": { "Authorization": "Bearer \${LITELLM_KEY}", "x-mcp-servers": "a" } } } }`,
      { LITELLM_KEY: KEY },
      [],
    ],
    [
      'mcpServers JSON: Bearer written twice',
      '.mcp.json',
      `{ "mcpServers": { "litellm": { "url": "${LAN}", "headers": { "Authorization": "Bearer Bearer \${LITELLM_KEY}", "x-mcp-servers": "a" } } } }`,
      { LITELLM_KEY: KEY },
      ['.mcp.json:1: error: litellm: [double_bearer_prefix]'],
    ],
  ];
  it.each(cases)('%s', (_n, file, text, env, expected) => expect(check(file, text, env)).toEqual(expected));
});

describe('Open WebUI env files', () => {
  // Unquoted, as config/clients/openwebui.env writes it: Compose replaces ${VAR} there.
  const conn = (c: object, quote = ''): string =>
    `TOOL_SERVER_CONNECTIONS=${quote}${JSON.stringify([{ info: { name: 'LiteLLM' }, ...c }])}${quote}`;
  const cases: Array<[string, string, string[]]> = [
    [
      'right',
      `OPENAI_API_BASE_URL=http://litellm.linuxserver.lan/v1\n${conn({ type: 'mcp', url: LAN, auth_type: 'bearer', key: '${LITELLM_KEY}', headers: { 'x-mcp-servers': 'a' } })}\n`,
      [],
    ],
    [
      'the OpenAI base URL without /v1',
      `# chat\nOPENAI_API_BASE_URL=http://litellm.linuxserver.lan\n`,
      ['owui.env:2: error: OPENAI_API_BASE_URL: [openwebui_base_url]'],
    ],
    [
      'one of OPENAI_API_BASE_URLS',
      `OPENAI_API_BASE_URLS=https://api.openai.com/v1;http://litellm.linuxserver.lan/\n`,
      ['owui.env:1: error: OPENAI_API_BASE_URLS: [openwebui_base_url]'],
    ],
    [
      'the MCP endpoint as an OpenAPI server',
      `${conn({ type: 'openapi', url: LAN, auth_type: 'bearer', key: '${K}', headers: { 'x-mcp-servers': 'a' } })}\n`,
      ['owui.env:1: error: LiteLLM: [openwebui_connection_type]'],
    ],
    [
      'a key with "Bearer " (Open WebUI adds one)',
      `${conn({ type: 'mcp', url: LAN, auth_type: 'bearer', key: `Bearer ${KEY}`, headers: { 'x-mcp-servers': 'a' } })}\n`,
      ['owui.env:1: warning: LiteLLM: [plaintext_key]', 'owui.env:1: error: LiteLLM: [double_bearer_prefix]'],
    ],
    [
      // Compose keeps a single-quoted value as written (docker compose config, v5.5): the placeholder is sent.
      'a ${VAR} key in single quotes',
      `${conn({ type: 'mcp', url: LAN, auth_type: 'bearer', key: '${LITELLM_KEY}', headers: { 'x-mcp-servers': 'a' } }, "'")}\n`,
      ['owui.env:1: error: LiteLLM: [literal_placeholder]'],
    ],
    [
      'a ${VAR} key in double quotes (Compose replaces it)',
      `TOOL_SERVER_CONNECTIONS="${JSON.stringify([{ info: { name: 'LiteLLM' }, type: 'mcp', url: LAN, key: '${LITELLM_KEY}', headers: { 'x-mcp-servers': 'a' } }]).replace(/"/g, '\\"')}"\n`,
      [],
    ],
    [
      'auth_type session',
      `${conn({ type: 'mcp', url: LAN, auth_type: 'session', headers: { 'x-mcp-servers': 'a' } })}\n`,
      ['owui.env:1: error: LiteLLM: [no_key]'],
    ],
  ];
  // The variables set, as where Compose runs (an unset one is unresolved_variable, as for the other clients).
  const env = { LITELLM_KEY: 'sk-env-0123456789abcdef', K: 'sk-env-0123456789abcdef' };
  it.each(cases)('%s', (_n, text, expected) => expect(check('owui.env', text, env)).toEqual(expected));

  it('a ${VAR} key Compose would replace, with the variable unset here: unresolved, not a wrong key', () => {
    const text = conn({ type: 'mcp', url: LAN, key: '${LITELLM_KEY}', headers: { 'x-mcp-servers': 'a' } });
    expect(check('owui.env', text)).toEqual(['owui.env:1: warning: LiteLLM: [unresolved_variable]']);
  });
});

describe('the shipped examples (config/clients/) pass', () => {
  it.each(['codex-config.toml', 'vscode-mcp.json', 'openwebui.env'])('%s', async (name) => {
    const { readClientFile } = await import('../../src/clients/read.js');
    const f = await readClientFile(new URL(`../../config/clients/${name}`, import.meta.url).pathname);
    expect(f.entries.length).toBeGreaterThan(0);
    expect(
      checkClientFile(f, config.targets, { LITELLM_KEY: KEY, LITELLM_OPENWEBUI_KEY: KEY }).map(formatFinding),
    ).toEqual([]);
  });
});

describe('resolveValue: a header value as its client resolves it', () => {
  it('VS Code: ${env:NAME} from the environment, ${input:ID} unknowable; mcpServers JSON: ${NAME}', () => {
    const text = 'Bearer ${env:A}${input:k}';
    expect(resolveValue({ kind: 'template', text }, 'vscode', { A: 'x' })).toEqual({
      shape: 'Bearer x${input:k}',
      unset: [],
      inputs: ['k'],
      literalKey: false,
    });
    expect(resolveValue({ kind: 'template', text: 'Bearer ${A} ${env:B}' }, 'mcp_json', { A: 'x' })).toEqual({
      shape: 'Bearer x ${env:B}',
      unset: ['B'],
      inputs: [],
      literalKey: false,
    });
    expect(resolveValue({ kind: 'template', text: `Bearer ${KEY}` }, 'mcp_json', {})).toMatchObject({
      value: `Bearer ${KEY}`,
      literalKey: true,
    });
  });

  it('Codex: a whole value from a variable, its prefix before it', () => {
    const v = { kind: 'env' as const, variable: 'K', prefix: 'Bearer ' };
    expect(resolveValue(v, 'codex', { K: 'k' })).toEqual({
      value: 'Bearer k',
      shape: 'Bearer k',
      unset: [],
      inputs: [],
      literalKey: false,
    });
    expect(resolveValue(v, 'codex', {})).toEqual({ shape: 'Bearer ${K}', unset: ['K'], inputs: [], literalKey: false });
  });
});

describe('targetOf', () => {
  it('the target of the same origin, under its path; none for another host or a URL that is not one', () => {
    expect(targetOf('http://litellm.linuxserver.lan/mcp/', config.targets)?.name).toBe('lan');
    expect(targetOf('https://litellm.ai-servicers.com/x', config.targets)?.name).toBe('internet');
    expect(targetOf('http://other/mcp/', config.targets)).toBeUndefined();
    expect(targetOf('not a url', config.targets)).toBeUndefined();
  });
});
