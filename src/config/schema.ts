import cron from 'node-cron';
import { z } from 'zod';
import { canonicalHost, canonicalOrigin, formatHost } from '../util/origins.js';
import { parseDuration } from './duration.js';

/** Duration string → milliseconds. */
export const duration = z.string({ error: 'expected a duration such as 500ms, 10s or 5m' }).transform((s, ctx) => {
  const ms = parseDuration(s);
  if (typeof ms === 'object') {
    ctx.addIssue({ code: 'custom', message: ms.error });
    return z.NEVER;
  }
  return ms;
});

const cronExpr = z.string().superRefine((s, ctx) => {
  const v = cron.validateDetailed(s);
  if (!v.valid) {
    const why = v.errors.map((e) => e.message).join('; ');
    ctx.addIssue({ code: 'custom', message: `invalid cron expression "${s}": ${why}` });
  }
});

const regex = z.string().superRefine((s, ctx) => {
  try {
    new RegExp(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^Invalid regular expression/, "invalid regular expression") });
  }
});

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const headers = z.record(
  z.string().regex(HEADER_NAME, { error: 'invalid HTTP header name' }),
  z.string({ error: 'header values must be strings' }),
);

const httpUrl = z.string().superRefine((s, ctx) => {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: `invalid URL "${s}"` });
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `URL must be http:// or https://, got "${u.protocol}"` });
  }
  if (u.username || u.password) {
    ctx.addIssue({ code: 'custom', message: 'put credentials in apiKey/apiKeyFile, not in the URL' });
  }
});

const hostPort = z.string().superRefine((s, ctx) => {
  if (!parseListen(s)) ctx.addIssue({ code: 'custom', message: `expected host:port (e.g. 0.0.0.0:9464 or [::]:9464), got "${s}"` });
});

export function parseListen(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const nameField = z.string().regex(NAME, { error: 'use letters, digits and _ . : - (starting with a letter or digit)' });

export const tlsSchema = z.strictObject({
  insecureSkipVerify: z.boolean().default(false),
  caFile: z.string().min(1).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  serverName: z.string().min(1).optional(),
});

export const TOKEN_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/**
 * OAuth 2.0 client credentials (machine to machine) for an SSO gate in front of the gateway: the
 * access token goes in Authorization, the gateway key in apiKeyHeader.
 */
export const oauth2Schema = z.strictObject({
  clientId: z.string().min(1),
  /** An empty secret (an unset `${VAR:-}`) means none. */
  clientSecret: z
    .string()
    .optional()
    .transform((k) => (k === '' ? undefined : k)),
  clientSecretFile: z.string().min(1).optional(),
  /** private_key_jwt: the client's private key (PEM, PKCS#8), which signs the client assertion. */
  privateKeyFile: z.string().min(1).optional(),
  signingAlgorithm: z.enum(['RS256', 'ES256']).optional(),
  /** Without it, the token endpoint is discovered from the gateway's 401 (RFC 9728, then RFC 8414 / OpenID Connect). */
  tokenUrl: httpUrl.optional(),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: 'a scope is one word of printable characters (no spaces or quotes)' })).default([]),
  /** Default: private_key_jwt with privateKeyFile, else client_secret_basic. */
  tokenAuthMethod: z.enum(TOKEN_AUTH_METHODS).optional(),
});

export const targetSchema = z.strictObject({
  url: httpUrl,
  /** An empty key (e.g. `${LITELLM_MASTER_KEY:-}` with the variable unset) means no key. */
  apiKey: z
    .string()
    .optional()
    .transform((k) => (k === '' ? undefined : k)),
  apiKeyFile: z.string().min(1).optional(),
  /**
   * The header that carries the gateway key (`Bearer <key>`), lower-cased: `authorization`, or
   * `x-litellm-api-key` when Authorization carries an SSO token in front of the gateway.
   */
  apiKeyHeader: z
    .string()
    .regex(HEADER_NAME, { error: 'invalid HTTP header name' })
    .default('authorization')
    .transform((h) => h.toLowerCase()),
  mcpPath: z.string().startsWith('/', { error: 'must start with /' }).default('/mcp/'),
  transport: z.enum(['streamable-http', 'sse']).default('streamable-http'),
  headers: headers.default({}),
  timeout: duration.optional(),
  tls: tlsSchema.prefault({}),
  oauth2: oauth2Schema.optional(),
});

