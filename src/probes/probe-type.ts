// What a probe type is: everything mcpwatch knows about one kind of probe, in its own folder
// (src/probes/<type>/index.ts), listed once in table.ts. The config, the scheduler, the recorder, the CLI,
// the status view, the report and the log correlation ask the table, never a type by name.
import type { z } from 'zod';
import type { TargetConfig } from '../config/target.js';
import type { ProbeFn, ResultBase } from './types.js';

/** Label values of one series. */
export type SeriesLabels = Readonly<Record<string, string>>;

/** A gauge family as a probe type writes it (the metrics layer owns the family itself). */
export interface GaugePort {
  set(labels: SeriesLabels, value: number): void;
  remove(labels: SeriesLabels): void;
}

/** A counter family as a probe type writes it. */
export interface CounterPort {
  /** Adds `by` (default 1; 0 creates the series at 0). */
  inc(labels: SeriesLabels, by?: number): void;
  remove(labels: SeriesLabels): void;
}

/** A metric family a probe type records: its name, help and the labels it adds to probe, target and type. */
export interface FamilyDef {
  kind: 'gauge' | 'counter';
  name: string;
  help: string;
  labels: readonly string[];
}

export type FamilyDefs = Readonly<Record<string, FamilyDef>>;

/** The families of a type, ready to write: a gauge or a counter each. */
export type FamilyPorts<F extends FamilyDefs> = {
  readonly [K in keyof F]: F[K]['kind'] extends 'gauge' ? GaugePort : CounterPort;
};

/**
 * The series a probe type records from its details, beside the ones every probe has. `State` is what one
 * probe keeps between results (the label values it set, so it can remove them again).
 */
export interface SeriesDef<D, F extends FamilyDefs, State> {
  readonly families: F;
  init(): State;
  /** A probe that is new to the config: the counters that start at 0. */
  declare?(f: FamilyPorts<F>, labels: SeriesLabels): void;
  /** One result's details (any of the type's, or none). */
  record(f: FamilyPorts<F>, labels: SeriesLabels, state: State, details: D | undefined): void;
  /** The probe left the config (or changed target or type): every series it set goes. */
  forget(f: FamilyPorts<F>, labels: SeriesLabels, state: State): void;
}

/** A problem a type's own cross-checks find, at a path below the probe (`[]` is the probe itself). */
export interface SpecProblem {
  at: PropertyKey[];
  message: string;
}

/**
 * A file a probe reads when it runs, at a path below the probe (`['file']`): the config's loader checks that it can
 * be read (a problem, or a warning when `optional`). `path` as the probe opens it (a relative one from the cwd).
 */
export interface ProbeFile {
  at: PropertyKey[];
  path: string;
  optional?: boolean;
}

/** What a failed run is about, for the gateway log's evidence (correlate/evidence.ts). */
export interface EvidenceSubject {
  /** The servers the run is about (a failing catalog's down servers, a call's tool's server). */
  servers: string[];
  /** Servers the run saw working: a record that names only these is not about this failure. */
  others: string[];
  /** Requests of mcpwatch's own auth guard are marked: their access lines are evidence for a guard run. */
  guard: boolean;
}

/**
 * What every type's details may carry besides its own: `key`, the name of the target's named key the probe ran as
 * (config `key`; set by the scheduler's run-result, never the key's value).
 */
export interface KeyedDetails {
  key?: string;
}

/** A result of one type: the common part, its details typed. */
export type ResultOf<D> = ResultBase & { details?: D & KeyedDetails };

/** A raw value of the config file, as written (before the schema). */
export type RawValue = Readonly<Record<string, unknown>>;

/**
 * One probe type. `S` is its config schema (zod, strict, with `type` a literal), `D` what its results carry
 * in `details`.
 */
export interface ProbeTypeDef<S extends z.ZodType<{ type: string; name: string; target: string }>, D extends object> {
  /** The config of one probe of this type; its refinements check what lies within the probe. */
  readonly schema: S;
  /**
   * Checks across the probe and its target, on the values as written (so they are reported even where the
   * schema fails elsewhere). `target` is undefined when the probe names no known target.
   */
  crossCheck?(probe: RawValue, target: RawValue | undefined): SpecProblem[];
  /** Settles what depends on the target (once the whole config is valid). */
  settle?(spec: z.output<S>, target: TargetConfig | undefined): z.output<S>;
  /** The network work of one run (loaded when first run: the config and the CLI need none of it). */
  readonly run: ProbeFn<z.output<S>, D>;
  /** The files its runs read, checked when the config is loaded (none when unset). */
  files?(spec: z.output<S>): ProbeFile[];
  /** Headers of the probe's own config (besides its target's): those that may carry a secret go to the redactor. */
  ownHeaders?(spec: z.output<S>): Readonly<Record<string, string>>;
  /** The series it records from its details; none beside every probe's when unset. */
  readonly series?: SeriesDef<D, FamilyDefs, unknown>;
  /** Its details as a person reads them, a line each (`mcpwatch probe`); unset or [] shows them as JSON. */
  format?(details: D): string[] | undefined;
  /** What a failed run is about (default: the servers the probe asked for). */
  subject?(spec: z.output<S>, result: ResultOf<D>): EvidenceSubject | undefined;
  /**
   * The upstream servers the run found down. The gateway log's errors about them belong to that outage, which
   * this probe already reports: they are counted apart (`cause="server_down"`) and raise no alert of their own.
   * Undefined when the run says nothing about its servers (it failed before it could tell).
   */
  serversDown?(result: ResultOf<D>): string[] | undefined;
  /** Its requests provoke auth errors in the gateway's log, which only the process that sent them tells apart. */
  readonly provokesAuthErrors?: boolean;
  /** Each run sends one request on a fresh connection of its own (no connection pool). */
  readonly freshConnection?: boolean;
  /** It reads the gateway's tool catalog and keeps it between runs (`/status` catalogs, the MCP tools). */
  readonly readsCatalog?: boolean;
  /**
   * It tests a client's own config file, not the gateway: /health lists its probes apart (a target's `clients`), and
   * a failing one never marks its target down.
   */
  readonly aboutClient?: boolean;
}

/** A type's series definition, with its state type kept: `defineSeries({...})` checks it whole. */
export function defineSeries<D, F extends FamilyDefs, State>(
  def: SeriesDef<D, F, State>,
): SeriesDef<D, FamilyDefs, unknown> {
  return def as unknown as SeriesDef<D, FamilyDefs, unknown>;
}

/** A run loaded on first use; `preload()` loads it ahead (the agent does at start, so a first run is not slower). */
export type LazyProbeFn<P, D> = ProbeFn<P, D> & { preload(): Promise<void> };

/** A run loaded on first use: a type's index.ts stays light (no MCP SDK, no undici) for the config and the CLI. */
export function lazyRun<P, D>(load: () => Promise<{ run: ProbeFn<P, D> }>): LazyProbeFn<P, D> {
  let loaded: Promise<ProbeFn<P, D>> | undefined;
  const get = (): Promise<ProbeFn<P, D>> => (loaded ??= load().then((m) => m.run));
  const run: ProbeFn<P, D> = async (spec, ctx) => (await get())(spec, ctx);
  return Object.assign(run, { preload: async (): Promise<void> => void (await get()) });
}
