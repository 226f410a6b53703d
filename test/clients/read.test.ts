import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClientFile, readClientFile, whyUnreadable } from '../../src/clients/read.js';
import { ClientFileError } from '../../src/clients/types.js';
import { tempDir } from '../support/agent-proc.js';

// Which client a file is for, from its name and content; a file that is none of them, or cannot be read, is a
// ClientFileError that says why.

describe('which client a file is for', () => {
  it.each([
    ['config.toml', '[mcp_servers.l]\nurl = "http://x/mcp/"\n', 'codex'],
    ['mcp.json', '{ "servers": {} }', 'vscode'],
    ['settings.json', '{ "mcp": { "servers": {} } }', 'vscode'],
    ['.mcp.json', '{ "mcpServers": {} }', 'mcp_json'],
    ['no-extension', '// a comment\n{ "mcpServers": {} }', 'mcp_json'],
    ['owui.env', 'OPENAI_API_BASE_URL=http://x/v1\n', 'openwebui'],
  ])('%s is %s', (file, text, client) => expect(parseClientFile(file, text).client).toBe(client));
});

describe('files that are not client configs', () => {
  it.each([
    ['bad.toml', '[mcp_servers.l\nurl = 1\n', /^bad\.toml:1: not valid TOML/],
    ['bad.json', '{ "servers": { ', /^bad\.json:1: not valid JSON/],
    ['other.json', '{ "name": "x" }', /not an MCP client config mcpwatch knows/],
    ['notes.txt', 'hello\n', /not a client config mcpwatch knows/],
  ])('%s', (file, text, message) => expect(() => parseClientFile(file, text)).toThrow(message));

  it('says which files it knows', () => {
    expect(() => parseClientFile('notes.txt', 'FOO=1\n')).toThrow(
      new ClientFileError(
        'notes.txt: not a client config mcpwatch knows (Codex config.toml, VS Code mcp.json or settings.json, ' +
          'mcpServers JSON, an Open WebUI env file with OPENAI_API_BASE_URL or TOOL_SERVER_CONNECTIONS)',
      ),
    );
    expect(() => parseClientFile('other.json', '{}')).toThrow(
      'other.json: a JSON file without servers (VS Code mcp.json), mcp.servers (VS Code settings.json) or ' +
        'mcpServers: not an MCP client config mcpwatch knows',
    );
  });
});

describe('readClientFile', () => {
  it('reads and parses a file', async () => {
    const file = join(tempDir(), 'config.toml');
    writeFileSync(file, '[mcp_servers.l]\nurl = "http://x/mcp/"\n');
    expect((await readClientFile(file)).entries.map((e) => e.server)).toEqual(['l']);
  });

  it('a file that cannot be read is a ClientFileError saying why', async () => {
    const dir = tempDir();
    await expect(readClientFile(join(dir, 'none.toml'))).rejects.toThrow(
      new ClientFileError(`${join(dir, 'none.toml')}: cannot read it (no such file)`),
    );
    mkdirSync(join(dir, 'sub'));
    await expect(readClientFile(join(dir, 'sub'))).rejects.toThrow(
      `${join(dir, 'sub')}: cannot read it (is a directory)`,
    );
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.toml');
      writeFileSync(locked, '');
      chmodSync(locked, 0);
      await expect(readClientFile(locked)).rejects.toThrow(`${locked}: cannot read it (permission denied)`);
    }
  });
});

describe('whyUnreadable', () => {
  const err = (code: string | undefined, message = 'raw'): NodeJS.ErrnoException =>
    Object.assign(new Error(message), code === undefined ? {} : { code });
  it.each([
    ['ENOENT', 'no such file'],
    ['EACCES', 'permission denied'],
    ['EISDIR', 'is a directory'],
    ['EIO', 'raw'],
    [undefined, 'raw'],
  ])('%s: %s', (code, why) => expect(whyUnreadable(err(code))).toBe(why));
});
