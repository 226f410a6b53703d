// The series an mcp_catalog probe records from its catalog: tools per server, each server up or down and
// why, expected tools, changes, and the gateway's own health of each server.
import { defineSeries, type FamilyPorts, type SeriesLabels } from '../probe-type.js';
import { CATALOG_CHANGE_KINDS, type ToolChanges } from '../types.js';
import type { CatalogDetails, CatalogProbeDetails, CatalogSummary } from './details.js';
import { kindsOf } from './diff.js';
import { countNameProblems, TOOL_NAME_PROBLEMS } from './names.js';

const families = {
  catalogTools: {
    kind: 'gauge',
    name: 'mcp_catalog_tools',
    help: 'Tools in the catalog per server prefix, from the last successful tools/list.',
    labels: ['server'],
  },
  catalogServerUp: {
    kind: 'gauge',
    name: 'mcp_catalog_server_up',
    help:
      'Whether the upstream server listed its tools in the last catalog run (1) or not (0): every server in ' +
      'servers, and every server the gateway reported on.',
    labels: ['server'],
  },
  catalogServerFailures: {
    kind: 'counter',
    name: 'mcp_catalog_server_failures_total',
    help:
      'Catalog runs in which the upstream server did not list its tools, by reason ' +
      "(the gateway's per-server outcome where it reports one, else derived).",
    labels: ['server', 'reason'],
  },
  gatewayServerHealthy: {
    kind: 'gauge',
    name: 'mcp_gateway_server_healthy',
    help:
      "What the gateway's own MCP health endpoint (LiteLLM GET /v1/mcp/server/health) says of the server " +
      '(1 healthy, 0 not), for probes with gatewayHealth: true.',
    labels: ['server'],
  },
  gatewayHealthMismatch: {
    kind: 'gauge',
    name: 'mcp_gateway_health_mismatch',
    help:
      "1 when the gateway's own health of the server disagrees with what the catalog showed " +
      '(healthy but listed nothing, or the reverse).',
    labels: ['server'],
  },
  catalogToolPresent: {
    kind: 'gauge',
    name: 'mcp_catalog_tool_present',
    help: 'Whether each expected tool was present in the last catalog (1) or not (0).',
    labels: ['tool'],
  },
  catalogChanges: {
    kind: 'counter',
    name: 'mcp_catalog_changes_total',
    help:
      'Catalog runs that found a change of this kind since the last catalog that showed the server up (a server ' +
      'down and back is no change): added, removed, input_schema, output_schema, description (or title), annotations.',
    labels: ['change'],
  },
  pinnedDrift: {
    kind: 'gauge',
    name: 'mcp_catalog_pinned_drift',
    help:
      'expect.pinned: 1 while the catalog differs from its pin (until mcpwatch accept-catalog takes the change), ' +
      '0 when it is the pinned one.',
    labels: [],
  },
  toolNameProblems: {
    kind: 'gauge',
    name: 'mcp_catalog_tool_name_problems',
    help:
      'Listed tools whose names clients refuse, by problem: too_long (over 64 characters: OpenAI, Gemini, Bedrock), ' +
      "invalid_chars (outside the MCP spec's [A-Za-z0-9_.-]).",
    labels: ['problem'],
  },
} as const;

type Ports = FamilyPorts<typeof families>;

/** The label values one probe has set, so that they can be removed again. */
interface CatalogSeries {
  servers: Set<string>;
  tools: Set<string>;
  /** Upstream servers with an mcp_catalog_server_up series. */
  upstreams: Set<string>;
  /** Servers with mcp_gateway_server_healthy (and maybe mcp_gateway_health_mismatch) series. */
  healthServers: Set<string>;
  /** "server\0reason" of each mcp_catalog_server_failures_total series. */
  failureSeries: Set<string>;
}

