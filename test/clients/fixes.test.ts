import { describe, expect, it } from 'vitest';
import { CLIENT_FIXES, doubledBearer } from '../../src/clients/fixes.js';
import { CLIENT_NAMES, type ClientEntry, type ClientKind, type EntryHeader } from '../../src/clients/types.js';

// The fixes a finding gives, in each client's own syntax: one row per client kind.

const entry = (client: ClientKind, extra: Partial<ClientEntry> = {}): ClientEntry => ({
  file: 'f',
  client,
  server: 's',
  line: 1,
  headers: [],
  ignored: [],
  ...extra,
});
const header = (value: EntryHeader['value']): EntryHeader => ({ name: 'Authorization', value, line: 2 });
const literal = header({ kind: 'literal', text: 'Bearer Bearer x' });

describe('CLIENT_FIXES', () => {
  it('has a row for every client kind', () => {
    expect(Object.keys(CLIENT_FIXES).sort()).toEqual(Object.keys(CLIENT_NAMES).sort());
  });

  it("writes each fix in the client's syntax", () => {
    expect(CLIENT_FIXES.codex.servers).toBe('add http_headers = { "x-mcp-servers" = "mcp_postgres,mcp_filesystem" }');
    expect(CLIENT_FIXES.vscode.servers).toBe('add "x-mcp-servers": "mcp_postgres,mcp_filesystem" to "headers"');
    expect(CLIENT_FIXES.mcp_json.servers).toBe(CLIENT_FIXES.vscode.servers);
    expect(CLIENT_FIXES.openwebui.servers).toBe(
      'add "headers": { "x-mcp-servers": "mcp_postgres,mcp_filesystem" } to the connection, or name the server in the URL (/mcp/mcp_postgres)',
    );
    expect(CLIENT_FIXES.vscode.key).toBe(
      'add "Authorization": "Bearer ${input:litellm-key}" to "headers" (with an input of type promptString, password: true)',
    );
    expect(CLIENT_FIXES.mcp_json.plaintext).toBe('use a variable: "Authorization": "Bearer ${LITELLM_KEY}"');
  });

  it("Codex's missing Bearer: bearer_token_env_var for a variable, the prefix for a literal", () => {
    expect(CLIENT_FIXES.codex.bearer(header({ kind: 'env', variable: 'K' }))).toBe(
      'use bearer_token_env_var = "K" instead of env_http_headers (Codex adds "Bearer "), or put "Bearer " in the variable',
    );
    expect(CLIENT_FIXES.codex.bearer(header({ kind: 'literal', text: 'sk-x' }))).toBe(
      'add the `Bearer ` prefix: Authorization = "Bearer <key>", better bearer_token_env_var = "LITELLM_KEY"',
    );
  });

  it("VS Code and mcpServers JSON: the prefix before the entry's own variable, never before a key written out", () => {
    const fix = (v: string): string => `add the \`Bearer \` prefix: "Authorization": "Bearer ${v}"`;
    expect(CLIENT_FIXES.vscode.bearer(header({ kind: 'template', text: '${env:GW_KEY}' }))).toBe(fix('${env:GW_KEY}'));
    expect(CLIENT_FIXES.vscode.bearer(header({ kind: 'template', text: '${input:team-key}' }))).toBe(
      fix('${input:team-key}'),
    );
    expect(CLIENT_FIXES.mcp_json.bearer(header({ kind: 'template', text: '${TEAM_KEY}' }))).toBe(fix('${TEAM_KEY}'));
    // Not one variable alone (a written-out part may be a key): the client's usual variable.
    expect(CLIENT_FIXES.vscode.bearer(header({ kind: 'template', text: 'sk-1${env:X}' }))).toBe(
      fix('${input:litellm-key}'),
    );
    expect(CLIENT_FIXES.vscode.bearer(header({ kind: 'literal', text: 'sk-secret' }))).toBe(
      fix('${input:litellm-key}'),
    );
    expect(CLIENT_FIXES.mcp_json.bearer(header({ kind: 'literal', text: 'sk-secret' }))).toBe(fix('${LITELLM_KEY}'));
  });
});

describe('doubledBearer', () => {
  it('a variable that bearer_token_env_var prefixes: the variable holds "Bearer ", whichever client', () => {
    const prefixed = header({ kind: 'env', variable: 'K', prefix: 'Bearer ' });
    for (const client of ['codex', 'openwebui'] as const)
      expect(doubledBearer(entry(client), prefixed)).toEqual({
        why: ' (K already starts with "Bearer ", and bearer_token_env_var adds another)',
        fix: 'put only the key in K (without "Bearer ")',
      });
  });

  it('Open WebUI with auth_type bearer adds the second one', () => {
    expect(doubledBearer(entry('openwebui', { openWebUiAuth: { type: 'bearer', line: 1 } }), literal)).toEqual({
      why: ' (the key already starts with "Bearer ", and Open WebUI adds another)',
      fix: 'put only the key in "key" (without "Bearer ")',
    });
    expect(doubledBearer(entry('openwebui', { openWebUiAuth: { type: 'none', line: 1 } }), literal)).toEqual({
      why: '',
      fix: 'put only the key in "key" (without "Bearer ")',
    });
  });

  it.each(['codex', 'vscode', 'mcp_json'] as const)('%s: written twice in the file', (client) => {
    expect(doubledBearer(entry(client), literal)).toEqual({ why: '', fix: 'write "Bearer " once' });
  });
});
