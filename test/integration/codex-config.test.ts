import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCodexConfig } from '../../src/clients/codex.js';
import { tempDir } from '../support/agent-proc.js';
import { ensureNpmPackage } from '../support/npm-tools.js';

// What mcpwatch reads from a Codex CLI config.toml must be what the real Codex reads: for each
// file, `codex mcp list --json` (npm @openai/codex, its native binary, with a scratch CODEX_HOME)
// shows what every entry sends (url, the bearer variable, literal and variable headers); the keys
// mcpwatch reports as ignored are the ones Codex drops (or refuses the file for).

const CODEX_VERSION = '0.171.0';
let codex: string;

beforeAll(() => {
  codex = ensureNpmPackage(`codex-${CODEX_VERSION}`, `@openai/codex@${CODEX_VERSION}`, 'bin/codex.js');
}, 300_000);

interface CodexEntry {
  name: string;
  transport: {
    type: string;
    url?: string;
    bearer_token_env_var: string | null;
    http_headers: Record<string, string> | null;
    env_http_headers: Record<string, string> | null;
  };
}

/** `codex mcp list --json` on a config: its entries, or Codex's refusal. */
function codexList(toml: string): { entries?: CodexEntry[]; error?: string } {
  // Codex warns on stderr that it makes no helper links in a temporary folder: harmless here.
  const home = join(tempDir('mcpwatch-codex-'), 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.toml'), toml);
  const r = spawnSync(process.execPath, [codex, 'mcp', 'list', '--json'], {
    env: { ...process.env, CODEX_HOME: home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0)
    return {
      error: `${r.stderr}`
        .split('\n')
        .filter((l) => !l.startsWith('WARNING'))
        .slice(0, 4)
        .join('\n'),
    };
  return { entries: JSON.parse(r.stdout) as CodexEntry[] };
}

/** mcpwatch's reading, in Codex's terms. */
function mcpwatchView(toml: string): Array<{
  name: string;
  url?: string;
  bearer: string | null;
  http: Record<string, string> | null;
  env: Record<string, string> | null;
}> {
  return readCodexConfig('config.toml', toml)
    .entries.filter((e) => e.url)
    .map((e) => {
      const bearer = e.headers.find((h) => h.value.kind === 'env' && h.value.prefix);
      const http = Object.fromEntries(
        e.headers.filter((h) => h.value.kind === 'literal').map((h) => [h.name, (h.value as { text: string }).text]),
      );
      const env = Object.fromEntries(
        e.headers
          .filter((h) => h.value.kind === 'env' && !h.value.prefix)
          .map((h) => [h.name, (h.value as { variable: string }).variable]),
      );
      return {
        name: e.server,
        url: e.url!.text,
        bearer: bearer && bearer.value.kind === 'env' ? bearer.value.variable : null,
        http: Object.keys(http).length ? http : null,
        env: Object.keys(env).length ? env : null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const FILES: Record<string, string> = {
  'bearer variable and inline headers': `[mcp_servers.litellm]
url = "http://litellm.linuxserver.lan/mcp/"
bearer_token_env_var = "LITELLM_KEY"
http_headers = { "x-mcp-servers" = "mcp_postgres,mcp_filesystem" }
`,
  'header sub-tables, variables for headers': `[mcp_servers.gw]
url = "http://litellm.linuxserver.lan/mcp"

[mcp_servers.gw.http_headers]
Authorization = "sk-no-prefix-0123456789"
"x-mcp-servers" = "mcp_postgres"

[mcp_servers.gw.env_http_headers]
"x-litellm-api-key" = "LITELLM_KEY"

[mcp_servers.fs]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "/srv"]
`,
  '`headers` (ignored by Codex)': `[mcp_servers.litellm]
url = "http://litellm.linuxserver.lan/mcp/"
headers = { Authorization = "Bearer sk-0123456789", "x-mcp-servers" = "mcp_postgres" }
`,
};

describe('Codex CLI reads config.toml as mcpwatch does (real codex mcp list --json)', () => {
  it.each(Object.entries(FILES))(
    '%s',
    (_name, toml) => {
      const real = codexList(toml);
      expect(real.error, real.error).toBeUndefined();
      const fromCodex = real
        .entries!.filter((e) => e.transport.type === 'streamable_http')
        .map((e) => ({
          name: e.name,
          url: e.transport.url,
          bearer: e.transport.bearer_token_env_var,
          http: e.transport.http_headers,
          env: e.transport.env_http_headers,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(mcpwatchView(toml)).toEqual(fromCodex);
    },
    90_000,
  );

  it('a key mcpwatch calls ignored is one Codex drops: `headers` sends nothing', () => {
    const real = codexList(FILES['`headers` (ignored by Codex)']!);
    expect(real.entries![0]!.transport.http_headers).toBeNull();
    const entry = readCodexConfig('config.toml', FILES['`headers` (ignored by Codex)']!).entries[0]!;
    expect(entry.ignored.map((i) => [i.key, i.line])).toEqual([['headers', 3]]);
  }, 90_000);

  it('`bearer_token` on a URL entry: Codex refuses the whole file, mcpwatch says so', () => {
    const toml = `[mcp_servers.litellm]\nurl = "http://litellm.linuxserver.lan/mcp/"\nbearer_token = "sk-0123456789"\n`;
    const real = codexList(toml);
    expect(real.error).toMatch(/bearer_token is not supported for streamable_http/);
    const entry = readCodexConfig('config.toml', toml).entries[0]!;
    expect(entry.ignored).toEqual([
      expect.objectContaining({
        key: 'bearer_token',
        line: 3,
        why: expect.stringContaining('"bearer_token is not supported for streamable_http"'),
      }),
    ]);
  }, 90_000);
});
