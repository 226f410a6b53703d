import type { MonitoringSource } from '../mcp-tools/port.js';
import type { Format } from '../metrics/exposition.js';
import type { ProbeResult } from '../probes/table.js';
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
  /** Who may use any route, and whether `POST /-/reload` is served; read per request (a reload applies). */
  webAccess(): WebAccess;
  /** Whether the agent is ready (`/-/ready`): its config loaded and its scheduler running. */
  readiness(): Readiness;
  /**
   * Runs a probe on request (`/probe`): with `timeoutMs` when shorter than the probe's own, and at most once per
   * `reuseWithinMs` (a request within that gets the run in flight or the last one asked for; `reused` says so).
   */
  requestRun(name: string, req: ProbeRunRequest): Promise<ProbeRunAnswer>;
}

/** A run asked for over HTTP (`/probe`). */
export interface ProbeRunRequest {
  timeoutMs?: number;
  reuseWithinMs: number;
  /** Wait for a failed run's gateway log (the JSON answer); the metrics answer does not. */
  withGatewayLog: boolean;
}

/** The run that answers a request; `reused`: not a new one (`in_flight`: joined; `recent`: asked for just before). */
export interface ProbeRunAnswer {
  result: ProbeResult;
  reused?: 'in_flight' | 'recent';
}

/** The MCP endpoint's access rules (`mcpServer` in the config); Origin and Host are the whole server's (WebAccess). */
export interface McpAccess {
  /** Bearer token required on every request; undefined: none. */
  token?: string | undefined;
}

/** The HTTP server's access rules (`web` in the config, `--web.enable-lifecycle`). */
export interface WebAccess {
  /** Canonical origins (see util/origins); a request with any other Origin gets 403 (web-guard.ts). */
  allowedOrigins: readonly string[];
  /** Canonical hosts; when not empty, a request with any other Host gets 403 (loopback names always pass). */
  allowedHosts: readonly string[];
  /** `POST /-/reload` is served (`--web.enable-lifecycle` or `web.enableLifecycle`); else 403. */
  lifecycle: boolean;
}

/** Ready, or why not (`starting`: the scheduler has not started yet; `stopping`: shutting down). */
export type Readiness = { ready: true } | { ready: false; reason: 'starting' | 'stopping' };

/** What the app and each of its routes are built with. */
export interface AppDeps {
  agent: AgentPort;
  logger: Logger;
  /** How long an idle connection stays open (default CONNECTION_TIMEOUT_MS; tests shorten it). */
  connectionTimeoutMs?: number;
}
