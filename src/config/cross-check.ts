// Checks across fields, on the values as written (before the schema), so that they are reported even where
// the schema fails elsewhere: a target's key and SSO settings, probe names and targets (and each probe type's
// own cross-checks, from its folder), the targets' discover templates, the shard, the containers, /mcp's token.
import { probeTypeOf } from '../probes/table.js';
import { discoverProblems } from './discover.js';
import { suggest, type Located } from './issues.js';
import { rawKeyHeader } from './target.js';

type Raw = Record<string, unknown>;

export function crossCheck(raw: Raw): Located[] {
  const targets = isRecord(raw.targets) ? raw.targets : {};
  return [
    ...targetProblems(targets),
    ...discoverProblems(targets),
    ...templateKeyProblems(targets),
    ...probeProblems(raw.probes, targets),
    ...shardProblems(raw.shard),
    ...containerProblems(raw.logs, targets),
    ...mcpServerProblems(raw.mcpServer, raw.web),
  ];
}

/**
 * One token, written or in a file; and an Origin or Host list in `web` or under its old name in mcpServer, not both.
 * (/mcp open to the network by accident is checked with the web config, whose basic auth may close it: web-load.ts.)
 */
function mcpServerProblems(m: unknown, web: unknown): Located[] {
  if (!isRecord(m)) return [];
  const problems: Located[] = [];
  if (typeof m.token === 'string' && m.token !== '' && typeof m.tokenFile === 'string' && m.tokenFile !== '')
    problems.push({ segs: ['mcpServer'], message: 'set token or tokenFile, not both' });
  for (const key of ['allowedOrigins', 'allowedHosts'] as const) {
    const mine = m[key];
    const theirs = isRecord(web) ? web[key] : undefined;
    if (Array.isArray(mine) && mine.length > 0 && Array.isArray(theirs) && theirs.length > 0)
      problems.push({
        segs: ['mcpServer', key],
        message: `set web.${key} only: mcpServer.${key} is its deprecated old name`,
      });
  }
  return problems;
}

/** Why `name` is no target of the config (naming those there are), or undefined when it is one or not a name. */
function unknownTarget(name: unknown, targets: Raw): string | undefined {
  if (typeof name !== 'string' || Object.hasOwn(targets, name)) return undefined;
  const known = Object.keys(targets);
  const which = known.length ? ` (targets: ${known.join(', ')})` : ' (no targets are defined)';
  return `unknown target "${name}"${which}`;
}

function targetProblems(targets: Raw): Located[] {
  const problems: Located[] = [];
  for (const [name, t] of Object.entries(targets)) {
    if (!isRecord(t)) continue;
    if (t.apiKey !== undefined && t.apiKeyFile !== undefined) {
      problems.push({ segs: ['targets', name], message: 'set apiKey or apiKeyFile, not both' });
    }
    if (isRecord(t.keys)) problems.push(...namedKeyProblems(name, t.keys));
    if (isRecord(t.oauth2)) problems.push(...oauth2Problems(name, t, t.oauth2));
    if (isRecord(t.headers)) problems.push(...headerProblems(name, t, t.headers));
  }
  return problems;
}

/** Each named key (`keys.NAME`) is one key: written or in a file, not both, not neither. */
function namedKeyProblems(target: string, keys: Raw): Located[] {
  const problems: Located[] = [];
  for (const [name, k] of Object.entries(keys)) {
    if (!isRecord(k)) continue;
    const written = typeof k.apiKey === 'string' && k.apiKey !== '';
    const file = k.apiKeyFile !== undefined;
    if (written && file)
      problems.push({ segs: ['targets', target, 'keys', name], message: 'set apiKey or apiKeyFile, not both' });
    else if (!written && !file)
      problems.push({
        segs: ['targets', target, 'keys', name],
        message:
          k.apiKey === '' ? 'apiKey is empty (an unset variable?): set it, or apiKeyFile' : 'set apiKey or apiKeyFile',
      });
  }
  return problems;
}

/**
 * Why `key` names none of the target's `keys` (naming those there are, with a "did you mean"), or undefined when it
 * is one, is not a name, or the target is unknown.
 */
export function unknownKey(key: unknown, targetName: unknown, target: unknown): string | undefined {
  if (typeof key !== 'string' || !isRecord(target)) return undefined;
  const keys = isRecord(target.keys) ? Object.keys(target.keys) : [];
  if (keys.includes(key)) return undefined;
  const hint = suggest(key, keys);
  const which = hint
    ? ` (did you mean "${hint}"?)`
    : keys.length
      ? ` (keys: ${keys.join(', ')})`
      : `: target "${String(targetName)}" has no keys (set targets.${String(targetName)}.keys.${key})`;
  return `unknown key "${key}" of target "${String(targetName)}"${which}`;
}

/** A discover template's `key` (and an auth_guard template's `outOfScope.key`) must be one of its target's keys. */
function templateKeyProblems(targets: Raw): Located[] {
  const problems: Located[] = [];
  for (const [name, t] of Object.entries(targets)) {
    if (!isRecord(t) || !isRecord(t.discover) || !Array.isArray(t.discover.probes)) continue;
    t.discover.probes.forEach((p: unknown, j) => {
      if (!isRecord(p)) return;
      const at = ['targets', name, 'discover', 'probes', j];
      const key = unknownKey(p.key, name, t);
      if (key) problems.push({ segs: [...at, 'key'], message: key });
      const scope = isRecord(p.outOfScope) ? unknownKey(p.outOfScope.key, name, t) : undefined;
      if (scope) problems.push({ segs: [...at, 'outOfScope', 'key'], message: scope });
    });
  }
  return problems;
}

