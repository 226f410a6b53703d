// What an mcp_catalog probe reports about its run (`details` of its result).
import type { ProtocolFacts, RejectionDetails, ServerOutcomes, ServerState, ToolChanges } from '../types.js';
import type { ToolNameProblem } from './names.js';

/**
 * What changed in the servers that are up, each against the last catalog that showed it up (a server down, or
 * up for the first time after the probe knew it only down, changes nothing; a server new at the gateway adds
 * its tools).
 */
export interface CatalogDiff {
  changed: boolean;
  added: string[];
  removed: string[];
  /** Tools whose input schema changed. */
  changedSchemas: string[];
  /**
   * Every tool that changed, and how: `added`, `removed`, `input_schema`, `output_schema`, `description`,
   * `annotations`. Every run sets it; a result without it (made by hand) has only the three lists above.
   */
  changes?: ToolChanges;
}

/**
 * `expect.pinned`: the catalog against its pin, the baseline kept in stateDir until a person accepts a change
 * (`mcpwatch accept-catalog`); or why the pin could not be read or written.
 */
export type PinnedState =
  | {
      /** When the pin was taken (ISO time). */
      since: string;
      /** The first catalog the probe saw, or one a person accepted. */
      how: 'first_catalog' | 'accepted';
      /** The catalog differs from the pin (of its servers that are up). */
      drift: boolean;
      /** What differs, tool by tool. */
      changes: ToolChanges;
    }
  | { error: string };

export interface CatalogSummary extends CatalogDiff {
  tools: number;
  /** Tools per server prefix. */
  toolsPerServer: Record<string, number>;
  /** Empty when there was no catalog (tools/list failed). */
  fingerprint: string;
}
/** mcp_catalog: the catalog, the expected tools, what the gateway said per server. */
export interface CatalogDetails {
  catalog: CatalogSummary;
  expectedTools: Record<string, boolean>;
  toolNames?: string[];
  serverOutcomes?: ServerOutcomes;
  /** Every server in `servers` and every server the gateway reported on or listed tools of. */
  servers?: Record<string, ServerState>;
  /** `gatewayHealth: true`: what the gateway's own health endpoint says, per server; or why it could not be read. */
  gatewayHealth?: { servers: Record<string, GatewayServerHealth>; error?: string };
  /** expect.pinned, in the agent's runs (one-off runs read no pin). */
  pinned?: PinnedState;
  /** Listed tools whose names clients refuse: over 64 characters, or characters outside the spec's. */
  toolNameProblems?: Record<string, ToolNameProblem[]>;
  /** What the run spoke. */
  protocol?: ProtocolFacts;
  /** The modern era: what server/discover said of the server. */
  discover?: {
    server?: { name: string; version?: string };
    supportedVersions: string[];
    capabilities: Record<string, unknown>;
  };
  /** The modern era: how long the server says its tools/list may be cached, and by whom (its first page). */
  listCache?: { ttlMs?: number; cacheScope?: string };
}

/** One server in LiteLLM's `GET /v1/mcp/server/health`, set against the catalog. */
export interface GatewayServerHealth {
  healthy: boolean;
  /** The gateway's word ("healthy", "unhealthy", "unknown"). */
  status: string;
  /** It disagrees with what the catalog showed (only for servers the catalog showed). */
  mismatch?: boolean;
}

/** Any detail a catalog run reports: the catalog, or the gateway's refusal. */
export type CatalogProbeDetails = CatalogDetails | RejectionDetails;
