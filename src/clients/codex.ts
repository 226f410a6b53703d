import { parse, TomlError } from 'smol-toml';
import { ClientFileError, type ClientEntry, type ClientFile, type EntryHeader } from './types.js';

/**
 * Codex CLI `config.toml`: `[mcp_servers.NAME]` with `url`, `bearer_token_env_var` (Codex sends
 * `Authorization: Bearer $VAR`), `http_headers` (literal) and `env_http_headers` (header → variable).
 * What Codex ignores or refuses was read off the real Codex (0.171, `codex mcp list --json`): it
 * drops `headers` silently, and refuses to load the whole file for `bearer_token` on a URL entry.
 * Pure: text in, entries out.
 */
export function readCodexConfig(file: string, text: string): ClientFile {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    const line = err instanceof TomlError ? err.line : undefined;
    throw new ClientFileError(`${file}${line ? `:${line}` : ''}: not valid TOML: ${firstLine((err as Error).message)}`);
  }
  const lines = keyLines(text);
  const servers = doc.mcp_servers;
  const entries: ClientEntry[] = [];
  if (isRecord(servers)) {
    for (const [name, raw] of Object.entries(servers)) {
      if (!isRecord(raw)) continue;
      const at = (...path: string[]): number =>
        lines.get(['mcp_servers', name, ...path].join('\u0000')) ??
        lines.get(['mcp_servers', name].join('\u0000')) ??
        1;
      const entry: ClientEntry = { file, client: 'codex', server: name, line: at(), headers: [], ignored: [] };
      if (typeof raw.url === 'string') entry.url = { text: raw.url, line: at('url') };
      if (typeof raw.bearer_token_env_var === 'string') {
        entry.headers.push({
          name: 'Authorization',
          value: { kind: 'env', variable: raw.bearer_token_env_var, prefix: 'Bearer ' },
          line: at('bearer_token_env_var'),
        });
      }
      if (isRecord(raw.http_headers)) {
        for (const [h, v] of Object.entries(raw.http_headers))
          if (typeof v === 'string') entry.headers.push(header(h, { kind: 'literal', text: v }, at('http_headers', h)));
      }
      if (isRecord(raw.env_http_headers)) {
        for (const [h, v] of Object.entries(raw.env_http_headers))
          if (typeof v === 'string')
            entry.headers.push(header(h, { kind: 'env', variable: v }, at('env_http_headers', h)));
      }
      if (entry.url) {
        if ('headers' in raw) {
          entry.ignored.push({
            key: 'headers',
            line: at('headers'),
            why: 'Codex ignores `headers` (it reads `http_headers`): these headers are never sent',
            fix: 'rename the table to `http_headers` (or use `env_http_headers` for values from the environment)',
          });
        }
        if ('bearer_token' in raw) {
          entry.ignored.push({
            key: 'bearer_token',
            line: at('bearer_token'),
            why:
              'Codex refuses `bearer_token` on a URL entry ("bearer_token is not supported for streamable_http") ' +
              'and loads none of this file',
            fix:
              'put the key in an environment variable and set `bearer_token_env_var = "LITELLM_KEY"` ' +
              '(Codex adds the `Bearer ` prefix)',
          });
        }
      }
      entries.push(entry);
    }
  }
  return { file, client: 'codex', entries, baseUrls: [] };
}

function header(name: string, value: EntryHeader['value'], line: number): EntryHeader {
  return { name, value, line };
}

/**
 * The line of every key and table header, by its path (`mcp_servers\0NAME\0url`): TOML keys are
 * one a line, so a scan of the lines finds them; inline tables' keys get the line of their table
 * key unless written on lines of their own.
 */
export function keyLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let table: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
    if (header) {
      table = splitKey(header[1]!);
      if (!out.has(table.join('\u0000'))) out.set(table.join('\u0000'), n);
      return;
    }
    const kv = /^((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=\s*(.*)$/.exec(
      line,
    );
    if (!kv) return;
    const path = [...table, ...splitKey(kv[1]!)];
    if (!out.has(path.join('\u0000'))) out.set(path.join('\u0000'), n);
    // An inline table on the same line: its keys are on this line too.
    const rest = kv[2]!;
    if (rest.startsWith('{')) {
      for (const m of rest.matchAll(/(?:^\{|,)\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=/g)) {
        const key = [...path, unquote(m[1]!)].join('\u0000');
        if (!out.has(key)) out.set(key, n);
      }
    }
  });
  return out;
}

function splitKey(key: string): string[] {
  const parts: string[] = [];
  for (const m of key.matchAll(/\s*("[^"]*"|'[^']*'|[^.\s]+)\s*(?:\.|$)/g)) parts.push(unquote(m[1]!));
  return parts;
}

function unquote(s: string): string {
  return (s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")) ? s.slice(1, -1) : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
