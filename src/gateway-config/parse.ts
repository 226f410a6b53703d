import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { GatewayConfigError, type ConfigString, type GatewayConfig, type ServerDecl, type Written } from './types.js';

/**
 * Pure: LiteLLM's config.yaml read as LiteLLM reads it (PyYAML's `safe_load`: YAML 1.1, so `on`/`yes` are
 * booleans; a key written twice keeps its last value), with the line of every value mcpwatch checks. Throws
 * GatewayConfigError for text that is not YAML or not a map of settings (LiteLLM does not start on either).
 */
export function parseGatewayConfig(file: string, text: string): GatewayConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, lineCounter: lines, prettyErrors: false });
  const lineOf = (n: { range?: readonly number[] | null } | null | undefined): number =>
    n?.range ? lines.linePos(n.range[0]!).line : 1;
  const err = doc.errors[0];
  if (err) throw new GatewayConfigError(`${file}:${lines.linePos(err.pos[0]).line}: not valid YAML: ${firstLine(err)}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null))
    throw new GatewayConfigError(`${file}: empty: LiteLLM needs a map of settings (mcp_servers, general_settings…)`);
  if (!isMap(root))
    throw new GatewayConfigError(`${file}:${lineOf(root)}: not a LiteLLM config: not a map of settings`);
  const read = { file, lineOf };
  const servers = pairOf(root, 'mcp_servers');
  const general = pairOf(root, 'general_settings');
  const masterKey = isMap(general?.value) ? written(pairOf(general.value, 'master_key')?.value, lineOf) : undefined;
  return {
    file,
    servers: isMap(servers?.value) ? serversOf(servers.value, read) : [],
    ...(servers && { serversLine: lineOf(servers.key as Node) }),
    ...(masterKey && { masterKey }),
    strings: stringsOf(root, lineOf),
  };
}

type LineOf = (n: { range?: readonly number[] | null } | null | undefined) => number;

function firstLine(err: Error): string {
  return err.message.split('\n')[0]!;
}

/** The pair of `key` in a map: the last one, as PyYAML keeps it. */
function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let found: Pair | undefined;
  for (const p of map.items) if (isPair(p) && keyText(p) === key) found = p;
  return found;
}

function keyText(p: Pair): string | undefined {
  const k = p.key;
  if (isScalar(k)) {
    const v = pyValue(k);
    return v === null ? undefined : String(v);
  }
  return typeof k === 'string' ? k : undefined;
}

/**
 * A scalar's value as PyYAML has it: YAML 1.1, but `y` and `n` (either case) stay strings, which the yaml
 * package's 1.1 schema reads as booleans.
 */
function pyValue(s: Scalar): unknown {
  return typeof s.value === 'boolean' && typeof s.source === 'string' && /^[yYnN]$/.test(s.source) ? s.source : s.value;
}

/** A string value with its line; undefined for anything else. */
function written(v: unknown, lineOf: LineOf): Written | undefined {
  if (!isScalar(v)) return undefined;
  const value = pyValue(v);
  return typeof value === 'string' ? { text: value, line: lineOf(v) } : undefined;
}

/** The entries of `mcp_servers`, each name once (the last, as PyYAML reads a key written twice). */
function serversOf(map: YAMLMap, { lineOf }: { lineOf: LineOf }): ServerDecl[] {
  const byName = new Map<string, ServerDecl>();
  for (const p of map.items) {
    const name = isPair(p) ? keyText(p) : undefined;
    if (name === undefined) continue;
    const line = lineOf(p.key as Node);
    byName.delete(name);
    byName.set(name, isMap(p.value) ? serverOf(name, line, p.value, lineOf) : { name, line, env: [] });
  }
  return [...byName.values()];
}

function serverOf(name: string, line: number, m: YAMLMap, lineOf: LineOf): ServerDecl {
  const s: ServerDecl = { name, line, env: [] };
  const transport = written(pairOf(m, 'transport')?.value, lineOf);
  const url = written(pairOf(m, 'url')?.value, lineOf);
  const command = written(pairOf(m, 'command')?.value, lineOf);
  if (transport) s.transport = transport;
  if (url) s.url = url;
  if (command) s.command = command;
  const args = pairOf(m, 'args');
  if (args && !(isScalar(args.value) && args.value.value === null)) {
    const items = isSeq(args.value) ? args.value.items.map((i) => written(i, lineOf)) : [];
    const strings = items.filter((i): i is Written => i !== undefined);
    s.args = {
      items: strings,
      line: lineOf(args.key as Node),
      ...((!isSeq(args.value) || strings.length !== items.length) && { notStrings: true }),
    };
  }
  const env = pairOf(m, 'env');
  if (env && isMap(env.value)) {
    for (const p of env.value.items) {
      const k = isPair(p) ? keyText(p) : undefined;
      if (k === undefined) continue;
      const v = written(p.value, lineOf);
      s.env = s.env.filter((e) => e.name !== k);
      s.env.push({ name: k, ...(v && { value: v.text }), line: lineOf(p.key as Node) });
    }
  } else if (env && !(isScalar(env.value) && env.value.value === null)) s.envNotAMap = lineOf(env.key as Node);
  return s;
}

/** Every string scalar of the file with its path, and whether it is an item of a list. */
function stringsOf(root: YAMLMap, lineOf: LineOf): ConfigString[] {
  const out: ConfigString[] = [];
  const walk = (n: unknown, path: string, key: string | undefined, inList: boolean, depth: number): void => {
    if (depth > 32) return;
    if (isScalar(n)) {
      const v = pyValue(n);
      if (typeof v === 'string')
        out.push({ path, ...(key !== undefined && { key }), text: v, line: lineOf(n), inList });
    } else if (isMap(n)) {
      for (const p of n.items) {
        const k = isPair(p) ? keyText(p) : undefined;
        if (k !== undefined) walk(p.value, path ? `${path}.${k}` : k, k, false, depth + 1);
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => walk(item, `${path}[${i}]`, isMap(item) ? undefined : key, true, depth + 1));
    }
  };
  walk(root, '', undefined, false, 0);
  return out;
}
