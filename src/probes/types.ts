import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Target } from '../config/parse.js';
import type { AuthCheck, ProbeConfig, ProbeType } from '../config/schema.js';
import type { Redactor } from '../util/redact.js';

export type { ProbeType } from '../config/schema.js';

/**
 * How a run ended. `internal_error` (an addition to the contract's list) is mcpwatch's own
 * probe code failing: a bug to report, not a finding about the gateway.
 */
export const OUTCOMES = [
  'ok',
  'timeout',
  'connect_error',
  'tls_error',
  'http_error',
  'auth_rejected',
  'auth_not_enforced',
  'protocol_error',
  'tool_error',
  'expectation_failed',
  'internal_error',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const PHASES = ['connect', 'initialize', 'list_tools', 'call_tool', 'http'] as const;
export type Phase = (typeof PHASES)[number];

/** What a probe function returns: an outcome and a reason a person can act on. */
export interface ProbeOutput {
  outcome: Outcome;
  reason: string;
  /** Type-specific facts (status code, tool counts, catalog changes, auth checks). */
  details?: Record<string, unknown>;
}

export interface Step {
  /** Milliseconds since the run started. */
  t: number;
  msg: string;
  data?: Record<string, unknown>;
}

export type Trigger = 'schedule' | 'manual' | 'cli';

export interface ProbeResult extends ProbeOutput {
  probe: string;
  type: ProbeType;
  target: string;
  success: boolean;
  trigger: Trigger;
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  /** Milliseconds per phase. */
  phases: Partial<Record<Phase, number>>;
  /** The run's step-by-step log (what was sent, masked; what came back). */
  steps: Step[];
}

/** Times the phases of one run; `current` names the phase a timeout interrupted. */
export interface PhaseClock {
  readonly current: Phase | undefined;
  /** The phase started last, still set after it ended: the one a failure caught later happened in. */
  readonly last: Phase | undefined;
  start(phase: Phase): void;
  end(): void;
  add(phase: Phase, ms: number): void;
  run<T>(phase: Phase, fn: () => Promise<T>): Promise<T>;
  snapshot(): Partial<Record<Phase, number>>;
}

export interface ProbeContext {
  /** Aborted on timeout or shutdown; every request of the run must honour it. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly target: Target;
  readonly phases: PhaseClock;
  /** A dispatcher made for this run (TLS options of the target, connect timing); closed after it. */
  readonly dispatcher: Dispatcher;
  readonly redactor: Redactor;
  /**
   * What this probe keeps between its runs (e.g. the last catalog), by probe name; it survives
   * config reloads. Empty for one-off runs (`mcpwatch probe`).
   */
  readonly state: Record<string, unknown>;
  /** Announces auth_guard requests to the log correlator (origin="probe"); absent in one-off runs. */
  readonly guard?: { begin(check: AuthCheck): { query: string; end(): void } };
  /** Adds a line to the run's step log (shown by `mcpwatch probe` and `/probe?debug=true`). */
  step(msg: string, data?: Record<string, unknown>): void;
}

export type ProbeFn<P extends ProbeConfig = ProbeConfig> = (spec: P, ctx: ProbeContext) => Promise<ProbeOutput>;
