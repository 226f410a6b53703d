// What an mcp_catalog probe reports about its run (`details` of its result).
import type { ProtocolFacts, RejectionDetails, ServerOutcomes, ServerState } from '../types.js';

/**
 * What changed in the servers that are up, each against the last catalog that showed it up (a server down, or
 * up for the first time after the probe knew it only down, changes nothing; a server new at the gateway adds
 * its tools).
 */
export interface CatalogDiff {
  changed: boolean;
  added: string[];
  removed: string[];
  changedSchemas: string[];
}

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
