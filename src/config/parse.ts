import { parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { formatDuration } from './duration.js';
import { formatPath, interpolateDocument } from './interpolate.js';
import type { ConfigProblem } from './problems.js';
import {
  configSchema,
  PROBE_TYPES,
  type ProbeConfig,
  type RawConfig,
  type TargetConfig,
} from './schema.js';

export type Schedule = { kind: 'cron'; expr: string } | { kind: 'every'; ms: number };

/** A probe as the scheduler runs it: schedule and timeout settled. */
export type Probe = ProbeConfig & { scheduleSpec: Schedule; timeoutMs: number };

export type Target = TargetConfig & {
  name: string;
  /** Contents of tls.caFile/certFile/keyFile, read when the config is loaded. */
  tlsFiles?: { ca?: string; cert?: string; key?: string };
  /** oauth2.privateKeyFile's key (PEM) and the algorithm it signs with, read when the config is loaded. */
  oauth2Key?: { pem: string; alg: 'RS256' | 'ES256' };
};

export interface Config extends Omit<RawConfig, 'probes' | 'targets'> {
  targets: Record<string, Target>;
  probes: Probe[];
}

export type ParseResult =
  | { ok: true; config: Config; warnings: ConfigProblem[] }
  | { ok: false; problems: ConfigProblem[]; raw?: unknown };

export const DEFAULT_EVERY_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Text → validated config. Pure: the environment is passed in, nothing is read from disk
 * (key files are resolved by load.ts). Reports every problem it finds, each as `path: message`.
 */
export function parseConfig(text: string, env: Readonly<Record<string, string | undefined>>): ParseResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      // After the first few, YAML syntax errors are mostly echoes of the first.
      problems: doc.errors.slice(0, 3).map((e) => ({
        path: e.linePos ? `yaml (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : 'yaml',
        message: firstLine(e.message).replace(/ at line \d+, column \d+:?$/, ''),
      })),
    };
  }
  const problems: Located[] = interpolateDocument(doc, env).map((p) => ({ segs: p.segments, message: p.message }));
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // e.g. an alias to an anchor that is not set, or too many aliases (a "billion laughs")
    return { ok: false, problems: [{ path: 'yaml', message: (err as Error).message }] };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: '(root)', message: 'the config must be a YAML mapping' }] };
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((i) => formatIssue(i, raw)));
  problems.push(...crossCheck(raw as Record<string, unknown>));

  if (problems.length > 0 || !parsed.success) return { ok: false, problems: inDocumentOrder(problems, doc), raw };

  const warnings: ConfigProblem[] = [];
  const config = settle(parsed.data, warnings);
  return { ok: true, config, warnings };
}

/** A problem before formatting: its path as segments, so it can be placed in the document. */
interface Located {
  segs: PropertyKey[];
  message: string;
}

/** Sorts problems as they appear in the file (a missing key sorts at its parent) and formats their paths. */
function inDocumentOrder(problems: Located[], doc: Document): ConfigProblem[] {
  const offsetOf = (segs: PropertyKey[]): number => {
    for (let n = segs.length; n >= 0; n--) {
      const node = doc.getIn(segs.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return node.range[0];
    }
    return 0;
  };
  const seen = new Set<string>();
  return problems
    .map((p, i) => ({ p, i, at: offsetOf(p.segs) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map(({ p }) => ({ path: formatPath(p.segs), message: p.message }))
    .filter((p) => {
      const k = `${p.path}\u0000${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

function settle(raw: RawConfig, warnings: ConfigProblem[]): Config {
  const targets: Record<string, Target> = {};
  for (const [name, t] of Object.entries(raw.targets)) {
    targets[name] = { ...t, name };
    if (t.apiKey === undefined && t.apiKeyFile === undefined) {
      warnings.push({ path: `targets.${name}`, message: 'no apiKey: requests to this target are sent without a key' });
    }
  }
  const probes = raw.probes.map((p, i): Probe => {
    const scheduleSpec: Schedule =
      p.schedule !== undefined ? { kind: 'cron', expr: p.schedule } : { kind: 'every', ms: p.every ?? DEFAULT_EVERY_MS };
    const timeoutMs = p.timeout ?? targets[p.target]?.timeout ?? DEFAULT_TIMEOUT_MS;
    if (scheduleSpec.kind === 'every' && timeoutMs > scheduleSpec.ms) {
      warnings.push({
        path: `probes[${i}].timeout`,
        message: `timeout ${formatDuration(timeoutMs)} is longer than the interval ${formatDuration(scheduleSpec.ms)}: runs that take that long skip the next tick`,
      });
    }
    // With the key in another header than Authorization, "no Bearer prefix" is not a check of the
    // key (Authorization is the SSO token's), and "no SSO token" needs an SSO gate (oauth2): each is
    // left out of the default checks where it does not apply (listing it is a problem).
    if (p.type === 'auth_guard') {
      const t = targets[p.target];
      const checks = p.checks.filter((c) => (c !== 'no_bearer_prefix' || t?.apiKeyHeader === 'authorization') && (c !== 'no_sso_token' || t?.oauth2 !== undefined));
      return { ...p, checks, scheduleSpec, timeoutMs };
    }
    return { ...p, scheduleSpec, timeoutMs };
  });
  return { ...raw, targets, probes };
}

/** The header a raw target sends its key in (apiKeyHeader, lower-cased; the schema's default). */
function keyHeaderOf(t: Record<string, unknown>): string {
  return typeof t.apiKeyHeader === 'string' ? t.apiKeyHeader.toLowerCase() : 'authorization';
}

/** Checks across fields, done on the raw tree so they are reported even when the schema fails elsewhere. */
function crossCheck(raw: Record<string, unknown>): Located[] {
  const problems: Located[] = [];
  const targets = isRecord(raw.targets) ? raw.targets : {};
  for (const [name, t] of Object.entries(targets)) {
    if (!isRecord(t)) continue;
    if (t.apiKey !== undefined && t.apiKeyFile !== undefined) {
      problems.push({ segs: ['targets', name], message: 'set apiKey or apiKeyFile, not both' });
    }
    if (isRecord(t.oauth2)) problems.push(...oauth2Problems(name, t, t.oauth2));
    if (isRecord(t.headers)) {
      // The key's header is mcpwatch's to build; with apiKeyHeader elsewhere, Authorization is free (an SSO token).
      const keyHeader = keyHeaderOf(t);
      for (const h of Object.keys(t.headers)) {
        if (h.toLowerCase() === keyHeader) {
          problems.push({ segs: ['targets', name, 'headers', h], message: `set the key with apiKey or apiKeyFile; mcpwatch builds the ${keyHeader === 'authorization' ? 'Authorization' : keyHeader} header` });
        }
        if (h.toLowerCase() === 'authorization' && keyHeader !== 'authorization' && t.oauth2 !== undefined) {
          problems.push({ segs: ['targets', name, 'headers', h], message: 'oauth2 sends its access token in Authorization: leave this header out' });
        }
      }
    }
  }

  const probes = Array.isArray(raw.probes) ? raw.probes : [];
  const seen = new Map<string, number>();
  probes.forEach((p, i) => {
    if (!isRecord(p)) return;
    if (typeof p.name === 'string') {
      const first = seen.get(p.name);
      if (first !== undefined) problems.push({ segs: ['probes', i, 'name'], message: `duplicate probe name "${p.name}" (also probes[${first}])` });
      else seen.set(p.name, i);
    }
    if (typeof p.target === 'string' && !(p.target in targets)) {
      const known = Object.keys(targets);
      problems.push({
        segs: ['probes', i, 'target'],
        message: `unknown target "${p.target}"` + (known.length ? ` (targets: ${known.join(', ')})` : ' (no targets are defined)'),
      });
    }
    if (p.schedule !== undefined && p.every !== undefined) {
      problems.push({ segs: ['probes', i], message: 'set schedule or every, not both' });
    }
    const target = typeof p.target === 'string' ? targets[p.target] : undefined;
    const keyHeader = isRecord(target) ? keyHeaderOf(target) : 'authorization';
    if (p.type === 'auth_guard' && Array.isArray(p.checks) && p.checks.includes('no_bearer_prefix') && keyHeader !== 'authorization') {
      problems.push({
        segs: ['probes', i, 'checks'],
        message: `no_bearer_prefix checks a key sent in Authorization without "Bearer "; target "${String(p.target)}" sends its key in ${keyHeader} (apiKeyHeader), where LiteLLM 1.109 takes it with or without the prefix: leave the check out`,
      });
    }
    if (p.type === 'auth_guard' && Array.isArray(p.checks) && p.checks.includes('no_sso_token') && isRecord(target) && target.oauth2 === undefined) {
      problems.push({
        segs: ['probes', i, 'checks'],
        message: `no_sso_token checks the SSO gate in front of a gateway; target "${String(p.target)}" has none configured (oauth2): leave the check out, or set the target's oauth2`,
      });
    }
    if (p.type === 'auth_guard' && p.validKey !== false && isRecord(target) && target.apiKey === undefined && target.apiKeyFile === undefined) {
      problems.push({
        segs: ['probes', i, 'validKey'],
        message: `target "${String(p.target)}" has no apiKey: the guard cannot check that a valid key is accepted (set validKey: false to skip that check)`,
      });
    }
  });

  if (isRecord(raw.shard) && Number.isInteger(raw.shard.index) && Number.isInteger(raw.shard.total ?? 1)) {
    const total = (raw.shard.total ?? 1) as number;
    if ((raw.shard.index as number) >= total && total >= 1) {
      problems.push({ segs: ['shard', 'index'], message: `must be less than shard.total (${total}): shards are numbered 0 to ${total - 1}` });
    }
  }

  const containers = isRecord(raw.logs) && Array.isArray(raw.logs.containers) ? raw.logs.containers : [];
  const containerNames = new Map<string, number>();
  containers.forEach((c, i) => {
    if (!isRecord(c) || typeof c.name !== 'string') return;
    const first = containerNames.get(c.name);
    if (first !== undefined) problems.push({ segs: ['logs', 'containers', i, 'name'], message: `container "${c.name}" is listed twice (also logs.containers[${first}])` });
    else containerNames.set(c.name, i);
  });
  return problems;
}

/** A target's oauth2 block: one way for the client to authenticate, and the key in a header of its own. */
function oauth2Problems(name: string, t: Record<string, unknown>, o: Record<string, unknown>): Located[] {
  const problems: Located[] = [];
  const at = ['targets', name, 'oauth2'];
  const given = (['clientSecret', 'clientSecretFile', 'privateKeyFile'] as const).filter((k) => o[k] !== undefined && o[k] !== '');
  if (given.length === 0) problems.push({ segs: at, message: 'set clientSecret, clientSecretFile or privateKeyFile (private_key_jwt)' });
  if (given.length > 1) problems.push({ segs: at, message: `set one of clientSecret, clientSecretFile and privateKeyFile, not ${given.join(' and ')}` });
  if (o.signingAlgorithm !== undefined && o.privateKeyFile === undefined) {
    problems.push({ segs: [...at, 'signingAlgorithm'], message: 'signingAlgorithm signs a private_key_jwt assertion: set privateKeyFile too, or leave it out' });
  }
  const method = o.tokenAuthMethod;
  if (method === 'private_key_jwt' && o.privateKeyFile === undefined) {
    problems.push({ segs: [...at, 'tokenAuthMethod'], message: 'private_key_jwt needs privateKeyFile (the key that signs the client assertion)' });
  }
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && o.privateKeyFile !== undefined) {
    problems.push({ segs: [...at, 'tokenAuthMethod'], message: `${method} sends a client secret; with privateKeyFile the method is private_key_jwt` });
  }
  const hasKey = (t.apiKey !== undefined && t.apiKey !== '') || t.apiKeyFile !== undefined;
  if (hasKey && keyHeaderOf(t) === 'authorization') {
    problems.push({
      segs: ['targets', name, 'apiKeyHeader'],
      message: 'oauth2 puts the SSO token in Authorization, so the gateway key needs a header of its own: apiKeyHeader: x-litellm-api-key (LiteLLM reads it)',
    });
  }
  return problems;
}

type Issue = z.core.$ZodIssue;

function formatIssue(issue: Issue, raw: unknown): Located[] {
  const path = issue.path;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => {
        const allowed = allowedKeysAt(issue.path, raw);
        const hint = allowed ? suggest(k, allowed) : undefined;
        return {
          segs: [...issue.path, k],
          message: `unknown key` + (hint ? ` (did you mean "${hint}"?)` : allowed ? ` (allowed: ${allowed.join(', ')})` : ''),
        };
      });
    case 'invalid_union':
      if (issue.discriminator === 'type') {
        const segs = issue.path.at(-1) === 'type' ? issue.path : [...issue.path, 'type'];
        const given = valueAt(raw, segs);
        return [{
          segs,
          message: given === undefined
            ? `required: one of ${PROBE_TYPES.join(', ')}`
            : `unknown probe type ${JSON.stringify(given)} (expected one of ${PROBE_TYPES.join(', ')})`,
        }];
      }
      return [{ segs: path, message: 'does not match any allowed form' }];
    case 'invalid_type': {
      const given = valueAt(raw, issue.path);
      if (given === undefined) return [{ segs: path, message: 'required' }];
      if (issue.message && !issue.message.startsWith('Invalid input')) return [{ segs: path, message: issue.message }];
      return [{ segs: path, message: `expected ${issue.expected}, got ${describe(given)}` }];
    }
    case 'invalid_value':
      return [{ segs: path, message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(raw, issue.path))}` }];
    case 'too_small':
      if (issue.origin === 'string') return [{ segs: path, message: issue.minimum === 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters` }];
      if (issue.origin === 'array') return [{ segs: path, message: `must list at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}` }];
      return [{ segs: path, message: `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}` }];
    case 'too_big':
      return [{ segs: path, message: `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}` }];
    case 'invalid_key':
      return issue.issues.map((i) => ({ segs: issue.path, message: `key ${JSON.stringify(lastKey(issue))}: ${i.message}` }));
    case 'invalid_format':
      if (issue.format === 'starts_with') return [{ segs: path, message: issue.message.startsWith('Invalid') ? `must start with ${(issue as { prefix?: string }).prefix}` : issue.message }];
      return [{ segs: path, message: issue.message }];
    default:
      return [{ segs: path, message: issue.message }];
  }
}

