// The mcp_catalog probe type: initialize + tools/list through the gateway, the catalog checked, each
// upstream server's state, drift from the last catalog tool by tool (kept in stateDir), the pin (expect.pinned),
// tool names clients refuse; optionally the gateway's own MCP health.
import { lazyRun, type ProbeTypeDef } from '../probe-type.js';
import type { CatalogProbeDetails } from './details.js';
import { format } from './format.js';
import { schema } from './schema.js';
import { series } from './series.js';

export const mcpCatalog = {
  schema,
  run: lazyRun(() => import('./run.js')),
  ownHeaders: (spec) => spec.headers,
  series,
  format,
  subject(_spec, result) {
    const d = result.details;
    if (!d || !('catalog' in d) || !d.servers) return undefined;
    const states = Object.entries(d.servers);
    const down = states.filter(([, s]) => !s.up).map(([n]) => n);
    const up = states.filter(([, s]) => s.up).map(([n]) => n);
    // A run that failed with every server up (a missing tool, a changed catalog) is about them all.
    return { servers: down.length ? down : up, others: down.length ? up : [], guard: false };
  },
  serversDown(result) {
    const servers = result.details && 'catalog' in result.details ? result.details.servers : undefined;
    if (!servers) return undefined;
    return Object.entries(servers)
      .filter(([, s]) => !s.up)
      .map(([n]) => n);
  },
  readsCatalog: true,
} satisfies ProbeTypeDef<typeof schema, CatalogProbeDetails>;
