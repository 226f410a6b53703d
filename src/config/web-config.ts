// The web config file (`--web.config.file`, `web.configFile`): the Prometheus exporter-toolkit format
// (docs/web-configuration.md of prometheus/exporter-toolkit), so an operator reuses the file their exporters
// have: TLS, client certificates, basic auth users (bcrypt hashes), response headers, a rate limit.
// Pure: text in, a checked config out; the files it names are read by web-load.ts.
import { dirname, isAbsolute, join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { ConfigProblem } from './problems.js';

/**
 * What Go's HTTPS servers (the exporter-toolkit's) answer, with 400, a plain-HTTP request on their TLS port; mcpwatch
 * answers the same (server/web-gate.ts), and its clients know it (web-client.ts).
 */
export const PLAIN_HTTP_TO_TLS = 'Client sent an HTTP request to an HTTPS server.';

/** Go's tls.ClientAuthType names, as the toolkit takes them (`RequireClientCert` is its old name for RequireAny). */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** The toolkit's TLS versions, as Node names them. */
const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
export type TlsVersion = (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];

/**
 * The cipher suites the toolkit takes (Go's `tls.CipherSuites()`), as OpenSSL names them. Go applies the list to
 * TLS 1.2 and below only; the TLS 1.3 names are taken and ignored as Go does (TLS 1.3 always offers its three).
 */
const CIPHERS: Record<string, string | null> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
};
/** TLS 1.3's suites, added to a `cipher_suites` list: Node turns TLS 1.3 off when a list names none of them. */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/** The toolkit's curve names, as OpenSSL names them. */
const CURVES = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' } as const;

/**
 * The response headers the toolkit lets a web config set (`extraHTTPHeaders`, kept to these for consistency across
 * the Prometheus ecosystem), with the values it takes where they are an enumeration.
 */
export const ALLOWED_HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/** A bcrypt hash as Go's bcrypt and bcryptjs both read it: `$2a$`, `$2b$` or `$2y$` (htpasswd's), cost 4 to 31. */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** A PEM taken inline or from a file (a path relative to the web config file's folder, resolved). */
export type PemSource = { file: string; field: string } | { pem: string; field: string };

export interface WebTlsConfig {
  cert: PemSource;
  key: PemSource;
  clientCa?: PemSource;
  clientAuth: ClientAuthType;
  /** A client certificate must carry one of these SANs (DNS, IP, e-mail or URI), else the connection is closed. */
  allowedSans?: string[];
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** OpenSSL's cipher list, when `cipher_suites` is set. */
  ciphers?: string;
  /** OpenSSL's curve list, when `curve_preferences` is set. */
  ecdhCurve?: string;
  honorCipherOrder: boolean;
}

/** A web config file, checked. */
export interface WebConfig {
  tls?: WebTlsConfig;
  /** User name → bcrypt hash; none: no basic auth. */
  users: Record<string, string>;
  /** Added to every answer. */
  headers: Record<string, string>;
  /** A token bucket over every request (429 past it); none: no limit. */
  rateLimit?: { intervalMs: number; burst: number };
}

/** A web config with the PEM files it names read: what the HTTP server runs with (web-load.ts makes it). */
export interface WebSettings {
  /** The web config file, as named. */
  file: string;
  tls?: {
    /** node:tls secure context options: PEM text, versions, ciphers. */
    context: {
      cert: string;
      key: string;
      ca?: string;
      minVersion: TlsVersion;
      maxVersion: TlsVersion;
      ciphers?: string;
      ecdhCurve?: string;
      honorCipherOrder: boolean;
    };
    clientAuth: ClientAuthType;
    allowedSans?: string[];
  };
  users: Record<string, string>;
  headers: Record<string, string>;
  rateLimit?: { intervalMs: number; burst: number };
}

export type WebConfigResult =
  { ok: true; config: WebConfig; warnings: ConfigProblem[] } | { ok: false; problems: ConfigProblem[] };

/** A string the toolkit treats as unset when empty or null (Go's zero value). */
const optString = z
  .string()
  .nullish()
  .transform((s) => s || undefined);

const stringList = z.array(z.string()).nullish();

const tlsServerSchema = z.strictObject({
  cert: optString,
  key: optString,
  client_ca: optString,
  cert_file: optString,
  key_file: optString,
  client_auth_type: optString,
  client_ca_file: optString,
  client_allowed_sans: stringList,
  min_version: optString,
  max_version: optString,
  cipher_suites: stringList,
  prefer_server_cipher_suites: z.boolean().nullish(),
  curve_preferences: stringList,
});

const httpServerSchema = z.strictObject({
  http2: z.boolean().nullish(),
  headers: z.record(z.string(), z.string().nullish()).nullish(),
});

const rateLimitSchema = z.strictObject({
  interval: z.union([z.string(), z.number()]).nullish(),
  burst: z.number().int().min(0).nullish(),
});

const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerSchema.nullish(),
  http_server_config: httpServerSchema.nullish(),
  basic_auth_users: z.record(z.string(), z.string().nullish()).nullish(),
  rate_limit: rateLimitSchema.nullish(),
});

