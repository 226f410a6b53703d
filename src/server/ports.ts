import type { MonitoringSource } from '../mcp-tools/port.js';
import type { ProbeResult } from '../probes/types.js';
import type { HealthReport } from '../runtime/health-view.js';
import type { ReloadResult } from '../runtime/reload-plan.js';
import type { StatusDocument } from '../runtime/status-view.js';
import type { Logger } from '../util/logger.js';
import type { Redactor } from '../util/redact.js';

/** What the HTTP layer needs from the running agent; tests pass a fake. */
export interface AgentPort extends MonitoringSource {
  readonly redactor: Redactor;
  health(): HealthReport;
  status(): StatusDocument;
  probeNames(): string[];
  runProbe(name: string): Promise<ProbeResult>;
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