function lastKey(issue: Issue): unknown {
  return (issue as { input?: unknown }).input;
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
  let schema: unknown = configSchema;
  for (let i = 0; i <= path.length; i++) {
    schema = unwrap(schema, valueAt(raw, path.slice(0, i)));
    const def = defOf(schema);
    if (i === path.length) return def?.type === 'object' ? Object.keys(def.shape as object) : undefined;
    const seg = path[i]!;
    if (def?.type === 'object') schema = (def.shape as Record<string, unknown>)[String(seg)];
    else if (def?.type === 'array') schema = def.element;
    else if (def?.type === 'record') schema = def.valueType;
    else return undefined;
  }
  return undefined;
}

interface AnyDef {
  type: string;
  [k: string]: unknown;
}

function defOf(schema: unknown): AnyDef | undefined {
  return (schema as { _zod?: { def?: AnyDef } } | undefined)?._zod?.def;
}

function unwrap(schema: unknown, value: unknown): unknown {
  for (let guard = 0; guard < 20; guard++) {
    const def = defOf(schema);
    if (!def) return schema;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') schema = def.innerType;
    else if (def.type === 'pipe') schema = def.in;
    else if (def.type === 'union' && typeof def.discriminator === 'string') {
      const disc = (value as Record<string, unknown> | undefined)?.[def.discriminator];
      const options = def.options as unknown[];
      const match = options.find((o) => {
        const shape = defOf(o)?.shape as Record<string, unknown> | undefined;
        const lit = defOf(shape?.[def.discriminator as string]);
        return Array.isArray(lit?.values) && (lit.values as unknown[]).includes(disc);
      });
      if (!match) return undefined;
      schema = match;
    } else return schema;
  }
  return schema;
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
