// Every probe type, once. The config's union of probe schemas, the recorder's families, the CLI's lines,
// the status view, the report and the log correlation derive from this table: a new probe type is a folder
// (src/probes/<type>/, see CONTRIBUTING.md) and one line here.
import { z } from 'zod';
import { authGuard } from './auth-guard/index.js';
import { clientConfig } from './client-config/index.js';
import { http } from './http/index.js';
import { mcpCall } from './mcp-call/index.js';
import { mcpCatalog } from './mcp-catalog/index.js';
import type { ProbeTypeDef, ResultOf } from './probe-type.js';

export const PROBE_TABLE = {
  http,
  mcp_catalog: mcpCatalog,
  mcp_call: mcpCall,
  auth_guard: authGuard,
  client_config: clientConfig,
} as const;

type Table = typeof PROBE_TABLE;

/** A probe type's name, as the config's `type` writes it. */
export type ProbeType = keyof Table;

/** Each entry's key is the literal of its schema's `type`, so a config's type always finds its entry. */
type Keyed = { [K in ProbeType]: z.output<Table[K]['schema']>['type'] extends K ? Table[K] : never };
PROBE_TABLE satisfies Keyed;

/** The types' names, in table order. */
export const PROBE_TYPES = Object.keys(PROBE_TABLE) as ProbeType[];

type SchemaOf<K extends ProbeType> = Table[K]['schema'];
type DetailsOf<K extends ProbeType> = NonNullable<Awaited<ReturnType<Table[K]['run']>>['details']>;

/** One probe of the config, as its type's schema gives it. */
export type ProbeConfig = { [K in ProbeType]: z.output<SchemaOf<K>> }[ProbeType];

/** The details each type's results carry. */
export type DetailsByType = { [K in ProbeType]: DetailsOf<K> };

/** The details of any probe type's result. */
export type ProbeDetails = DetailsByType[ProbeType];

/** One run of a probe; `details` is typed by `type`: readers switch on it, or ask the table. */
export type ProbeResult = { [K in ProbeType]: ResultOf<DetailsByType[K]> & { type: K } }[ProbeType];

/** The config's probe entry: one of the types' schemas, chosen by `type`. */
export const probeSchema = z.discriminatedUnion(
  'type',
  Object.values(PROBE_TABLE).map((t) => t.schema) as unknown as [SchemaOf<ProbeType>, ...SchemaOf<ProbeType>[]],
);

/** Any type's definition, for the code that handles every type alike (a spec and a result of the same type). */
export type AnyProbeTypeDef = ProbeTypeDef<z.ZodType<ProbeConfig>, ProbeDetails>;

/** The definition of a type, or undefined for a name this build does not know. */
export function probeTypeOf(type: string): AnyProbeTypeDef | undefined {
  return Object.hasOwn(PROBE_TABLE, type) ? (PROBE_TABLE[type as ProbeType] as unknown as AnyProbeTypeDef) : undefined;
}

/** Loads every type's run ahead of its first use (the agent, at start: the one-off commands load what they run). */
export async function preloadProbeRuns(): Promise<void> {
  await Promise.all(Object.values(PROBE_TABLE).map((t) => t.run.preload()));
}
