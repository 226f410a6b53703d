// A gateway the probes talk to (config `targets`): its URL, key, TLS and SSO token settings, and the
// target as the probes get it once its files are read.
import { z } from 'zod';
import {
  duration,
  HEADER_NAME,
  headers,
  httpUrl,
  MODERN_PROTOCOL_VERSIONS,
  nameField,
  protocolSetting,
} from './fields.js';
import { isGatewayKeyHeader } from '../util/credentials.js';

export const tlsSchema = z.strictObject({
  insecureSkipVerify: z.boolean().default(false),
  caFile: z.string().min(1).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  serverName: z.string().min(1).optional(),
});

/**
 * The header a target's clientId goes in when clientIdHeader is unset. LiteLLM has no default (its
 * `mcp_client_id_header` is unset until configured); this is the name its documentation gives as the example.
 */
export const DEFAULT_CLIENT_ID_HEADER = 'x-mcp-client';

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
  scopes: z
    .array(
      z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, {
        error: 'a scope is one word of printable characters (no spaces or quotes)',
      }),
    )
    .default([]),
  /** Default: private_key_jwt with privateKeyFile, else client_secret_basic. */
  tokenAuthMethod: z.enum(TOKEN_AUTH_METHODS).optional(),
});

/** Another credential for the same gateway (config `targets.NAME.keys.KEY`): a probe with `key: KEY` runs as it. */
export const namedKeySchema = z.strictObject({
  /** An empty key (an unset `${VAR:-}`) means none: a config problem (cross-check). */
  apiKey: z
    .string()
    .optional()
    .transform((k) => (k === '' ? undefined : k)),
  apiKeyFile: z.string().min(1).optional(),
});

export const targetSchema = z
  .strictObject({
    url: httpUrl,
    /** An empty key (e.g. `${LITELLM_MASTER_KEY:-}` with the variable unset) means no key. */
    apiKey: z
      .string()
      .optional()
      .transform((k) => (k === '' ? undefined : k)),
    apiKeyFile: z.string().min(1).optional(),
    /**
     * Other keys of the same gateway, by name (a client's key, a team's): a probe with `key: NAME` sends that one
     * instead of apiKey, to see the gateway as that key does. Their values are read like apiKey's and masked.
     */
    keys: z.record(nameField, namedKeySchema).optional(),
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
    /**
     * The MCP protocol the probes speak: `auto` (server/discover, falling back to initialize; the answer remembered per
     * target), `legacy`, `modern` (2026-07-28 only) or an exact revision.
     */
    protocol: protocolSetting.default('auto'),
    headers: headers.default({}),
    /**
     * Who mcpwatch is to a gateway that admits only listed client applications (LiteLLM 1.109+
     * `general_settings.mcp_allowed_clients`): sent in clientIdHeader on every MCP request. Not a secret (the client
     * picks it itself), so it is shown like any other header.
     */
    clientId: z.string().min(1).optional(),
    /** The header clientId goes in, lower-cased (the gateway's `mcp_client_id_header`); unset: `x-mcp-client`. */
    clientIdHeader: z
      .string()
      .regex(HEADER_NAME, { error: 'invalid HTTP header name' })
      .transform((h) => h.toLowerCase())
      .optional(),
    timeout: duration.optional(),
    /**
     * Probe runs in flight at once against this target (unset: only the config's maxConcurrentProbes holds them):
     * for a gateway that spends seconds on each MCP session (LiteLLM 1.109+ starts a stdio server several times for
     * one list), so that its probes come a few at a time instead of all in the same seconds.
     */
    maxConcurrentProbes: z.number().int().min(1).max(1000).optional(),
    tls: tlsSchema.prefault({}),
    oauth2: oauth2Schema.optional(),
  })
  .superRefine((t, ctx) => {
    // The legacy SSE transport predates the modern era: it has no server/discover.
    const modern = t.protocol === 'modern' || (MODERN_PROTOCOL_VERSIONS as readonly string[]).includes(t.protocol);
    if (t.transport === 'sse' && modern) {
      ctx.addIssue({
        code: 'custom',
        path: ['protocol'],
        message:
          'transport sse speaks only the legacy protocol: use protocol auto or legacy with it, ' +
          'or transport streamable-http',
      });
    }
    // The client id is sent beside the key: in a header that carries a key it would replace it (or be taken for one).
    const idHeader = t.clientIdHeader ?? DEFAULT_CLIENT_ID_HEADER;
    if (t.clientIdHeader !== undefined && (isGatewayKeyHeader(idHeader) || idHeader === t.apiKeyHeader)) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientIdHeader'],
        message:
          `${idHeader} carries credentials: use the header the gateway reads the client id from ` +
          `(its mcp_client_id_header, e.g. ${DEFAULT_CLIENT_ID_HEADER})`,
      });
    }
  });

export type TargetConfig = z.output<typeof targetSchema>;
export type OAuth2Config = z.output<typeof oauth2Schema>;

/** A target as the probes get it: its name, and the files it names read when the config is loaded. */
export type Target = TargetConfig & {
  name: string;
  /** Contents of tls.caFile/certFile/keyFile, read when the config is loaded. */
  tlsFiles?: { ca?: string; cert?: string; key?: string };
  /** oauth2.privateKeyFile's key (PEM) and the algorithm it signs with, read when the config is loaded. */
  oauth2Key?: { pem: string; alg: 'RS256' | 'ES256' };
  /** Set when a probe runs as one of the target's `keys`: that key's name (its value is then in apiKey). */
  keyName?: string;
};

/**
 * Pure: the target as a probe with `key` sees it: the named key in apiKey (sent as the target's own would be), and
 * its name in keyName. Without `key`, the target itself. An unknown name (the config check refuses it) sends no key.
 */
export function targetAs(target: Target, key: string | undefined): Target {
  if (key === undefined) return target;
  const named = target.keys && Object.hasOwn(target.keys, key) ? target.keys[key] : undefined;
  return { ...target, apiKey: named?.apiKey, keyName: key };
}

/** The header a target sends its key in, as written (apiKeyHeader lower-cased, or the schema's default). */
export function rawKeyHeader(t: Readonly<Record<string, unknown>>): string {
  return typeof t.apiKeyHeader === 'string' ? t.apiKeyHeader.toLowerCase() : 'authorization';
}

/** The header a target sends its clientId in (clientIdHeader, or the default). */
export function clientIdHeaderOf(t: Pick<TargetConfig, 'clientIdHeader'>): string {
  return t.clientIdHeader ?? DEFAULT_CLIENT_ID_HEADER;
}