const scheduleFields = {
  name: nameField,
  target: z.string().min(1),
  schedule: cronExpr.optional(),
  every: duration.optional(),
  timeout: duration.optional(),
};

const mcpFields = {
  ...scheduleFields,
  /** Sent as `x-mcp-servers`; omitted when empty (the gateway then uses its defaults). */
  servers: z.array(z.string().min(1)).default([]),
  /** Extra headers for this probe only, on top of the target's. */
  headers: headers.default({}),
  /**
   * Largest HTTP response (or SSE stream) read from the gateway, in bytes; a bigger one fails the
   * run as protocol_error and is not read further. Default 10 MiB.
   */
  maxResponseBytes: z.number().int({ error: 'expected a whole number of bytes' }).min(1024).max(256 * 1024 * 1024).optional(),
};

export const httpProbeSchema = z.strictObject({
  ...scheduleFields,
  type: z.literal('http'),
  path: z.string().startsWith('/', { error: 'must start with /' }).default('/'),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: headers.default({}),
  body: z.string().optional(),
  auth: z.boolean().default(true),
  maxBodyBytes: z.number().int().min(0).max(64 * 1024 * 1024).default(1024 * 1024),
  expect: z
    .strictObject({
      status: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
      contains: z.string().optional(),
      matches: regex.optional(),
    })
    .prefault({}),
});

export const mcpCatalogProbeSchema = z.strictObject({
  ...mcpFields,
  type: z.literal('mcp_catalog'),
  /** Also read the gateway's own MCP health (LiteLLM GET /v1/mcp/server/health) and compare it with the catalog. */
  gatewayHealth: z.boolean().default(false),
  expect: z
    .strictObject({
      tools: z.array(z.string().min(1)).default([]),
      minTools: z.number().int().min(0).optional(),
      /** Every server in `servers` must contribute at least one tool. */
      serversPresent: z.boolean().default(true),
    })
    .prefault({}),
});

export const mcpCallProbeSchema = z.strictObject({
  ...mcpFields,
  type: z.literal('mcp_call'),
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
  expect: z
    .strictObject({
      isError: z.boolean().default(false),
      contains: z.string().optional(),
      matches: regex.optional(),
    })
    .prefault({}),
});

export const AUTH_CHECKS = ['no_key', 'no_bearer_prefix', 'wrong_key', 'no_sso_token'] as const;
export type AuthCheck = (typeof AUTH_CHECKS)[number];

export const authGuardProbeSchema = z.strictObject({
  ...mcpFields,
  type: z.literal('auth_guard'),
  /** Requests that must be rejected. */
  checks: z.array(z.enum(AUTH_CHECKS)).min(1).default([...AUTH_CHECKS]),
  /** Also check that the real key is accepted (a guard that rejects everything is no guard). */
  validKey: z.boolean().default(true),
});

export const clientConfigProbeSchema = z.strictObject({
  ...scheduleFields,
  type: z.literal('client_config'),
  /** A client's own config file (Codex config.toml, VS Code mcp.json, mcpServers JSON, an Open WebUI env file). */
  file: z.string().min(1),
  /** The entry's name in that file. */
  server: z.string().min(1),
  /** Also send the entry's own request (initialize + tools/list) as the client would. */
  live: z.boolean().default(true),
  maxResponseBytes: mcpFields.maxResponseBytes,
});

export const PROBE_TYPES = ['http', 'mcp_catalog', 'mcp_call', 'auth_guard', 'client_config'] as const;
export type ProbeType = (typeof PROBE_TYPES)[number];

export const probeSchema = z.discriminatedUnion('type', [
  httpProbeSchema,
  mcpCatalogProbeSchema,
  mcpCallProbeSchema,
  authGuardProbeSchema,
  clientConfigProbeSchema,
]);

