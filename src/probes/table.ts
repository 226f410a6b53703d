import type { ProbeConfig, ProbeType } from '../config/schema.js';
import { authGuardProbe } from './auth-guard.js';
import { clientConfigProbe } from './client-config.js';
import { httpProbe } from './http.js';
import { mcpCallProbe } from './mcp-call.js';
import { mcpCatalogProbe } from './mcp-catalog.js';
import type { ProbeFn } from './types.js';

type ProbeTable = { [K in ProbeType]: ProbeFn<Extract<ProbeConfig, { type: K }>> };

/** One probe function per type. */
export const PROBES = {
  http: httpProbe,
  mcp_catalog: mcpCatalogProbe,
  mcp_call: mcpCallProbe,
  auth_guard: authGuardProbe,
  client_config: clientConfigProbe,
} satisfies ProbeTable;

/**
 * The probe function for a type, taking any spec: the table is keyed by type, which TypeScript
 * cannot relate to the spec's own type by itself (undefined for a type this build lacks).
 */
export function probeFnOf(type: ProbeType): ProbeFn | undefined {
  return (PROBES as Partial<Record<ProbeType, unknown>>)[type] as ProbeFn | undefined;
}
