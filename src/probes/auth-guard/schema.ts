import { z } from 'zod';
import { mcpFields } from '../fields.js';

export const AUTH_CHECKS = ['no_key', 'no_bearer_prefix', 'wrong_key', 'no_sso_token'] as const;
export type AuthCheck = (typeof AUTH_CHECKS)[number];

export const schema = z.strictObject({
  ...mcpFields,
  type: z.literal('auth_guard'),
  /** Requests that must be rejected. */
  checks: z
    .array(z.enum(AUTH_CHECKS))
    .min(1)
    .default([...AUTH_CHECKS]),
  /** Also check that the real key is accepted (a guard that rejects everything is no guard). */
  validKey: z.boolean().default(true),
});

export type AuthGuardProbeConfig = z.output<typeof schema>;
