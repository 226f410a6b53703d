import { z } from 'zod';
import { mcpFields } from '../fields.js';

export const schema = z.strictObject({
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
      /**
       * Servers the probe's key must not see (its grant leaves them out): one that lists a tool fails the run. With
       * `key`, this checks the gateway's per-key scoping.
       */
      serversAbsent: z.array(z.string().min(1)).default([]),
      /** Tools the probe's key must not see, by their full name (`mcp_postgres-execute_sql`). */
      toolsAbsent: z.array(z.string().min(1)).default([]),
      /**
       * The first catalog seen is kept (in stateDir) as the baseline: any change fails every run until a person
       * accepts it (`mcpwatch accept-catalog NAME`).
       */
      pinned: z.boolean().default(false),
    })
    .prefault({}),
});

export type McpCatalogProbeConfig = z.output<typeof schema>;
