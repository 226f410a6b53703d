// Config fields several probe types share: when a probe runs, and how an MCP probe talks to the gateway.
import { z } from 'zod';
import { cronExpr, duration, headers, nameField } from '../config/fields.js';

export const scheduleFields = {
  name: nameField,
  target: z.string().min(1),
  schedule: cronExpr.optional(),
  every: duration.optional(),
  timeout: duration.optional(),
};

/**
 * Run as one of the target's named keys (`targets.NAME.keys`) instead of its own apiKey: the gateway as that key
 * sees it. Only its name shows anywhere (the result's details, /status, mcp_probe_key_info).
 */
export const keyField = z.string().min(1).optional();

export const mcpFields = {
  ...scheduleFields,
  key: keyField,
  /** Sent as `x-mcp-servers`; omitted when empty (the gateway then uses its defaults). */
  servers: z.array(z.string().min(1)).default([]),
  /** Extra headers for this probe only, on top of the target's. */
  headers: headers.default({}),
  /**
   * Largest HTTP response (or SSE stream) read from the gateway, in bytes; a bigger one fails the
   * run as protocol_error and is not read further. Default 10 MiB.
   */
  maxResponseBytes: z
    .number()
    .int({ error: 'expected a whole number of bytes' })
    .min(1024)
    .max(256 * 1024 * 1024)
    .optional(),
};
