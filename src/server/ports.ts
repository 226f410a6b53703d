import type { MonitoringSource } from '../mcp-tools/port.js';
import type { Format } from '../metrics/exposition.js';
import type { ReloadResult } from '../runtime/reload-plan.js';
import type { Logger } from '../util/logger.js';

/**
 * What the HTTP layer needs from the running agent (tests pass a fake): what the MCP tools read
 * (health, status, probes, runs, the redactor), and reloads, scrapes and the MCP endpoint's access rules.
 */
export interface AgentPort extends MonitoringSource {
  reload(): Promise<ReloadResult>;
  /** The metrics in the Prometheus text format or OpenMetrics, gauges read at scrape time refreshed. */
  scrape(format: Format): Promise<Buffer | string>;
  /** Who may use the MCP endpoint, read per request (a reload applies); null: the endpoint is off. */
  mcpAccess(): McpAccess | null;
}

/** The MCP endpoint's access rules (`mcpServer` in the config). */
export interface McpAccess {
  /** Bearer token required on every request; undefined: none. */
  token?: string | undefined;
  /** Canonical origins (see util/origins); a request with any other Origin gets 403. */
  allowedOrigins: readonly string[];
  /** Canonical hosts; when not empty, a request with any other Host gets 403. */
  allowedHosts: readonly string[];
}

/** What the app and each of its routes are built with. */
export interface AppDeps {
  agent: AgentPort;
  logger: Logger;
  /** How long an idle connection stays open (default CONNECTION_TIMEOUT_MS; tests shorten it). */
  connectionTimeoutMs?: number;
}
