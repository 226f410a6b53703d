import { z } from 'zod';
import { headers, regex } from '../../config/fields.js';
import { keyField, scheduleFields } from '../fields.js';

export const schema = z.strictObject({
  ...scheduleFields,
  type: z.literal('http'),
  path: z.string().startsWith('/', { error: 'must start with /' }).default('/'),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: headers.default({}),
  body: z.string().optional(),
  auth: z.boolean().default(true),
  /** With auth: send this named key of the target (targets.NAME.keys) instead of its apiKey. */
  key: keyField,
  maxBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  expect: z
    .strictObject({
      status: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
      contains: z.string().optional(),
      matches: regex.optional(),
    })
    .prefault({}),
});

export type HttpProbeConfig = z.output<typeof schema>;
