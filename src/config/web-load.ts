// The web config file read from disk with the PEM files it names, each checked as the TLS server will use it, so a
// bad certificate is a problem at start or on reload (naming the file and the field), never a failed handshake later.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { parseListen } from './fields.js';
import type { Config } from './parse.js';
import type { ConfigProblem } from './problems.js';
import { hasToken } from './schema.js';
import { parseWebConfig, type PemSource, type WebSettings } from './web-config.js';
import { describeFsError } from '../util/errors.js';
import { isLoopbackHost } from '../util/origins.js';

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

/** What the web config and the /mcp check read of a loaded config. */
export type WebSide = Pick<Config, 'listen' | 'web'> & {
  mcpServer: Pick<Config['mcpServer'], 'enabled' | 'token' | 'tokenFile' | 'allowUnauthenticated'>;
};

/**
 * The web config of a loaded config (see webConfigFileOf), read and checked, and the one check that needs both:
 * `/mcp` never open by accident (mcpOpenProblems). What `run` does at start and on every reload (`runningTls`: see
 * webSettingsFor), and `check-config`.
 */
export async function webSettingsOf(
  config: WebSide,
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  runningTls?: boolean,
): Promise<
  { ok: true; settings: WebSettings | null; warnings: ConfigProblem[] } | { ok: false; problems: ConfigProblem[] }
> {
  const r = await webSettingsFor(flag, env, config.web.configFile, runningTls);
  if (!r.ok) return r;
  const open = mcpOpenProblems(config, r.settings, webConfigFileOf(flag, env, config.web.configFile));
  return open.length > 0 ? { ok: false, problems: open } : r;
}

/**
 * Who besides /mcp's own token checks who asks there, from the web config: its basic auth (every route, /mcp
 * included, asks for a password when /mcp has no token), or a client certificate the TLS handshake verifies against
 * `client_ca_file` (RequireAndVerifyClientCert). RequireAnyClientCert does not count: it takes any certificate,
 * one anybody can make.
 */
export function webAuthentication(web: WebSettings | null): 'basic_auth_users' | 'client certificates' | undefined {
  if (web && Object.keys(web.users).length > 0) return 'basic_auth_users';
  if (web?.tls?.clientAuth === 'RequireAndVerifyClientCert') return 'client certificates';
  return undefined;
}

/**
 * /mcp is never open by accident: on, with no token, on an address other hosts reach, it needs the web config to
 * ask who comes (webAuthentication) or `allowUnauthenticated`. `named`: where the web config came from, if any.
 */
export function mcpOpenProblems(
  config: WebSide,
  web: WebSettings | null,
  named?: { file: string; namedBy: string },
): ConfigProblem[] {
  const m = config.mcpServer;
  if (!m.enabled || hasToken(m) || m.allowUnauthenticated) return [];
  const host = parseListen(config.listen)?.host;
  if (host === undefined || isLoopbackHost(host) || webAuthentication(web) !== undefined) return [];
  const webNote = named
    ? `the web config ${named.file}, which has neither`
    : 'a web config (--web.config.file, MCPWATCH_WEB_CONFIG_FILE or web.configFile)';
  return [
    {
      path: 'mcpServer',
      message:
        `/mcp would be open to anyone who reaches ${config.listen} (not a loopback address) with no token: ` +
        'set mcpServer.token or mcpServer.tokenFile, listen on a loopback address (127.0.0.1:9464), ' +
        'or set mcpServer.allowUnauthenticated: true if something in front of mcpwatch checks who asks; ' +
        'or make every caller authenticate: basic_auth_users or client_auth_type: RequireAndVerifyClientCert ' +
        `in ${webNote}`,
    },
  ];
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
