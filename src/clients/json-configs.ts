import {
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  type Node,
  type ParseError,
} from 'jsonc-parser';
import { ClientFileError, type ClientEntry, type ClientFile, type ClientKind } from './types.js';

/** Header-like keys that a JSON client does not read (it reads `headers`). */
const HEADER_TYPOS =
  /^(http_?headers|header|extra_?headers|requestHeaders|authorization|auth|bearer_?token|api_?key)$/i;

/**
 * JSON client configs, with comments allowed (VS Code's are JSONC):
 * - VS Code `mcp.json`: `servers.NAME` with `type`, `url`, `headers` (values may use `${env:VAR}`
 *   and `${input:ID}`, an input the user is asked for);
 * - VS Code `settings.json`: the same under `mcp.servers`;
 * - `mcpServers` JSON (`.mcp.json`, `mcp_servers.*.json`, Claude/Cursor style): `mcpServers.NAME`
 *   with `url` (or `serverUrl`) and `headers`, values with `${VAR}`.
 * Returns undefined when the JSON holds none of these. Pure.
 */
export function readJsonConfig(file: string, text: string): ClientFile | undefined {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !tree) {
    const e = errors[0];
    throw new ClientFileError(
      `${file}${e ? `:${lineOf(text, e.offset)}` : ''}: not valid JSON${e ? `: ${printParseErrorCode(e.error)}` : ''}`,
    );
  }
  const found: Array<[ClientKind, string[]]> = [
    ['vscode', ['servers']],
    ['vscode', ['mcp', 'servers']],
    ['mcp_json', ['mcpServers']],
  ];
  for (const [client, path] of found) {
    const node = findNodeAtLocation(tree, path);
    if (node?.type !== 'object') continue;
    const entries = (node.children ?? []).flatMap((prop) => entryOf(file, text, client, prop));
    return { file, client, entries, baseUrls: [] };
  }
  return undefined;
}

function entryOf(file: string, text: string, client: ClientKind, prop: Node): ClientEntry[] {
  const [keyNode, valueNode] = prop.children ?? [];
  if (!keyNode || valueNode?.type !== 'object') return [];
  const server = String(getNodeValue(keyNode));
  const line = (n: Node): number => lineOf(text, n.offset);
  const entry: ClientEntry = { file, client, server, line: line(keyNode), headers: [], ignored: [] };
  for (const p of valueNode.children ?? []) {
    const [k, v] = p.children ?? [];
    if (!k || !v) continue;
    const key = String(getNodeValue(k));
    if ((key === 'url' || (client === 'mcp_json' && key === 'serverUrl')) && v.type === 'string')
      entry.url = { text: String(getNodeValue(v)), line: line(v) };
    else if (key === 'headers' && v.type === 'object') {
      for (const h of v.children ?? []) {
        const [hk, hv] = h.children ?? [];
        if (hk && hv?.type === 'string')
          entry.headers.push({
            name: String(getNodeValue(hk)),
            value: { kind: 'template', text: String(getNodeValue(hv)) },
            line: line(hk),
          });
      }
    } else if (HEADER_TYPOS.test(key)) {
      const vscode = client === 'vscode';
      const variable = vscode ? '${input:litellm-key}' : '${LITELLM_KEY}';
      entry.ignored.push({
        key,
        line: line(k),
        why: `${vscode ? 'VS Code' : 'the client'} reads headers from \`headers\` only: \`${key}\` is never sent`,
        fix: `move it into "headers": { "Authorization": "Bearer ${variable}" }`,
      });
    }
  }
  return [entry];
}

/** 1-based line of an offset. */
export function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