export const RULE_CATEGORIES = ['auth', 'mcp', 'http'] as const;

export const extraRuleSchema = z.strictObject({
  name: nameField,
  category: z.enum(RULE_CATEGORIES),
  kind: z.string().regex(/^[A-Za-z0-9_]+$/, { error: 'use letters, digits and _' }),
  regex,
});

export const containerSchema = z.strictObject({
  name: z.string().min(1),
  rules: z.array(z.enum(['litellm'])).default(['litellm']),
  extraRules: z.array(extraRuleSchema).default([]),
  /** Where to start on the very first attach, when no cursor is stored: the end (default) or the whole log. */
  from: z.enum(['end', 'beginning']).default('end'),
});

export const logsSchema = z.strictObject({
  docker: z
    .strictObject({
      socketPath: z.string().min(1).default('/var/run/docker.sock'),
      /**
       * The Docker API over HTTP instead of the socket, e.g. a socket proxy: `http://docker-proxy:2375`. Wins over
       * socketPath.
       */
      url: httpUrl.optional(),
    })
    .prefault({}),
  containers: z.array(containerSchema).default([]),
});

/** An Origin, kept in its canonical form (lower case, default port dropped) so requests compare with ===. */
const origin = z.string().transform((s, ctx) => {
  const o = canonicalOrigin(s);
  if (o === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not an origin: expected scheme://host[:port] with no path, e.g. http://localhost:9464` });
    return z.NEVER;
  }
  return o;
});

/** A Host value, `name` (any port) or `name:port`, canonical (lower case). */
const allowedHost = z.string().transform((s, ctx) => {
  const h = canonicalHost(s);
  if (h === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a host: expected a name or address with an optional port, e.g. localhost, 127.0.0.1:9464 or [::1]` });
    return z.NEVER;
  }
  return formatHost(h);
});

export const mcpServerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  token: z.string().optional(),
  /** DNS-rebinding protection: a request whose Origin is not listed gets 403 (none listed: any Origin gets 403). */
  allowedOrigins: z.array(origin).default([]),
  /** When not empty, a request whose Host is not listed gets 403. */
  allowedHosts: z.array(allowedHost).default([]),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The most shards the probes may be split into (config `shard.total`, `--shard I/N`). */
export const MAX_SHARDS = 1000;

/** Run only this replica's share of the probes (stable hash of the name); index < total is checked across fields. */
export const shardSchema = z.strictObject({
  index: z.number().int({ error: 'expected a whole number' }).min(0).default(0),
  total: z.number().int({ error: 'expected a whole number' }).min(1).max(MAX_SHARDS).default(1),
});

export const configSchema = z.strictObject({
  listen: hostPort.default('0.0.0.0:9464'),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  stateDir: z.string().min(1).default('./data'),
  /** How many probe runs may be in flight at once, across all probes. */
  maxConcurrentProbes: z.number().int().min(1).max(1000).default(16),
  targets: z.record(nameField, targetSchema).default({}),
  probes: z.array(probeSchema).default([]),
  logs: logsSchema.optional(),
  mcpServer: mcpServerSchema.prefault({ enabled: false }),
  shard: shardSchema.prefault({}),
});

export type RawConfig = z.output<typeof configSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type OAuth2Config = z.output<typeof oauth2Schema>;
export type ProbeConfig = z.output<typeof probeSchema>;
export type HttpProbeConfig = z.output<typeof httpProbeSchema>;
export type McpCatalogProbeConfig = z.output<typeof mcpCatalogProbeSchema>;
export type McpCallProbeConfig = z.output<typeof mcpCallProbeSchema>;
export type AuthGuardProbeConfig = z.output<typeof authGuardProbeSchema>;
export type ClientConfigProbeConfig = z.output<typeof clientConfigProbeSchema>;
export type ContainerConfig = z.output<typeof containerSchema>;
export type ExtraRuleConfig = z.output<typeof extraRuleSchema>;
