import { createPrivateKey } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { probeTypeOf, type AnyProbeTypeDef } from '../probes/table.js';
import { formatPath } from './interpolate.js';
import { parseConfig, type Config } from './parse.js';
import type { ConfigProblem } from './problems.js';
import { describeFsError } from '../util/errors.js';

export const DEFAULT_CONFIG_PATH = 'config/mcpwatch.yaml';

/** A file a probe's runs read, as its type declares it (`files` of the probe type). */
type ProbeFile = ReturnType<NonNullable<AnyProbeTypeDef['files']>>[number];

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigProblem[]; path: string }
  | { ok: false; problems: ConfigProblem[]; path: string };

/** `--config`, else `MCPWATCH_CONFIG`, else the shipped default. */
export function resolveConfigPath(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return flag || env.MCPWATCH_CONFIG || DEFAULT_CONFIG_PATH;
}

/**
 * Reads and validates a config file, then reads the files it names (key files, CA files), so a
 * loaded config is complete: nothing is read from disk again until the next reload.
 */
export async function loadConfig(path: string, env: Readonly<Record<string, string | undefined>>): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return {
      ok: false,
      path,
      problems: [{ path: '(file)', message: `cannot read config file ${path}: ${describeFsError(err)}` }],
    };
  }
  const parsed = parseConfig(text, env);
  if (!parsed.ok) {
    // Report unreadable files too, so one run of check-config shows every problem.
    const fileProblems = await checkReferencedFiles(parsed.raw);
    const probeFiles = await checkProbeFiles(rawProbesToCheck(parsed.raw, parsed.problems));
    return { ok: false, path, problems: [...parsed.problems, ...fileProblems, ...probeFiles.problems] };
  }

  const problems: ConfigProblem[] = [];
  const config = parsed.config;
  for (const target of Object.values(config.targets)) {
    if (target.apiKeyFile !== undefined) {
      const key = await readSecretFile(target.apiKeyFile);
      if (typeof key === 'string') {
        if (key === '')
          problems.push({ path: `targets.${target.name}.apiKeyFile`, message: `${target.apiKeyFile} is empty` });
        target.apiKey = key;
      } else problems.push({ path: `targets.${target.name}.apiKeyFile`, message: key.error });
    }
    problems.push(...(await readNamedKeys(target)));
    const tlsFiles: NonNullable<typeof target.tlsFiles> = {};
    for (const [field, slot] of [
      ['caFile', 'ca'],
      ['certFile', 'cert'],
      ['keyFile', 'key'],
    ] as const) {
      const file = target.tls[field];
      if (file === undefined) continue;
      const content = await readSecretFile(file);
      if (typeof content === 'string') tlsFiles[slot] = content;
      else problems.push({ path: `targets.${target.name}.tls.${field}`, message: content.error });
    }
    if (Object.keys(tlsFiles).length > 0) target.tlsFiles = tlsFiles;
    const oauth2 = target.oauth2;
    if (oauth2?.clientSecretFile !== undefined) {
      const secret = await readSecretFile(oauth2.clientSecretFile);
      if (typeof secret === 'string') {
        if (secret === '')
          problems.push({
            path: `targets.${target.name}.oauth2.clientSecretFile`,
            message: `${oauth2.clientSecretFile} is empty`,
          });
        oauth2.clientSecret = secret;
      } else problems.push({ path: `targets.${target.name}.oauth2.clientSecretFile`, message: secret.error });
    }
    if (oauth2?.privateKeyFile !== undefined) {
      const pem = await readSecretFile(oauth2.privateKeyFile);
      const key = typeof pem === 'string' ? signingKey(pem, oauth2.signingAlgorithm) : pem;
      if ('error' in key)
        problems.push({
          path: `targets.${target.name}.oauth2.privateKeyFile`,
          message: typeof pem === 'string' ? `${oauth2.privateKeyFile}: ${key.error}` : key.error,
        });
      else target.oauth2Key = key;
    }
  }
  const tokenFile = config.mcpServer.tokenFile;
  if (tokenFile) {
    const token = await readSecretFile(tokenFile);
    if (typeof token !== 'string') problems.push({ path: 'mcpServer.tokenFile', message: token.error });
    else if (token === '')
      problems.push({ path: 'mcpServer.tokenFile', message: `${tokenFile} is empty: put the token in it` });
    else config.mcpServer.token = token;
  }
  const probeFiles = await checkProbeFiles(config.probes.map((p, i) => ({ i, files: filesOf(p, true) })));
  problems.push(...probeFiles.problems);
  if (problems.length > 0) return { ok: false, path, problems };
  return { ok: true, path, config, warnings: [...parsed.warnings, ...probeFiles.warnings] };
}

/**
 * Reads a target's named keys' files (`keys.NAME.apiKeyFile`) into their apiKey. A named key that is empty, or the
 * target's own key, is a problem: a probe with `key` would not see the gateway as another credential does.
 */
async function readNamedKeys(target: Config['targets'][string]): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const [name, k] of Object.entries(target.keys ?? {})) {
    const at = `targets.${target.name}.keys.${name}`;
    if (k.apiKeyFile !== undefined) {
      const key = await readSecretFile(k.apiKeyFile);
      if (typeof key !== 'string') problems.push({ path: `${at}.apiKeyFile`, message: key.error });
      else if (key === '') problems.push({ path: `${at}.apiKeyFile`, message: `${k.apiKeyFile} is empty` });
      else k.apiKey = key;
    }
    if (k.apiKey !== undefined && k.apiKey === target.apiKey)
      problems.push({
        path: at,
        message:
          "is the target's own key (apiKey): a named key is another credential, " +
          `or a probe with key: ${name} runs as the main key`,
      });
  }
  return problems;
}

