// What mcpwatch reads of LiteLLM's own config.yaml, and what its checks find in it.

/** A value as written in config.yaml, and the line it is on. */
export interface Written {
  text: string;
  line: number;
}

/** One `env` entry of a server: the variable the server gets, and what config.yaml gives it. */
export interface ServerEnv {
  name: string;
  /** Undefined when the value is not a string (a number, a boolean, a map: LiteLLM passes it on as it is). */
  value?: string;
  line: number;
}

/** One `mcp_servers` entry, as LiteLLM reads it. */
export interface ServerDecl {
  name: string;
  line: number;
  /** As written; absent means LiteLLM's default (`sse` when spawned, `http` when its id is made). */
  transport?: Written;
  url?: Written;
  command?: Written;
  /** Undefined when there are none; `notStrings` when the YAML value is not a list of strings. */
  args?: { items: Written[]; line: number; notStrings?: boolean };
  env: ServerEnv[];
  /** `env` written, but not as a map. */
  envNotAMap?: number;
}

/** A string anywhere in config.yaml, with its key path (`general_settings.master_key`, `model_list[0]…`). */
export interface ConfigString {
  path: string;
  /** The key it is the value of (the last part of `path` that is a name), or undefined in a list of strings. */
  key?: string;
  text: string;
  line: number;
  /** In a list of strings: LiteLLM's `os.environ/` replacement does not reach it. */
  inList: boolean;
}

/** LiteLLM's config.yaml as mcpwatch reads it. */
export interface GatewayConfig {
  file: string;
  /** `general_settings.master_key`, as written. */
  masterKey?: Written;
  servers: ServerDecl[];
  /** Where `mcp_servers` is (its key's line), or undefined when the file has none. */
  serversLine?: number;
  /** Every string value in the file, for the checks of references and secrets. */
  strings: ConfigString[];
}

export const GATEWAY_FINDING_CODES = [
  'unset_variable',
  'unexpanded_reference',
  'placeholder_not_replaced',
  'plaintext_secret',
  'invalid_server',
  'command_not_allowed',
  'stdio_disabled',
  'missing_at_gateway',
  'undeclared_at_gateway',
] as const;
export type GatewayFindingCode = (typeof GATEWAY_FINDING_CODES)[number];

/** A finding in config.yaml, in check-clients' shape (`server` is the mcp_servers entry, or the setting's path). */
export interface GatewayFinding {
  file: string;
  line: number;
  server: string;
  code: GatewayFindingCode;
  severity: 'error' | 'warning';
  message: string;
  fix: string;
}

/** A config.yaml or an env file that cannot be read or parsed (exit 2). */
export class GatewayConfigError extends Error {
  override name = 'GatewayConfigError';
}
