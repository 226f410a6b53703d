import type { BaseUrlEntry, ClientEntry, ClientFile } from './types.js';

/** What makes an env file Open WebUI's. */
const OPEN_WEBUI_VARS = /^(OPENAI_API_BASE_URLS?|TOOL_SERVER_CONNECTIONS)$/;

/**
 * An Open WebUI env file (docker `--env-file`, compose `env_file`): `OPENAI_API_BASE_URL` (or
 * `OPENAI_API_BASE_URLS`, `;`-separated) for the OpenAI-compatible API, and
 * `TOOL_SERVER_CONNECTIONS`, a JSON list of tool servers, each with `url` (for `type: "mcp"` the
 * whole MCP URL), `type` (`mcp` or `openapi`), `auth_type` (`bearer` sends
 * `Authorization: Bearer <key>`, `none`, `session` forwards the user's Open WebUI token), `key`,
 * `headers` and `info.name`. Returns undefined for an env file without them. Pure.
 */
export function readOpenWebUiEnv(file: string, text: string): ClientFile | undefined {
  const vars = envAssignments(text);
  if (!vars.some((v) => OPEN_WEBUI_VARS.test(v.name))) return undefined;
  const entries: ClientEntry[] = [];
  const baseUrls: BaseUrlEntry[] = [];
  for (const v of vars) {
    if (v.name === 'OPENAI_API_BASE_URL' || v.name === 'OPENAI_API_BASE_URLS') {
      for (const url of v.value
        .split(';')
        .map((u) => u.trim())
        .filter(Boolean))
        baseUrls.push({ file, variable: v.name, url, line: v.line });
    }
    if (v.name === 'TOOL_SERVER_CONNECTIONS') entries.push(...connectionEntries(file, v));
  }
  return { file, client: 'openwebui', entries, baseUrls };
}

type Assignment = { name: string; value: string; line: number };

/** TOOL_SERVER_CONNECTIONS: an entry for each connection, or one saying the JSON cannot be read. */
function connectionEntries(file: string, v: Assignment): ClientEntry[] {
  let list: unknown;
  try {
    list = JSON.parse(v.value || '[]');
  } catch (err) {
    return [
      {
        file,
        client: 'openwebui',
        server: 'TOOL_SERVER_CONNECTIONS',
        line: v.line,
        headers: [],
        ignored: [
          {
            key: 'TOOL_SERVER_CONNECTIONS',
            line: v.line,
            why: `not valid JSON (${(err as Error).message}): Open WebUI loads no tool server from it`,
            fix: 'write a JSON list: [{"type":"mcp","url":"http://…/mcp/","auth_type":"bearer","key":"sk-…"}]',
          },
        ],
      },
    ];
  }
  if (!Array.isArray(list)) return [];
  return list.flatMap((c: Record<string, unknown>, i) =>
    c && typeof c === 'object' ? [connectionEntry(file, v.line, c, i)] : [],
  );
}

/** One tool server connection, as Open WebUI sends its requests. */
function connectionEntry(file: string, line: number, c: Record<string, unknown>, i: number): ClientEntry {
  const info = (c.info ?? {}) as Record<string, unknown>;
  const name =
    typeof info.name === 'string' && info.name
      ? info.name
      : typeof info.id === 'string' && info.id
        ? info.id
        : `TOOL_SERVER_CONNECTIONS[${i}]`;
  const entry: ClientEntry = { file, client: 'openwebui', server: name, line, headers: [], ignored: [] };
  if (typeof c.url === 'string') entry.url = { text: c.url, line };
  if (typeof c.type === 'string') entry.connectionType = { text: c.type, line };
  const auth = typeof c.auth_type === 'string' ? c.auth_type : 'bearer';
  entry.openWebUiAuth = {
    type: auth,
    line,
    ...(typeof c.key === 'string' && c.key !== '' && { key: { kind: 'literal' as const, text: c.key } }),
  };
  if (auth === 'bearer' && typeof c.key === 'string' && c.key !== '') {
    // Open WebUI puts "Bearer " before the key itself.
    entry.headers.push({ name: 'Authorization', value: { kind: 'literal', text: `Bearer ${c.key}` }, line });
  }
  if (c.headers && typeof c.headers === 'object') {
    for (const [h, hv] of Object.entries(c.headers as Record<string, unknown>))
      if (typeof hv === 'string') entry.headers.push({ name: h, value: { kind: 'literal', text: hv }, line });
  }
  return entry;
}

/** `NAME=value` lines (`export` allowed, quotes removed, `#` comments skipped), with their line. */
function envAssignments(text: string): Assignment[] {
  const out: Assignment[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m || raw.trim().startsWith('#')) return;
    let value = m[2]!;
    if ((value.startsWith("'") && value.endsWith("'")) || (value.startsWith('"') && value.endsWith('"')))
      value = value.slice(1, -1);
    out.push({ name: m[1]!, value, line: i + 1 });
  });
  return out;
}
