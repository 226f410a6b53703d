import { z } from 'zod';
import { mcpFields } from '../fields.js';

export const AUTH_CHECKS = ['no_key', 'no_bearer_prefix', 'wrong_key', 'no_sso_token', 'out_of_scope'] as const;
export type AuthCheck = (typeof AUTH_CHECKS)[number];

export const schema = z.strictObject({
  ...mcpFields,
  type: z.literal('auth_guard'),
  /** Requests that must be rejected. */
  checks: z
    .array(z.enum(AUTH_CHECKS))
    .min(1)
    .default([...AUTH_CHECKS]),
  /**
   * The out_of_scope check: a tools/call with one of the target's named keys (never its own) to a tool outside that
   * key's grant, which the gateway must refuse.
   */
  outOfScope: z
    .strictObject({
      /** A name under the target's `keys`. */
      key: z.string().min(1),
      /** The tool's full name as the gateway lists it (`mcp_postgres-execute_sql`). */
      tool: z.string().min(1),
      arguments: z.record(z.string(), z.unknown()).default({}),
    })
    .optional(),
  /** Also check that the real key is accepted (a guard that rejects everything is no guard). */
  validKey: z.boolean().default(true),
});

export type AuthGuardProbeConfig = z.output<typeof schema>;
