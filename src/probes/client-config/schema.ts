import { z } from 'zod';
import { mcpFields, scheduleFields } from '../fields.js';

export const schema = z.strictObject({
  ...scheduleFields,
  type: z.literal('client_config'),
  /** A client's own config file (Codex config.toml, VS Code mcp.json, mcpServers JSON, an Open WebUI env file). */
  file: z.string().min(1),
  /** A file that may appear later: its absence is a warning of the config, not a problem (a run still fails). */
  optional: z.boolean().optional(),
  /** The entry's name in that file. */
  server: z.string().min(1),
  /** Also send the entry's own request (initialize + tools/list) as the client would. */
  live: z.boolean().default(true),
  maxResponseBytes: mcpFields.maxResponseBytes,
});

export type ClientConfigProbeConfig = z.output<typeof schema>;