export const series = defineSeries<CatalogProbeDetails, typeof families, CatalogSeries>({
  families,
  init: () => ({
    servers: new Set(),
    tools: new Set(),
    upstreams: new Set(),
    healthServers: new Set(),
    failureSeries: new Set(),
  }),
  declare(f, labels) {
    for (const change of CATALOG_CHANGE_KINDS) f.catalogChanges.inc({ ...labels, change }, 0);
  },
  record(f, labels, s, d) {
    if (!d || !('catalog' in d)) return;
    recordCatalog(f, labels, s, d);
    recordNamesAndPin(f, labels, d);
    recordServers(f, labels, s, d);
    recordGatewayHealth(f, labels, s, d);
  },
  forget(f, labels, s) {
    for (const server of s.servers) f.catalogTools.remove({ ...labels, server });
    for (const tool of s.tools) f.catalogToolPresent.remove({ ...labels, tool });
    for (const server of s.upstreams) f.catalogServerUp.remove({ ...labels, server });
    for (const server of s.healthServers) {
      f.gatewayServerHealthy.remove({ ...labels, server });
      f.gatewayHealthMismatch.remove({ ...labels, server });
    }
    for (const key of s.failureSeries) {
      const [server, reason] = key.split('\u0000') as [string, string];
      f.catalogServerFailures.remove({ ...labels, server, reason });
    }
    for (const change of CATALOG_CHANGE_KINDS) f.catalogChanges.remove({ ...labels, change });
    f.pinnedDrift.remove(labels);
    for (const problem of TOOL_NAME_PROBLEMS) f.toolNameProblems.remove({ ...labels, problem });
  },
});

function recordCatalog(f: Ports, labels: SeriesLabels, s: CatalogSeries, d: CatalogDetails): void {
  const servers = new Set(Object.keys(d.catalog.toolsPerServer));
  for (const server of s.servers) if (!servers.has(server)) f.catalogTools.remove({ ...labels, server });
  for (const [server, n] of Object.entries(d.catalog.toolsPerServer)) f.catalogTools.set({ ...labels, server }, n);
  s.servers = servers;
  // Once per run and kind, however many tools changed so: the result names them.
  if (d.catalog.changed)
    for (const change of kindsOf(changesOf(d.catalog))) f.catalogChanges.inc({ ...labels, change });
  const expected = d.expectedTools;
  for (const tool of s.tools) if (!(tool in expected)) f.catalogToolPresent.remove({ ...labels, tool });
  for (const [tool, present] of Object.entries(expected))
    f.catalogToolPresent.set({ ...labels, tool }, present ? 1 : 0);
  s.tools = new Set(Object.keys(expected));
}

/** Only a run that listed tools says anything of their names and of the pin: one that listed none leaves both. */
function recordNamesAndPin(f: Ports, labels: SeriesLabels, d: CatalogDetails): void {
  if (!d.toolNames) return;
  const counts = countNameProblems(d.toolNameProblems ?? {});
  for (const problem of TOOL_NAME_PROBLEMS) f.toolNameProblems.set({ ...labels, problem }, counts[problem]);
  // A pin that could not be read says nothing new either; a probe not pinned (or a one-off run) has no series.
  if (!d.pinned) f.pinnedDrift.remove(labels);
  else if (!('error' in d.pinned)) f.pinnedDrift.set(labels, d.pinned.drift ? 1 : 0);
}

function recordServers(f: Ports, labels: SeriesLabels, s: CatalogSeries, d: CatalogDetails): void {
  if (!d.servers) return;
  for (const server of s.upstreams) if (!(server in d.servers)) f.catalogServerUp.remove({ ...labels, server });
  for (const [server, st] of Object.entries(d.servers)) {
    f.catalogServerUp.set({ ...labels, server }, st.up ? 1 : 0);
    if (!st.up) {
      f.catalogServerFailures.inc({ ...labels, server, reason: st.reason });
      s.failureSeries.add(`${server}\u0000${st.reason}`);
    }
  }
  s.upstreams = new Set(Object.keys(d.servers));
}

/** A health check that could not be read leaves the last values: it says nothing new. */
function recordGatewayHealth(f: Ports, labels: SeriesLabels, s: CatalogSeries, d: CatalogDetails): void {
  if (!d.gatewayHealth || d.gatewayHealth.error) return;
  const health = d.gatewayHealth.servers;
  for (const server of s.healthServers) {
    if (!(server in health)) f.gatewayServerHealthy.remove({ ...labels, server });
    if (health[server]?.mismatch === undefined) f.gatewayHealthMismatch.remove({ ...labels, server });
  }
  for (const [server, h] of Object.entries(health)) {
    f.gatewayServerHealthy.set({ ...labels, server }, h.healthy ? 1 : 0);
    if (h.mismatch !== undefined) f.gatewayHealthMismatch.set({ ...labels, server }, h.mismatch ? 1 : 0);
  }
  s.healthServers = new Set(Object.keys(health));
}

/** A catalog's changes by tool; a summary without them (made by hand) from its lists. */
function changesOf(c: CatalogSummary): ToolChanges {
  if (c.changes) return c.changes;
  const out: ToolChanges = {};
  for (const t of c.changedSchemas) out[t] = ['input_schema'];
  for (const t of c.added) out[t] = ['added'];
  for (const t of c.removed) out[t] = ['removed'];
  return out;
}