type RawWeb = z.output<typeof webConfigSchema>;
type RawTls = z.output<typeof tlsServerSchema>;

/**
 * The web config file's text → a checked config, every problem as `path: message` (paths as the file writes them,
 * `tls_server_config.client_auth_type`). `file` is where it was read from: relative `*_file` paths are taken from
 * its folder, as the toolkit does.
 */
export function parseWebConfig(text: string, file: string): WebConfigResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos ? `yaml (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : 'yaml';
    return { ok: false, problems: [{ path: at, message: e.message.split('\n')[0]!.replace(/ at line \d+.*$/, '') }] };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    return { ok: false, problems: [{ path: 'yaml', message: (err as Error).message }] };
  }
  if (typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, problems: [{ path: '(root)', message: 'the web config must be a YAML mapping' }] };
  const parsed = webConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(describeIssue) };
  return checkWebConfig(parsed.data, dirname(file));
}

/** The checks the toolkit makes beyond the shape (its `getConfig`, `validateUsers`, `ConfigToTLSConfig`). */
function checkWebConfig(raw: RawWeb, dir: string): WebConfigResult {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];

  const users: Record<string, string> = {};
  for (const [user, hash] of Object.entries(raw.basic_auth_users ?? {})) {
    const at = `basic_auth_users.${user}`;
    const cost = hash ? BCRYPT.exec(hash)?.[1] : undefined;
    if (!hash)
      problems.push({ path: at, message: 'no password hash (expected a bcrypt hash, e.g. from htpasswd -nBC 10)' });
    else if (cost === undefined)
      problems.push({
        path: at,
        message:
          'not a bcrypt hash: expected $2y$ (htpasswd -nBC 10 "" | tr -d \':\\n\'), $2a$ or $2b$ and 53 characters',
      });
    else if (Number(cost) < 4 || Number(cost) > 31)
      problems.push({ path: at, message: `bcrypt cost ${Number(cost)} is out of range (4 to 31)` });
    else users[user] = hash;
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.http_server_config?.headers ?? {})) {
    const at = `http_server_config.headers.${name}`;
    const allowed = ALLOWED_HEADERS[name];
    if (allowed === undefined) {
      problems.push({
        path: at,
        message: `HTTP header "${name}" can not be configured (allowed: ${Object.keys(ALLOWED_HEADERS).join(', ')})`,
      });
      continue;
    }
    // Blank: unset, as the toolkit documents.
    if (!value) continue;
    if (allowed && !allowed.includes(value)) {
      problems.push({
        path: at,
        message: `expected one of ${allowed.map((v) => `"${v}"`).join(', ')}, got "${value}"`,
      });
      continue;
    }
    headers[name] = value;
  }
  if (raw.http_server_config?.http2 === true)
    warnings.push({
      path: 'http_server_config.http2',
      message: 'mcpwatch serves HTTP/1.1 only (HTTPS clients negotiate it): the setting is ignored',
    });

  let rateLimit: WebConfig['rateLimit'];
  if (raw.rate_limit) {
    const interval = raw.rate_limit.interval ?? 0;
    const ms = typeof interval === 'number' ? interval / 1e6 : parseGoDuration(interval);
    if (typeof ms === 'object') problems.push({ path: 'rate_limit.interval', message: ms.error });
    else if (ms > 0) {
      const burst = raw.rate_limit.burst ?? 0;
      if (burst < 1)
        problems.push({ path: 'rate_limit.burst', message: 'must be at least 1 (0 would refuse every request)' });
      else rateLimit = { intervalMs: ms, burst };
    }
  }

  const tls = raw.tls_server_config ? checkTls(raw.tls_server_config, dir, problems) : undefined;
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: { ...(tls && { tls }), users, headers, ...(rateLimit && { rateLimit }) },
    warnings,
  };
}

const at = (k: string): string => `tls_server_config.${k}`;

/** `tls_server_config`: undefined when it turns nothing on (as the toolkit's `IsEnabled`), else checked whole. */
function checkTls(t: RawTls, dir: string, problems: ConfigProblem[]): WebTlsConfig | undefined {
  const enabled = [t.cert, t.cert_file, t.key, t.key_file, t.client_ca, t.client_ca_file, t.client_auth_type].some(
    (v) => v !== undefined,
  );
  const before = problems.length;
  const source = (inline: string | undefined, file: string | undefined, name: string): PemSource | undefined => {
    if (inline !== undefined && file !== undefined)
      problems.push({ path: at(`${name}_file`), message: `set ${name} or ${name}_file, not both` });
    if (file !== undefined) return { file: isAbsolute(file) ? file : join(dir, file), field: at(`${name}_file`) };
    return inline === undefined ? undefined : { pem: inline, field: at(name) };
  };

  const cert = source(t.cert, t.cert_file, 'cert');
  const key = source(t.key, t.key_file, 'key');
  const clientCa = source(t.client_ca, t.client_ca_file, 'client_ca');
  if (enabled && !cert) problems.push({ path: at('cert_file'), message: 'missing one of cert or cert_file' });
  if (enabled && !key) problems.push({ path: at('key_file'), message: 'missing one of key or key_file' });
  const client = checkClientAuth(t, clientCa, problems);
  const protocol = checkProtocol(t, problems);

  if (!enabled || !cert || !key || problems.length > before) {
    if (!enabled && problems.length === before && (client.allowedSans || t.min_version || t.cipher_suites?.length))
      problems.push({
        path: at('cert_file'),
        message: 'TLS settings without a certificate: set cert_file and key_file (or remove tls_server_config)',
      });
    return undefined;
  }
  return { cert, key, ...(clientCa && { clientCa }), ...client, ...protocol };
}

/** `client_auth_type` (the toolkit's rules: a client CA needs a policy; SANs need a certificate sent). */
function checkClientAuth(
  t: RawTls,
  clientCa: PemSource | undefined,
  problems: ConfigProblem[],
): Pick<WebTlsConfig, 'clientAuth' | 'allowedSans'> {
  const name = t.client_auth_type ?? 'NoClientCert';
  const clientAuth = (name === 'RequireClientCert' ? 'RequireAnyClientCert' : name) as ClientAuthType;
  if (!CLIENT_AUTH_TYPES.includes(clientAuth))
    problems.push({
      path: at('client_auth_type'),
      message: `unknown client auth type "${name}" (expected one of ${CLIENT_AUTH_TYPES.join(', ')})`,
    });
  else if (clientCa && clientAuth === 'NoClientCert')
    problems.push({
      path: at('client_auth_type'),
      message:
        `a client CA is set (${clientCa.field}) but client_auth_type is NoClientCert: ` +
        'set RequireAndVerifyClientCert',
    });
  const allowedSans = t.client_allowed_sans ?? undefined;
  if (allowedSans && clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert')
    problems.push({
      path: at('client_allowed_sans'),
      message: 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert (a client must send one)',
    });
  return { clientAuth, ...(allowedSans && { allowedSans }) };
}

/** Versions, cipher suites and curves, in OpenSSL's names. */
function checkProtocol(
  t: RawTls,
  problems: ConfigProblem[],
): Pick<WebTlsConfig, 'minVersion' | 'maxVersion' | 'ciphers' | 'ecdhCurve' | 'honorCipherOrder'> {
  const version = (name: 'min_version' | 'max_version', dflt: TlsVersion): TlsVersion => {
    const v = t[name];
    if (v === undefined) return dflt;
    const node = TLS_VERSIONS[v as keyof typeof TLS_VERSIONS] as TlsVersion | undefined;
    if (node) return node;
    problems.push({
      path: at(name),
      message: `unknown TLS version "${v}" (expected one of ${Object.keys(TLS_VERSIONS).join(', ')})`,
    });
    return dflt;
  };
  const minVersion = version('min_version', 'TLSv1.2');
  const maxVersion = version('max_version', 'TLSv1.3');
  if (minVersion > maxVersion)
    problems.push({ path: at('min_version'), message: `${t.min_version} is above max_version ${t.max_version}` });

  const names = (list: string[], key: string, table: Record<string, string | null>, what: string): string[] =>
    list.flatMap((c, i) => {
      const openssl = Object.hasOwn(table, c) ? table[c] : undefined;
      if (openssl === undefined)
        problems.push({
          path: `${at(key)}[${i}]`,
          message: `unknown ${what} "${c}" (expected one of ${Object.keys(table).join(', ')})`,
        });
      return openssl ? [openssl] : [];
    });
  const ciphers = names(t.cipher_suites ?? [], 'cipher_suites', CIPHERS, 'cipher');
  const curves = names(t.curve_preferences ?? [], 'curve_preferences', CURVES, 'curve');
  return {
    minVersion,
    maxVersion,
    ...(ciphers.length > 0 && { ciphers: `${TLS13_SUITES}:${ciphers.join(':')}` }),
    ...(curves.length > 0 && { ecdhCurve: curves.join(':') }),
    honorCipherOrder: t.prefer_server_cipher_suites ?? true,
  };
}

const GO_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's `time.ParseDuration` (`1s`, `100ms`, `1m30s`, `0`), in ms; an error message otherwise. */
export function parseGoDuration(s: string): number | { error: string } {
  const text = s.trim();
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let ms = 0;
  let end = 0;
  for (const m of text.matchAll(part)) {
    ms += Number(m[1]) * GO_UNITS_MS[m[2]!]!;
    end = m.index + m[0].length;
  }
  if (text === '' || end !== text.length)
    return { error: `invalid duration "${s}" (expected a Go duration such as 1s, 100ms or 1m30s)` };
  return ms;
}

const SECTIONS: Record<string, readonly string[]> = {
  '': Object.keys(webConfigSchema.shape),
  tls_server_config: Object.keys(tlsServerSchema.shape),
  http_server_config: Object.keys(httpServerSchema.shape),
  rate_limit: Object.keys(rateLimitSchema.shape),
};

/** A zod issue in the file's words: an unknown key named with the keys allowed there. */
function describeIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = issue.path.map(String).join('.');
  const under = (k: string): string => (path ? `${path}.${k}` : k);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = SECTIONS[path];
      return issue.keys.map((k) => ({
        path: under(k),
        message: `unknown key${allowed ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
      }));
    }
    case 'invalid_type': {
      const what = { record: 'a mapping', object: 'a mapping', array: 'a list' }[issue.expected as string];
      return [{ path: path || '(root)', message: `expected ${what ?? issue.expected}` }];
    }
    default:
      return [{ path: path || '(root)', message: issue.message }];
  }
}
