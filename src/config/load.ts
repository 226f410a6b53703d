import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseConfig, type Config } from './parse.js';
import type { ConfigProblem } from './problems.js';

export const DEFAULT_CONFIG_PATH = 'config/mcpwatch.yaml';

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
    return { ok: false, path, problems: [...parsed.problems, ...fileProblems] };
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
  if (problems.length > 0) return { ok: false, path, problems };
  return { ok: true, path, config, warnings: parsed.warnings };
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

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return code ?? (err as Error).message;
  }
}
