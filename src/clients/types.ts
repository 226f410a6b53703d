/** The clients whose config files mcpwatch reads. */
export type ClientKind = 'codex' | 'vscode' | 'mcp_json' | 'openwebui';

export const CLIENT_NAMES: Record<ClientKind, string> = {
  codex: 'Codex CLI',
  vscode: 'VS Code',
  mcp_json: 'mcpServers JSON',
  openwebui: 'Open WebUI',
};

/**
 * Where a header's value comes from, as the client reads it: written in the file, or from an
 * environment variable (Codex `env_http_headers`, `bearer_token_env_var`), or a template with
 * variables (`${env:KEY}`, `${input:key}` in VS Code, `${KEY}` in mcpServers JSON).
 */
export type ValueSource =
  | { kind: 'literal'; text: string }
  /** The whole value is the variable's (Codex); `prefix` is put before it (`Bearer ` for bearer_token_env_var). */
  | { kind: 'env'; variable: string; prefix?: string }
  /** A string with `${…}` parts the client replaces. */
  | { kind: 'template'; text: string };

export interface EntryHeader {
  /** As written (case kept); compare case-insensitively. */
  name: string;
  value: ValueSource;
  line: number;
}

/** One MCP server entry of a client config, as that client reads it. */
export interface ClientEntry {
  file: string;
  client: ClientKind;
  /** The entry's name in the file (`[mcp_servers.NAME]`, `servers.NAME`, a connection's name or URL). */
  server: string;
  line: number;
  /** Absent for stdio entries (a command, no URL): nothing of the gateway's to check. */
  url?: { text: string; line: number };
  headers: EntryHeader[];
  /** Keys the client ignores or refuses in this entry, with why and what to write instead. */
  ignored: Array<{ key: string; line: number; why: string; fix: string; code?: ReaderFindingCode }>;
  /** Open WebUI tool server connections: their `type` (`mcp`, `openapi`) and where it is written. */
  connectionType?: { text: string; line: number };
  /** Open WebUI: the connection's own auth (`bearer` with `key`: it adds `Bearer `). */
  openWebUiAuth?: { type: string; key?: ValueSource; line: number };
}

/** An Open WebUI `OPENAI_API_BASE_URL(S)` value (the OpenAI-compatible API, not MCP). */
export interface BaseUrlEntry {
  file: string;
  variable: string;
  url: string;
  line: number;
}

/** What a file holds: its MCP entries, and Open WebUI's OpenAI base URLs. */
export interface ClientFile {
  file: string;
  client: ClientKind;
  entries: ClientEntry[];
  baseUrls: BaseUrlEntry[];
}

export const FINDING_CODES = [
  'missing_bearer_prefix',
  'double_bearer_prefix',
  'missing_servers_header',
  'unknown_server',
  'server_down',
  'ignored_key',
  'trailing_slash',
  'sso_host',
  'plaintext_key',
  'unresolved_variable',
  'not_a_gateway',
  'openwebui_base_url',
  'openwebui_connection_type',
  'no_key',
  'literal_placeholder',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

/** Codes a reader gives an entry's `ignored` item besides `ignored_key` (what the file's syntax does to a value). */
export type ReaderFindingCode = 'ignored_key' | 'literal_placeholder';

/** The codes only a live try of an entry finds (`--live`, the client_config probe): about the gateway's servers. */
export const LIVE_FINDING_CODES = ['unknown_server', 'server_down'] as const satisfies readonly FindingCode[];
export type LiveFindingCode = (typeof LIVE_FINDING_CODES)[number];

export interface Finding {
  file: string;
  line: number;
  client: ClientKind;
  server: string;
  code: FindingCode;
  severity: 'error' | 'warning';
  message: string;
  fix: string;
}

/** A file that cannot be read or is not a client config mcpwatch knows (exit 2). */
export class ClientFileError extends Error {
  override name = 'ClientFileError';
}
