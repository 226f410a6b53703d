import { z } from 'zod';
import { regex } from '../../config/fields.js';
import { mcpFields } from '../fields.js';

export const schema = z.strictObject({
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

export type McpCallProbeConfig = z.output<typeof schema>;
