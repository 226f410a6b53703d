import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { readCodexConfig } from './codex.js';
import { readJsonConfig } from './json-configs.js';
import { readOpenWebUiEnv } from './openwebui.js';
import { ClientFileError, type ClientFile } from './types.js';

/** The files mcpwatch reads, as a person names them. */
const KNOWN_FILES =
  'Codex config.toml, VS Code mcp.json or settings.json, mcpServers JSON, ' +
  'an Open WebUI env file with OPENAI_API_BASE_URL or TOOL_SERVER_CONNECTIONS';

/**
 * Which client a file is for, from its name and content: `.toml` is Codex's, JSON with `servers`,
 * `mcp.servers` or `mcpServers` is VS Code's or an mcpServers file, an env file with Open WebUI's
 * variables is Open WebUI's. Pure; throws ClientFileError for anything else.
 */
export function parseClientFile(file: string, text: string): ClientFile {
  const name = basename(file).toLowerCase();
  if (name.endsWith('.toml')) return readCodexConfig(file, text);
  const trimmed = text.trimStart();
  if (name.endsWith('.json') || name.endsWith('.jsonc') || trimmed.startsWith('{') || trimmed.startsWith('//')) {
    const json = readJsonConfig(file, text);
    if (json) return json;
    throw new ClientFileError(
      `${file}: a JSON file without servers (VS Code mcp.json), mcp.servers (VS Code settings.json) or mcpServers: ` +
        'not an MCP client config mcpwatch knows',
    );
  }
  const env = readOpenWebUiEnv(file, text);
  if (env) return env;
  throw new ClientFileError(`${file}: not a client config mcpwatch knows (${KNOWN_FILES})`);
}

/** Reads and parses a client file; a file that cannot be read is a ClientFileError too. */
export async function readClientFile(file: string): Promise<ClientFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ClientFileError(`${file}: cannot read it (${whyUnreadable(err as NodeJS.ErrnoException)})`);
  }
  return parseClientFile(file, text);
}

/** Why a file cannot be read, as a person says it. */
export function whyUnreadable(err: NodeJS.ErrnoException): string {
  const code = err.code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'is a directory'
        : err.message;
}