/**
 * The files a probe's runs read, as its type declares them (`files`): none for a type that reads none, or for a
 * probe as written that its type's schema does not take (`validated`: the loaded config's, taken already).
 */
function filesOf(probe: unknown, validated: boolean): ProbeFile[] {
  const type = (probe as { type?: unknown } | null)?.type;
  const def = typeof type === 'string' ? probeTypeOf(type) : undefined;
  if (!def?.files) return [];
  if (validated) return def.files(probe as Parameters<typeof def.files>[0]);
  const spec = def.schema.safeParse(probe);
  return spec.success ? def.files(spec.data) : [];
}

/** An invalid config's probes whose files are checked too: those with no problem of their own (one at a time). */
function rawProbesToCheck(raw: unknown, problems: readonly ConfigProblem[]): Array<{ i: number; files: ProbeFile[] }> {
  const probes = (raw as { probes?: unknown } | undefined)?.probes;
  if (!Array.isArray(probes)) return [];
  const hasProblem = (i: number): boolean =>
    problems.some((p) => p.path === `probes[${i}]` || p.path.startsWith(`probes[${i}].`));
  return probes.flatMap((p, i) => (hasProblem(i) ? [] : [{ i, files: filesOf(p, false) }]));
}

/** Each probe's files that cannot be read: a problem at the probe's key (`probes[2].file`), a warning if optional. */
async function checkProbeFiles(
  probes: ReadonlyArray<{ i: number; files: ProbeFile[] }>,
): Promise<{ problems: ConfigProblem[]; warnings: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  for (const { i, files } of probes) {
    for (const f of files) {
      const why = await unreadable(f.path);
      if (why === undefined) continue;
      // A relative path is the probe's from the working directory: named whole, as the runs will look for it.
      const where = isAbsolute(f.path) ? f.path : `${f.path} (${resolve(f.path)})`;
      const at = formatPath(['probes', i, ...f.at]);
      if (f.optional)
        warnings.push({ path: at, message: `cannot read ${where}: ${why} (optional: its runs fail until it can be)` });
      else problems.push({ path: at, message: `cannot read ${where}: ${why}` });
    }
  }
  return { problems, warnings };
}

/** Why a file a probe reads cannot be read, or undefined when it can (it is not read here: it may be large). */
async function unreadable(file: string): Promise<string | undefined> {
  try {
    if ((await stat(file)).isDirectory()) return 'is a directory';
    await access(file, constants.R_OK);
    return undefined;
  } catch (err) {
    return describeFsError(err);
  }
}

/**
 * A private_key_jwt key: PEM, RSA (RS256) or EC P-256 (ES256); the algorithm is the key's unless
 * signingAlgorithm says otherwise, which must then fit the key.
 */
export function signingKey(
  pem: string,
  alg: 'RS256' | 'ES256' | undefined,
): { pem: string; alg: 'RS256' | 'ES256' } | { error: string } {
  let type: string | undefined;
  let curve: string | undefined;
  try {
    const key = createPrivateKey(pem);
    type = key.asymmetricKeyType;
    curve = key.asymmetricKeyDetails?.namedCurve;
  } catch {
    return { error: 'not a PEM private key (expected -----BEGIN PRIVATE KEY----- , an RSA or EC P-256 key)' };
  }
  const fits = type === 'rsa' ? 'RS256' : type === 'ec' && curve === 'prime256v1' ? 'ES256' : undefined;
  const what = type === 'ec' ? 'an EC' : type === 'rsa' ? 'an RSA' : `a ${type ?? 'unknown'}`;
  if (!fits)
    return {
      error:
        `${what}${curve ? ` ${curve}` : ''} key: ` +
        'private_key_jwt here signs with RS256 (an RSA key) or ES256 (an EC P-256 key)',
    };
  if (alg !== undefined && alg !== fits)
    return {
      error: `signingAlgorithm ${alg} does not fit this ${type === 'rsa' ? 'RSA' : 'EC P-256'} key (it signs ${fits})`,
    };
  // The SDK signs with jose, which takes PKCS#8 PEM: an RSA key in PKCS#1 is converted.
  const pkcs8 = createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { pem: pkcs8, alg: fits };
}

async function checkReferencedFiles(raw: unknown): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  const tokenFile = (raw as { mcpServer?: { tokenFile?: unknown } } | undefined)?.mcpServer?.tokenFile;
  if (typeof tokenFile === 'string' && tokenFile !== '') {
    const r = await readSecretFile(tokenFile);
    if (typeof r !== 'string') problems.push({ path: 'mcpServer.tokenFile', message: r.error });
  }
  const targets = (raw as { targets?: unknown } | undefined)?.targets;
  if (!targets || typeof targets !== 'object') return problems;
  for (const [name, t] of Object.entries(targets as Record<string, unknown>)) {
    if (!t || typeof t !== 'object') continue;
    const file = (t as { apiKeyFile?: unknown }).apiKeyFile;
    if (typeof file !== 'string' || file === '') continue;
    const r = await readSecretFile(file);
    if (typeof r !== 'string') problems.push({ path: `targets.${name}.apiKeyFile`, message: r.error });
  }
  return problems;
}

/** A secret file's content without the trailing newline editors and `echo` add. */
async function readSecretFile(file: string): Promise<string | { error: string }> {
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    return { error: `cannot read ${file}: ${describeFsError(err)}` };
  }
}
