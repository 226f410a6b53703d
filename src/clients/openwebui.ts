import type { BaseUrlEntry, ClientEntry, ClientFile, ValueSource } from './types.js';

/** What makes an env file Open WebUI's. */
const OPEN_WEBUI_VARS = /^(OPENAI_API_BASE_URLS?|TOOL_SERVER_CONNECTIONS)$/;

/**
 * An Open WebUI env file (docker `--env-file`, compose `env_file`): `OPENAI_API_BASE_URL` (or
 * `OPENAI_API_BASE_URLS`, `;`-separated) for the OpenAI-compatible API, and
 * `TOOL_SERVER_CONNECTIONS`, a JSON list of tool servers, each with `url` (for `type: "mcp"` the
 * whole MCP URL), `type` (`mcp` or `openapi`), `auth_type` (`bearer` sends
 * `Authorization: Bearer <key>`, `none`, `session` forwards the user's Open WebUI token), `key`,
 * `headers` and `info.name`. Returns undefined for an env file without them. Pure.
 *
 * Read as Compose's `env_file` reads it: `${VAR}` in an unquoted or double-quoted value is replaced (from the
 * environment Compose runs in), in a single-quoted one it is kept as written, and Open WebUI then sends the
 * placeholder itself (`literal_placeholder`). `docker run --env-file` replaces nothing at all.
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

/** `quote`: how the value was written (`'`, `"` or unquoted), which decides whether `${VAR}` in it is replaced. */
type Assignment = { name: string; value: string; line: number; quote: Quote };
type Quote = "'" | '"' | '';

/** A `${VAR}` Compose replaces (the `$${VAR}` escape aside). */
const PLACEHOLDER = /(?<!\$)\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-[^}]*)?\}/;

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
    c && typeof c === 'object' ? [connectionEntry(file, v, c, i)] : [],
  );
}

/** A value of the connection: replaced by Compose unless single-quoted (then sent as written). */
function valueOf(text: string, quote: Quote): ValueSource {
  return quote !== "'" && PLACEHOLDER.test(text) ? { kind: 'template', text } : { kind: 'literal', text };
}

/** One tool server connection, as Open WebUI sends its requests. */
function connectionEntry(file: string, v: Assignment, c: Record<string, unknown>, i: number): ClientEntry {
  const { line, quote } = v;
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
    ...(typeof c.key === 'string' && c.key !== '' && { key: valueOf(c.key, quote) }),
  };
  if (auth === 'bearer' && typeof c.key === 'string' && c.key !== '') {
    // Open WebUI puts "Bearer " before the key itself.
    entry.headers.push({ name: 'Authorization', value: valueOf(`Bearer ${c.key}`, quote), line });
  }
  if (c.headers && typeof c.headers === 'object') {
    for (const [h, hv] of Object.entries(c.headers as Record<string, unknown>))
      if (typeof hv === 'string') entry.headers.push({ name: h, value: valueOf(hv, quote), line });
  }
  if (quote === "'") entry.ignored.push(...literalPlaceholders(c, line));
  return entry;
}

/** The connection's `key` and headers that hold a `${VAR}` single quotes keep from being replaced. */
function literalPlaceholders(c: Record<string, unknown>, line: number): ClientEntry['ignored'] {
  const values: Array<[string, unknown]> = [['key', c.key]];
  if (c.headers && typeof c.headers === 'object') values.push(...Object.entries(c.headers as Record<string, unknown>));
  return values.flatMap(([key, text]) => {
    const m = typeof text === 'string' ? PLACEHOLDER.exec(text) : null;
    if (!m) return [];
    return [
      {
        key: `TOOL_SERVER_CONNECTIONS ${key}`,
        line,
        code: 'literal_placeholder' as const,
        why:
          `${key} is the text ${m[0]}: the value is in single quotes, which Compose's env_file does not expand ` +
          '(docker --env-file expands nothing), so Open WebUI sends the placeholder and LiteLLM refuses it',
        fix: `drop the single quotes around TOOL_SERVER_CONNECTIONS (Compose replaces ${m[0]} in an unquoted value)`,
      },
    ];
  });
}

/**
 * `NAME=value` lines (`export` allowed, quotes removed and kept as `quote`, `\"` and `\\` unescaped in double
 * quotes, `#` comments skipped), with their line.
 */
function envAssignments(text: string): Assignment[] {
  const out: Assignment[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m || raw.trim().startsWith('#')) return;
    let value = m[2]!;
    let quote: Quote = '';
    if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0])) {
      quote = value[0] as Quote;
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\])/g, '$1');
    }
    out.push({ name: m[1]!, value, line: i + 1, quote });
  });
  return out;
}
