// The config file's schema: the top level, logs, the MCP endpoint and shards here; targets in target.ts;
// each probe type's own schema in its folder (src/probes/<type>/schema.ts), joined by the probe table.
import { z } from 'zod';
import { probeSchema } from '../probes/table.js';
import { canonicalHost, canonicalOrigin, formatHost } from '../util/origins.js';
import { hostPort, httpUrl, nameField, regex } from './fields.js';
import { discoverSchema } from './discover.js';
import { targetSchema } from './target.js';

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
  /**
   * The target (a name under `targets`) this container serves: its image names the target's version when the
   * gateway does not say it (docs/logs.md, "The container itself").
   */
  target: z.string().min(1).optional(),
  /**
   * Files the container loads at start (LiteLLM's config.yaml, env files), as mcpwatch sees them (mounted
   * read-only): one changed after the container started is a restart pending. Only their modification time and a
   * hash are read.
   */
  watchFiles: z.array(z.string().min(1)).default([]),
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
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" is not an origin: expected scheme://host[:port] with no path, e.g. http://localhost:9464`,
    });
    return z.NEVER;
  }
  return o;
});

/** A Host value, `name` (any port) or `name:port`, canonical (lower case). */
const allowedHost = z.string().transform((s, ctx) => {
  const h = canonicalHost(s);
  if (h === undefined) {
    ctx.addIssue({
      code: 'custom',
      message:
        `"${s}" is not a host: ` +
        'expected a name or address with an optional port, e.g. localhost, 127.0.0.1:9464 or [::1]',
    });
    return z.NEVER;
  }
  return formatHost(h);
});

/**
 * Who may use any route of the HTTP server (DNS-rebinding protection, src/server/web-guard.ts), and whether
 * `POST /-/reload` is served.
 */
export const webSchema = z.strictObject({
  /** A request whose Origin is not listed gets 403 (none listed: only the server's own origins pass). */
  allowedOrigins: z.array(origin).default([]),
  /** When not empty, a request whose Host is not listed (nor a loopback name) gets 403. */
  allowedHosts: z.array(allowedHost).default([]),
  /** Serve `POST /-/reload` (as `--web.enable-lifecycle` does); SIGHUP reloads either way. */
  enableLifecycle: z.boolean().default(false),
  /**
   * TLS, basic auth and response headers from a web config file in the Prometheus exporter-toolkit format
   * (src/config/web-config.ts); `--web.config.file` and MCPWATCH_WEB_CONFIG_FILE win over it.
   */
  configFile: z.string().min(1).optional(),
});

export const mcpServerSchema = z
  .strictObject({
    /** Default: on when a token or a token file is given, else off. */
    enabled: z.boolean().optional(),
    token: z.string().optional(),
    /** The token in a file (a compose secret), read like a target's apiKeyFile; empty: none. */
    tokenFile: z.string().optional(),
    /** /mcp without a token on a listen address that is not a loopback one (something in front checks who asks). */
    allowUnauthenticated: z.boolean().default(false),
    /** Deprecated: web.allowedOrigins (they apply to every route). */
    allowedOrigins: z.array(origin).optional(),
    /** Deprecated: web.allowedHosts. */
    allowedHosts: z.array(allowedHost).optional(),
  })
  .transform(({ enabled, ...rest }) => ({ enabled: enabled ?? hasToken(rest), ...rest }));

/** Whether an mcpServer section names a token (written or in a file); an empty value names none. */
export function hasToken(s: { token?: unknown; tokenFile?: unknown }): boolean {
  return (typeof s.token === 'string' && s.token !== '') || (typeof s.tokenFile === 'string' && s.tokenFile !== '');
}

/** Where the HTTP server listens when the config does not say. */
export const DEFAULT_LISTEN = '0.0.0.0:9464';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The most shards the probes may be split into (config `shard.total`, `--shard I/N`). */
export const MAX_SHARDS = 1000;

/** Run only this replica's share of the probes (stable hash of the name); index < total is checked across fields. */
export const shardSchema = z.strictObject({
  index: z.number().int({ error: 'expected a whole number' }).min(0).default(0),
  total: z.number().int({ error: 'expected a whole number' }).min(1).max(MAX_SHARDS).default(1),
});

export const configSchema = z.strictObject({
  listen: hostPort.default(DEFAULT_LISTEN),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  stateDir: z.string().min(1).default('./data'),
  /** How many probe runs may be in flight at once, across all probes. */
  maxConcurrentProbes: z.number().int().min(1).max(1000).default(16),
  /** A target, and its `discover` block (its server list read, a probe per server: config/discover.ts). */
  targets: z.record(nameField, targetSchema.safeExtend({ discover: discoverSchema.optional() })).default({}),
  probes: z.array(probeSchema).default([]),
  logs: logsSchema.optional(),
  mcpServer: mcpServerSchema.prefault({}),
  web: webSchema.prefault({}),
  shard: shardSchema.prefault({}),
});

export type RawConfig = z.output<typeof configSchema>;
export type ContainerConfig = z.output<typeof containerSchema>;
export type ExtraRuleConfig = z.output<typeof extraRuleSchema>;
