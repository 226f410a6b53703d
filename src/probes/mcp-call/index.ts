// The mcp_call probe type: initialize + tools/call through the gateway, the tool's result checked.
import { lazyRun, type ProbeTypeDef } from '../probe-type.js';
import { serverOf } from '../tool-servers.js';
import type { CallProbeDetails } from './details.js';
import { format } from './format.js';
import { schema } from './schema.js';

export const mcpCall = {
  schema,
  run: lazyRun(() => import('./run.js')),
  ownHeaders: (spec) => spec.headers,
  format,
  /** About the server of the tool it calls; the others it asked for are context. */
  subject(spec) {
    if (!spec.tool) return undefined;
    const requested = [...(spec.servers ?? [])];
    const server = serverOf(spec.tool, requested);
    return { servers: [server], others: requested.filter((s) => s !== server), guard: false };
  },
} satisfies ProbeTypeDef<typeof schema, CallProbeDetails>;
