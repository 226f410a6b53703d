import { isScalar, isPair, isSeq, parse as parseYaml, visit, type Document, type Scalar } from 'yaml';

export interface InterpolationProblem {
  segments: Array<string | number>;
  message: string;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expands `${VAR}` and `${VAR:-default}` in one string; `$$` is a literal `$`, and any other
 * `$` stays as it is. Returns the expanded text or the first problem found.
 */
export function expandVars(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): string | { error: string } {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i++;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) return { error: `unterminated "\${" in "${text}" (write $$ for a literal $)` };
    const body = text.slice(i + 2, close);
    const sep = body.indexOf(':-');
    const name = sep >= 0 ? body.slice(0, sep) : body;
    if (!VAR_NAME.test(name)) return { error: `invalid variable name "\${${body}}"` };
    const value = env[name];
    if (value !== undefined) out += value;
    else if (sep >= 0) out += body.slice(sep + 2);
    else return { error: `environment variable ${name} is not set` };
    i = close + 1;
  }
  return out;
}

/** `probes[2].schedule` from a list of keys and indexes. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

/**
 * Expands variables in every string value of a parsed YAML document, in place. Only values
 * are expanded (not keys, not comments). A plain (unquoted) scalar is re-typed after
 * expansion, so `minTools: ${N}` gives a number; a quoted one stays a string.
 */
export function interpolateDocument(
  doc: Document,
  env: Readonly<Record<string, string | undefined>>,
): InterpolationProblem[] {
  const problems: InterpolationProblem[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const segments = pathOf(ancestors, node);
      const expanded = expandVars(node.value, env);
      if (typeof expanded !== 'string') {
        problems.push({ segments, message: expanded.error });
        return;
      }
      node.value = node.type === 'PLAIN' ? retype(expanded) : expanded;
    },
  });
  return problems;
}

function retype(text: string): unknown {
  try {
    const v: unknown = parseYaml(text);
    if (typeof v === 'number' || typeof v === 'boolean') return v;
  } catch {
    // not a YAML scalar: keep the text
  }
  return text;
}

function pathOf(ancestors: readonly unknown[], node: Scalar): Array<string | number> {
  const parts: Array<string | number> = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && child === parent.value) {
      const k = isScalar(parent.key) ? parent.key.value : parent.key;
      parts.push(String(k));
    } else if (isSeq(parent)) {
      parts.push(parent.items.indexOf(child as never));
    }
  }
  return parts;
}
