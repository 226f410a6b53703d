import type { ClientEntry, ClientKind, EntryHeader } from './types.js';

/** What a finding tells the user to write, in the syntax of the client whose file it is. */
export interface ClientFixes {
  /** No `x-mcp-servers` header. */
  servers: string;
  /** No key at all. */
  key: string;
  /** A key written in the file. */
  plaintext: string;
  /** An Authorization value without `Bearer `. */
  bearer: (h: EntryHeader) => string;
  /** `Bearer Bearer …`: why the client sends a second one (empty when nothing of the client's adds it). */
  doubledWhy: (e: ClientEntry) => string;
  doubledFix: string;
}

const SERVERS = '"x-mcp-servers": "mcp_postgres,mcp_filesystem"';

/**
 * The missing `Bearer ` of a JSON client's Authorization: before the entry's own variable when the value is one
 * (`${env:VAR}` stays `${env:VAR}`), else before the client's usual one. A value written out is a key: never echoed.
 */
const bearerBefore =
  (usual: string) =>
  (h: EntryHeader): string => {
    const own = h.value.kind === 'template' && /^\$\{[^}\s]+\}$/.test(h.value.text) ? h.value.text : usual;
    return `add the \`Bearer \` prefix: "Authorization": "Bearer ${own}"`;
  };
const BEARER_ONCE = 'write "Bearer " once';
const NONE_ADDED = (): string => '';

/** One row per client kind: a new client is a new row. */
export const CLIENT_FIXES: Record<ClientKind, ClientFixes> = {
  codex: {
    servers: 'add http_headers = { "x-mcp-servers" = "mcp_postgres,mcp_filesystem" }',
    key: 'add bearer_token_env_var = "LITELLM_KEY" (Codex sends Authorization: Bearer $LITELLM_KEY)',
    plaintext: 'put the key in an environment variable: bearer_token_env_var = "LITELLM_KEY"',
    bearer: (h) =>
      h.value.kind === 'env'
        ? `use bearer_token_env_var = "${h.value.variable}" instead of env_http_headers (Codex adds "Bearer "), ` +
          'or put "Bearer " in the variable'
        : 'add the `Bearer ` prefix: Authorization = "Bearer <key>", better bearer_token_env_var = "LITELLM_KEY"',
    doubledWhy: NONE_ADDED,
    doubledFix: BEARER_ONCE,
  },
  vscode: {
    servers: `add ${SERVERS} to "headers"`,
    key:
      'add "Authorization": "Bearer ${input:litellm-key}" to "headers" ' +
      '(with an input of type promptString, password: true)',
    plaintext: 'use an input: "Authorization": "Bearer ${input:litellm-key}", or "Bearer ${env:LITELLM_KEY}"',
    bearer: bearerBefore('${input:litellm-key}'),
    doubledWhy: NONE_ADDED,
    doubledFix: BEARER_ONCE,
  },
  mcp_json: {
    servers: `add ${SERVERS} to "headers"`,
    key: 'add "Authorization": "Bearer ${LITELLM_KEY}" to "headers"',
    plaintext: 'use a variable: "Authorization": "Bearer ${LITELLM_KEY}"',
    bearer: bearerBefore('${LITELLM_KEY}'),
    doubledWhy: NONE_ADDED,
    doubledFix: BEARER_ONCE,
  },
  openwebui: {
    servers: `add "headers": { ${SERVERS} } to the connection, ` + 'or name the server in the URL (/mcp/mcp_postgres)',
    key: 'set "auth_type": "bearer" and "key" to the LiteLLM key',
    plaintext: 'keep the env file out of version control and readable only by the service',
    bearer: () => 'use "auth_type": "bearer" with the bare key in "key" (Open WebUI adds "Bearer ")',
    doubledWhy: (e) =>
      e.openWebUiAuth?.type === 'bearer' ? ' (the key already starts with "Bearer ", and Open WebUI adds another)' : '',
    doubledFix: 'put only the key in "key" (without "Bearer ")',
  },
};

/**
 * `Bearer Bearer …`: why, and what to write. A variable that bearer_token_env_var prefixes is the value's doing,
 * whichever client reads it; else the client's row says.
 */
export function doubledBearer(e: ClientEntry, h: EntryHeader): { why: string; fix: string } {
  if (h.value.kind === 'env' && h.value.prefix) {
    return {
      why: ` (${h.value.variable} already starts with "Bearer ", and bearer_token_env_var adds another)`,
      fix: `put only the key in ${h.value.variable} (without "Bearer ")`,
    };
  }
  const row = CLIENT_FIXES[e.client];
  return { why: row.doubledWhy(e), fix: row.doubledFix };
}
