import type { MonitoringSource } from '../mcp-tools/port.js';
import type { ReloadResult } from '../runtime/reload-plan.js';
import type { Logger } from '../util/logger.js';

/**
 * What the HTTP layer needs from the running agent (tests pass a fake): what the MCP tools read
 * (health, status, probes, runs, the redactor), and reloads, scrapes and the MCP endpoint's token.
 */
export interface AgentPort extends MonitoringSource {
  reload(): Promise<ReloadResult>;
  /** The metrics in Prometheus text format, gauges read at scrape time refreshed. */
  scrape(): Promise<string>;
  /** The MCP endpoint's token, read per request (a reload applies); undefined: no auth; null: the endpoint is off. */
  mcpToken(): string | undefined | null;
}

/** What the app and each of its routes are built with. */
export interface AppDeps {
  agent: AgentPort;
  logger: Logger;
}