/** The key's header is mcpwatch's to build; with apiKeyHeader elsewhere, Authorization is free (an SSO token). */
function headerProblems(name: string, t: Raw, headers: Raw): Located[] {
  const problems: Located[] = [];
  const keyHeader = rawKeyHeader(t);
  for (const h of Object.keys(headers)) {
    const segs = ['targets', name, 'headers', h];
    if (h.toLowerCase() === keyHeader) {
      const shown = keyHeader === 'authorization' ? 'Authorization' : keyHeader;
      problems.push({ segs, message: `set the key with apiKey or apiKeyFile; mcpwatch builds the ${shown} header` });
    }
    if (h.toLowerCase() === 'authorization' && keyHeader !== 'authorization' && t.oauth2 !== undefined) {
      problems.push({ segs, message: 'oauth2 sends its access token in Authorization: leave this header out' });
    }
  }
  return problems;
}

function probeProblems(probes: unknown, targets: Raw): Located[] {
  const problems: Located[] = [];
  const seen = new Map<string, number>();
  (Array.isArray(probes) ? probes : []).forEach((p: unknown, i) => {
    if (!isRecord(p)) return;
    if (typeof p.name === 'string') {
      const first = seen.get(p.name);
      if (first !== undefined) {
        problems.push({
          segs: ['probes', i, 'name'],
          message: `duplicate probe name "${p.name}" (also probes[${first}])`,
        });
      } else seen.set(p.name, i);
    }
    const unknown = unknownTarget(p.target, targets);
    if (unknown) problems.push({ segs: ['probes', i, 'target'], message: unknown });
    if (p.schedule !== undefined && p.every !== undefined) {
      problems.push({ segs: ['probes', i], message: 'set schedule or every, not both' });
    }
    const target = typeof p.target === 'string' && Object.hasOwn(targets, p.target) ? targets[p.target] : undefined;
    const badKey = unknownKey(p.key, p.target, target);
    if (badKey) problems.push({ segs: ['probes', i, 'key'], message: badKey });
    // The auth guard's out_of_scope check runs as a named key too.
    const scope = isRecord(p.outOfScope) ? unknownKey(p.outOfScope.key, p.target, target) : undefined;
    if (scope) problems.push({ segs: ['probes', i, 'outOfScope', 'key'], message: scope });
    const own = typeof p.type === 'string' ? probeTypeOf(p.type)?.crossCheck : undefined;
    for (const x of own?.(p, isRecord(target) ? target : undefined) ?? []) {
      problems.push({ segs: ['probes', i, ...x.at], message: x.message });
    }
  });
  return problems;
}

function shardProblems(shard: unknown): Located[] {
  if (!isRecord(shard) || !Number.isInteger(shard.index) || !Number.isInteger(shard.total ?? 1)) return [];
  const total = (shard.total ?? 1) as number;
  if ((shard.index as number) < total || total < 1) return [];
  return [
    {
      segs: ['shard', 'index'],
      message: `must be less than shard.total (${total}): shards are numbered 0 to ${total - 1}`,
    },
  ];
}

function containerProblems(logs: unknown, targets: Raw): Located[] {
  const problems: Located[] = [];
  const containers = isRecord(logs) && Array.isArray(logs.containers) ? logs.containers : [];
  const names = new Map<string, number>();
  containers.forEach((c: unknown, i) => {
    if (!isRecord(c) || typeof c.name !== 'string') return;
    const first = names.get(c.name);
    if (first !== undefined) {
      problems.push({
        segs: ['logs', 'containers', i, 'name'],
        message: `container "${c.name}" is listed twice (also logs.containers[${first}])`,
      });
    } else names.set(c.name, i);
    const unknown = unknownTarget(c.target, targets);
    if (unknown) problems.push({ segs: ['logs', 'containers', i, 'target'], message: unknown });
  });
  return problems;
}

/** A target's oauth2 block: one way for the client to authenticate, and the key in a header of its own. */
function oauth2Problems(name: string, t: Raw, o: Raw): Located[] {
  const problems: Located[] = [];
  const at = ['targets', name, 'oauth2'];
  const given = (['clientSecret', 'clientSecretFile', 'privateKeyFile'] as const).filter(
    (k) => o[k] !== undefined && o[k] !== '',
  );
  if (given.length === 0)
    problems.push({ segs: at, message: 'set clientSecret, clientSecretFile or privateKeyFile (private_key_jwt)' });
  if (given.length > 1)
    problems.push({
      segs: at,
      message: `set one of clientSecret, clientSecretFile and privateKeyFile, not ${given.join(' and ')}`,
    });
  if (o.signingAlgorithm !== undefined && o.privateKeyFile === undefined) {
    problems.push({
      segs: [...at, 'signingAlgorithm'],
      message: 'signingAlgorithm signs a private_key_jwt assertion: set privateKeyFile too, or leave it out',
    });
  }
  const method = o.tokenAuthMethod;
  if (method === 'private_key_jwt' && o.privateKeyFile === undefined) {
    problems.push({
      segs: [...at, 'tokenAuthMethod'],
      message: 'private_key_jwt needs privateKeyFile (the key that signs the client assertion)',
    });
  }
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && o.privateKeyFile !== undefined) {
    problems.push({
      segs: [...at, 'tokenAuthMethod'],
      message: `${method} sends a client secret; with privateKeyFile the method is private_key_jwt`,
    });
  }
  const hasKey = (t.apiKey !== undefined && t.apiKey !== '') || t.apiKeyFile !== undefined;
  if (hasKey && rawKeyHeader(t) === 'authorization') {
    problems.push({
      segs: ['targets', name, 'apiKeyHeader'],
      message:
        'oauth2 puts the SSO token in Authorization, so the gateway key needs a header of its own: ' +
        'apiKeyHeader: x-litellm-api-key (LiteLLM reads it)',
    });
  }
  return problems;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
