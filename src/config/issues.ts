// Zod's issues as a person reads them: `path: message` in mcpwatch's words, with "did you mean" for a
// mistyped key (the keys allowed there, read from the schema through zod's public API).
import { z } from 'zod';
import { PROBE_TYPES, probeTypeOf } from '../probes/table.js';
import { configSchema } from './schema.js';

/** A problem before formatting: its path as segments, so it can be placed in the document. */
export interface Located {
  segs: PropertyKey[];
  message: string;
}

type Issue = z.core.$ZodIssue;

export function formatIssue(issue: Issue, raw: unknown): Located[] {
  const path = issue.path;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => {
        const allowed = allowedKeysAt(issue.path, raw);
        const hint = allowed ? suggest(k, allowed) : undefined;
        return {
          segs: [...issue.path, k],
          message:
            `unknown key` + (hint ? ` (did you mean "${hint}"?)` : allowed ? ` (allowed: ${allowed.join(', ')})` : ''),
        };
      });
    case 'invalid_union':
      if (issue.discriminator === 'type') {
        const segs = issue.path.at(-1) === 'type' ? issue.path : [...issue.path, 'type'];
        const given = valueAt(raw, segs);
        return [
          {
            segs,
            message:
              given === undefined
                ? `required: one of ${PROBE_TYPES.join(', ')}`
                : `unknown probe type ${JSON.stringify(given)} (expected one of ${PROBE_TYPES.join(', ')})`,
          },
        ];
      }
      return [{ segs: path, message: 'does not match any allowed form' }];
    case 'invalid_type': {
      const given = valueAt(raw, issue.path);
      if (given === undefined) return [{ segs: path, message: 'required' }];
      if (issue.message && !issue.message.startsWith('Invalid input')) return [{ segs: path, message: issue.message }];
      return [{ segs: path, message: `expected ${issue.expected}, got ${describe(given)}` }];
    }
    case 'invalid_value': {
      const expected = issue.values.map((v) => JSON.stringify(v)).join(', ');
      return [{ segs: path, message: `expected one of ${expected}, got ${JSON.stringify(valueAt(raw, issue.path))}` }];
    }
    case 'too_small':
      if (issue.origin === 'string')
        return [
          {
            segs: path,
            message: issue.minimum === 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`,
          },
        ];
      if (issue.origin === 'array')
        return [{ segs: path, message: `must list at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}` }];
      return [{ segs: path, message: `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}` }];
    case 'too_big':
      return [{ segs: path, message: `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}` }];
    case 'invalid_key':
      return issue.issues.map((i) => ({
        segs: issue.path,
        message: `key ${JSON.stringify(lastKey(issue))}: ${i.message}`,
      }));
    case 'invalid_format':
      if (issue.format === 'starts_with')
        return [
          {
            segs: path,
            message: issue.message.startsWith('Invalid')
              ? `must start with ${(issue as { prefix?: string }).prefix}`
              : issue.message,
          },
        ];
      return [{ segs: path, message: issue.message }];
    default:
      return [{ segs: path, message: issue.message }];
  }
}

/** The key an invalid_key issue is about: the last segment of its path (zod 4 gives no input there). */
function lastKey(issue: Issue): unknown {
  return (issue as { input?: unknown }).input ?? issue.path.at(-1);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** The keys the schema allows at a path, for "did you mean" hints. */
function allowedKeysAt(path: readonly PropertyKey[], raw: unknown): string[] | undefined {
  let schema: z.ZodType | undefined = configSchema;
  for (let i = 0; i <= path.length && schema; i++) {
    schema = unwrap(schema, valueAt(raw, path.slice(0, i)));
    if (i === path.length) return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
    schema = childOf(schema, String(path[i]));
  }
  return undefined;
}

/** The schema of a key, an item or an entry of `schema`. */
function childOf(schema: z.ZodType | undefined, key: string): z.ZodType | undefined {
  if (schema instanceof z.ZodObject) return (schema.shape as Record<string, z.ZodType>)[key];
  if (schema instanceof z.ZodArray) return schema.element as z.ZodType;
  if (schema instanceof z.ZodRecord) return schema.valueType as z.ZodType;
  return undefined;
}

/** The schema that checks `value` under wrappers (optional, default, transforms); a probe's is its type's. */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType | undefined {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
    // A preprocess (a discover template) checks its value with `out`; a transform's value is its `in`'s.
    else if (s instanceof z.ZodPipe) s = (s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType;
    else if (s instanceof z.ZodDiscriminatedUnion) {
      const type = (value as Record<string, unknown> | undefined)?.type;
      return typeof type === 'string' ? probeTypeOf(type)?.schema : undefined;
    } else return s;
  }
}

/** The closest allowed key by edit distance, when close enough to be a typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
