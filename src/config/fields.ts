// The building blocks of the config's schema, shared by the config itself and the probe types' own schemas
// (src/probes/<type>/schema.ts): values as they are written in YAML, checked and turned into what the code uses.
import cron from 'node-cron';
import { z } from 'zod';
import { parseDuration } from './duration.js';

export const duration = z.string({ error: 'expected a duration such as 500ms, 10s or 5m' }).transform((s, ctx) => {
  const ms = parseDuration(s);
  if (typeof ms === 'object') {
    ctx.addIssue({ code: 'custom', message: ms.error });
    return z.NEVER;
  }
  return ms;
});

/**
 * A probe's `schedule` that is no schedule: the agent never runs the probe on its own, only when asked (`/probe`,
 * the MCP tool `run_probe`), so that Prometheus schedules it (docs/deployment.md, "Prometheus runs the probes").
 */
export const ON_REQUEST = 'on_request';

/**
 * Whether a probe's settled schedule (config/parse.ts `Schedule`) is ON_REQUEST: the scheduler never starts its
 * runs, `/probe` and the MCP tool `run_probe` do; /status says `on request`.
 */
export function runsOnRequest(spec: { kind: string; expr?: string }): boolean {
  return spec.kind === ON_REQUEST || (spec.kind === 'cron' && spec.expr === ON_REQUEST);
}

/** A probe's `schedule`: a cron expression, or ON_REQUEST. */
export const cronExpr = z.string().superRefine((s, ctx) => {
  if (s === ON_REQUEST) return;
  const v = cron.validateDetailed(s);
  if (!v.valid) {
    const why = v.errors.map((e) => e.message).join('; ');
    ctx.addIssue({ code: 'custom', message: `invalid cron expression "${s}": ${why}` });
  }
});

export const regex = z.string().superRefine((s, ctx) => {
  try {
    new RegExp(s);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: (err as Error).message.replace(/^Invalid regular expression/, 'invalid regular expression'),
    });
  }
});

export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const headers = z.record(
  z.string().regex(HEADER_NAME, { error: 'invalid HTTP header name' }),
  z.string({ error: 'header values must be strings' }),
);

export const httpUrl = z.string().superRefine((s, ctx) => {
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

export const hostPort = z.string().superRefine((s, ctx) => {
  if (!parseListen(s))
    ctx.addIssue({ code: 'custom', message: `expected host:port (e.g. 0.0.0.0:9464 or [::]:9464), got "${s}"` });
});

export function parseListen(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
export const nameField = z
  .string()
  .regex(NAME, { error: 'use letters, digits and _ . : - (starting with a letter or digit)' });

/** The MCP revisions of the `initialize` handshake (legacy era), oldest first. */
export const LEGACY_PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const;
/** The MCP revisions negotiated with `server/discover` (modern era). */
export const MODERN_PROTOCOL_VERSIONS = ['2026-07-28'] as const;

/**
 * Which MCP protocol a target is spoken to with: `auto` (negotiated, remembered), `legacy` (the 2025 `initialize`
 * handshake only), `modern` (2026-07-28 and nothing else), or one exact revision.
 */
export const protocolSetting = z.string().superRefine((s, ctx) => {
  if (s === 'auto' || s === 'legacy' || s === 'modern') return;
  const known: readonly string[] = [...LEGACY_PROTOCOL_VERSIONS, ...MODERN_PROTOCOL_VERSIONS];
  if (known.includes(s)) return;
  ctx.addIssue({
    code: 'custom',
    message: `expected auto, legacy, modern or a protocol version (${known.join(', ')}), got "${s}"`,
  });
});
