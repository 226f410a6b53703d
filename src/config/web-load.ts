// The web config file read from disk with the PEM files it names, each checked as the TLS server will use it, so a
// bad certificate is a problem at start or on reload (naming the file and the field), never a failed handshake later.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { ConfigProblem } from './problems.js';
import { parseWebConfig, type PemSource, type WebSettings } from './web-config.js';
import { describeFsError } from '../util/errors.js';

export type WebLoadResult =
  { ok: true; settings: WebSettings; warnings: ConfigProblem[] } | { ok: false; problems: ConfigProblem[] };

/**
 * Reads and checks the web config `file`. `namedBy` says where its name came from (`--web.config.file`,
 * `web.configFile`): the problem of a file that cannot be read is placed there. Every other problem's path starts
 * with the file's name, then the field (`/etc/mcpwatch/web.yml: tls_server_config.cert_file`).
 */
export async function loadWebConfig(file: string, namedBy: string): Promise<WebLoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      problems: [{ path: namedBy, message: `cannot read web config ${file}: ${describeFsError(err)}` }],
    };
  }
  const inFile = (ps: ConfigProblem[]): ConfigProblem[] => ps.map((p) => ({ ...p, path: `${file}: ${p.path}` }));
  const parsed = parseWebConfig(text, file);
  if (!parsed.ok) return { ok: false, problems: inFile(parsed.problems) };
  const { config } = parsed;
  const settings: WebSettings = {
    file,
    users: config.users,
    headers: config.headers,
    ...(config.rateLimit && { rateLimit: config.rateLimit }),
  };
  const problems: ConfigProblem[] = [];
  const { tls } = config;
  if (tls) {
    const cert = await readPem(tls.cert, problems, checkCertificates);
    const key = await readPem(tls.key, problems, checkKey);
    const ca = tls.clientCa ? await readPem(tls.clientCa, problems, checkCertificates) : undefined;
    if (cert !== undefined && key !== undefined && (ca !== undefined || !tls.clientCa)) {
      const context = {
        cert,
        key,
        ...(ca !== undefined && { ca }),
        minVersion: tls.minVersion,
        maxVersion: tls.maxVersion,
        ...(tls.ciphers && { ciphers: tls.ciphers }),
        ...(tls.ecdhCurve && { ecdhCurve: tls.ecdhCurve }),
        honorCipherOrder: tls.honorCipherOrder,
      };
      // What the server will build: a key that is not the certificate's, a cipher or curve OpenSSL refuses.
      try {
        createSecureContext(context);
        settings.tls = {
          context,
          clientAuth: tls.clientAuth,
          ...(tls.allowedSans && { allowedSans: tls.allowedSans }),
        };
      } catch (err) {
        problems.push(contextProblem(err as Error, tls));
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems: inFile(problems) };
  return { ok: true, settings, warnings: inFile(parsed.warnings) };
}

/**
 * Where the web config comes from: `--web.config.file`, else MCPWATCH_WEB_CONFIG_FILE, else the config's
 * `web.configFile`.
 */
export function webConfigFileOf(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  configured: string | undefined,
): { file: string; namedBy: string } | undefined {
  if (flag) return { file: flag, namedBy: '--web.config.file' };
  if (env.MCPWATCH_WEB_CONFIG_FILE) return { file: env.MCPWATCH_WEB_CONFIG_FILE, namedBy: 'MCPWATCH_WEB_CONFIG_FILE' };
  if (configured) return { file: configured, namedBy: 'web.configFile' };
  return undefined;
}

/**
 * The web config a loaded config names (see webConfigFileOf), read and checked: null when none is named. `runningTls`
 * (on reload: whether the server speaks HTTPS) refuses a file that turns TLS on or off, which takes a restart.
 */
export async function webSettingsFor(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  configured: string | undefined,
  runningTls?: boolean,
): Promise<
  { ok: true; settings: WebSettings | null; warnings: ConfigProblem[] } | { ok: false; problems: ConfigProblem[] }
> {
  const named = webConfigFileOf(flag, env, configured);
  const restart = (path: string, what: string): { ok: false; problems: ConfigProblem[] } => ({
    ok: false,
    problems: [{ path, message: `${what}: that takes a restart (the running web config stays)` }],
  });
  if (!named) {
    if (runningTls) return restart('web.configFile', 'no web config any more, but the server speaks HTTPS');
    return { ok: true, settings: null, warnings: [] };
  }
  const r = await loadWebConfig(named.file, named.namedBy);
  if (!r.ok) return r;
  const tls = r.settings.tls !== undefined;
  if (runningTls !== undefined && tls !== runningTls)
    return restart(
      `${named.file}: tls_server_config`,
      tls ? 'TLS turned on, but the server speaks plain HTTP' : 'TLS turned off, but the server speaks HTTPS',
    );
  return r;
}

/** The PEM text of an inline value or a file, checked by `check` (an error message, or undefined when fine). */
async function readPem(
  src: PemSource,
  problems: ConfigProblem[],
  check: (pem: string) => string | undefined,
): Promise<string | undefined> {
  let pem: string;
  if ('pem' in src) pem = src.pem;
  else {
    try {
      pem = await readFile(src.file, 'utf8');
    } catch (err) {
      problems.push({ path: src.field, message: `cannot read ${src.file}: ${describeFsError(err)}` });
      return undefined;
    }
  }
  const why = check(pem);
  if (why === undefined) return pem;
  problems.push({ path: src.field, message: 'file' in src ? `${src.file}: ${why}` : why });
  return undefined;
}

function checkCertificates(pem: string): string | undefined {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return 'no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `certificate ${i + 1} is not a valid PEM certificate`;
    }
  }
  return undefined;
}

function checkKey(pem: string): string | undefined {
  try {
    createPrivateKey(pem);
    return undefined;
  } catch {
    return 'not a PEM private key without a passphrase (expected -----BEGIN PRIVATE KEY----- or an RSA/EC key)';
  }
}

/** createSecureContext's refusal, placed at the field it is about. */
function contextProblem(err: Error, tls: { key: PemSource; cert: PemSource }): ConfigProblem {
  const msg = err.message;
  if (/key values mismatch/i.test(msg))
    return { path: tls.key.field, message: `the key does not belong to the certificate of ${tls.cert.field}` };
  if (/cipher/i.test(msg)) return { path: 'tls_server_config.cipher_suites', message: `refused by OpenSSL: ${msg}` };
  if (/curve|group/i.test(msg))
    return { path: 'tls_server_config.curve_preferences', message: `refused by OpenSSL: ${msg}` };
  return { path: 'tls_server_config', message: `cannot set up TLS: ${msg}` };
}
