import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { formatDuration } from '../config/duration.js';
import type { Target } from '../config/target.js';
import type { Redactor } from '../util/redact.js';
import type { AuthCheck } from './auth-guard/schema.js';

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

// ---- What several probe types report (`details`; each type's own are in its folder's details.ts) ----

/** Any MCP probe whose request the gateway answered with an HTTP error. */
export interface RejectionDetails {
  status: number;
  /** An excerpt of the answer's body. */
  body?: string;
  /** A 401's challenge (`Bearer resource_metadata="…"`), which OAuth discovery starts from. */
  wwwAuthenticate?: string;
  /** What the run spoke, when it got that far. */
  protocol?: ProtocolFacts;
}

/**
 * What LiteLLM 1.108+ reports per upstream server in `_meta["litellm.ai/server_outcomes"]` (e.g. ok, internal,
 * unreachable, forbidden).
 */
export type ServerOutcomes = Record<string, { status?: string; tool_count?: number; http_status?: number }>;

/** Why an upstream server did not list its tools (`mcp_catalog_server_failures_total{reason}`). */
export const SERVER_FAILURE_REASONS = [
  'no_tools',
  'auth_required',
  'forbidden',
  'rate_limited',
  'timeout',
  'unreachable',
  'upstream_error',
  'internal',
  'missing',
] as const;
export type ServerFailureReason = (typeof SERVER_FAILURE_REASONS)[number];

/** One upstream server in one catalog run: up (it listed its tools), or down with a reason. */
export type ServerState =
  | { up: true; tools: number }
  | {
      up: false;
      tools: number;
      reason: ServerFailureReason;
      /** What the gateway said about it (its status and HTTP status), when it said something. */
      said?: string;
    };

/** Details a ProbeFailure can carry: it is thrown from deep inside a probe, with its type's details. */
export type FailureDetails = object;

// ---- Results ----

/** What a probe function returns: an outcome and a reason a person can act on. */
export interface ProbeOutput<D = object> {
  outcome: Outcome;
  reason: string;
  /** The details of this probe type (its folder's details.ts). */
  details?: D;
}

export interface Step {
  /** Milliseconds since the run started. */
  t: number;
  msg: string;
  data?: Record<string, unknown>;
}

export type Trigger = 'schedule' | 'manual' | 'cli';

/** What the run's TLS connection showed of the server (https targets). Times are epoch ms. */
export interface TlsFacts {
  /** `TLSv1.3`, `TLSv1.2`. */
  version: string;
  /** The leaf certificate's subject and issuer, one line each. */
  subject: string;
  issuer: string;
  /** The leaf certificate's notAfter. */
  notAfter: number;
  /** The earliest notAfter in the chain (the leaf's, or an intermediate's or root's), and whose. */
  earliestNotAfter: number;
  earliestSubject: string;
  chainLength: number;
  /** Whether the chain was verified (false only with tls.insecureSkipVerify). */
  authorized: boolean;
}

/** How one token request ended (`mcp_oauth_token_requests_total{outcome}`). */
export type TokenRequestOutcome = 'ok' | 'rejected' | 'error';

/** One request to the token endpoint, as the run made it (never the secret or the token). */
export interface TokenRequestFact {
  /** Epoch ms. */
  at: number;
  durationMs: number;
  outcome: TokenRequestOutcome;
  /** Why a token was asked for: none yet, the cached one (nearly) expired, or it drew a 401. */
  why: 'first' | 'expiring' | 'unauthorized';
  status?: number;
  /** The endpoint's OAuth error code (`invalid_client`, `unauthorized_client`, …) when it refused. */
  error?: string;
}

/** What a run did about the OAuth 2.0 token of its target (targets with `oauth2`). */
export interface OAuthFacts {
  /** The token endpoint (configured, or discovered; unset until known). */
  tokenEndpoint?: string;
  grant: 'client_credentials';
  clientId: string;
  authMethod: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  scopes: string[];
  /** Where the run's token came from: the target's cache, a request of this run, or nowhere. */
  token: 'cached' | 'requested' | 'none';
  /** When the token the run used expires (epoch ms), when known. */
  expiresAt?: number;
  requests: TokenRequestFact[];
  /** Discovery (no tokenUrl): where the endpoint was found. */
  discovery?: { resourceMetadata?: string; authorizationServer: string };
}

/**
 * The gateway's own log about a failed run (when mcpwatch follows the gateway's container): the
 * records of the run's window about the server it concerns, or the gateway's errors, masked.
 */
export interface GatewayLog {
  /** The window searched (ISO times): from shortly before the run to shortly after it. */
  from: string;
  to: string;
  containers: string[];
  /** The servers the records were chosen for. */
  about: string[];
  /**
   * Oldest first; a record logged again in the window (same text but for its time) is shown once, with how often it
   * came again.
   */
  records: Array<{
    container: string;
    at: string;
    stream: 'stdout' | 'stderr';
    text: string;
    repeats?: number;
    lastAt?: string;
  }>;
  /** Relevant records left out (the most relevant and newest are shown). */
  omitted?: number;
  /** Why part of the window may be missing (not followed, dropped, Docker unreadable). */
  incomplete?: string[];
}

/** What every result holds, whatever its type (the table adds `type` and `details`: see table.ts). */
export interface ResultBase {
  probe: string;
  target: string;
  outcome: Outcome;
  reason: string;
  success: boolean;
  trigger: Trigger;
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  /** Milliseconds per phase. */
  phases: Partial<Record<Phase, number>>;
  /**
   * The run's step-by-step log (what was sent, masked; what came back); empty for scheduled runs (nothing shows
   * theirs).
   */
  steps: Step[];
  /** A failed run: what the gateway logged about it. */
  gatewayLog?: GatewayLog;
  /** https targets: what the TLS connection showed (the first connection of the run). */
  tls?: TlsFacts;
  /** Targets with oauth2: the token the run used and the requests it made for one. */
  oauth?: OAuthFacts;
}

// ---- What a probe keeps between runs ----

/**
 * What changed in one tool between two catalogs: it came or went, or a field it is compared on changed (`description`
 * covers its title too).
 */
export const CATALOG_CHANGE_KINDS = [
  'added',
  'removed',
  'input_schema',
  'output_schema',
  'description',
  'annotations',
] as const;
export type CatalogChangeKind = (typeof CATALOG_CHANGE_KINDS)[number];

/**
 * One tool as remembered: a short hash of each field it is compared on. A field a print lacks (one taken before that
 * field was compared) is not compared.
 */
export interface ToolPrint {
  /** `inputSchema`. */
  input?: string;
  /** `outputSchema`. */
  output?: string;
  /** `description` and `title`: the text a model or a person reads. */
  description?: string;
  annotations?: string;
}

/** A tool as remembered: its print, or its input schema's hash (as kept before more fields were compared). */
export type RememberedTool = ToolPrint | string;

/** A catalog as mcpwatch remembers it between runs: each tool's print. */
export interface CatalogSnapshot {
  fingerprint: string;
  tools: Record<string, RememberedTool>;
  at: number;
}

/** One server's part of a catalog: its tools' prints, as seen at `at` (none: known only down so far). */
export interface ServerCatalog {
  tools?: Record<string, RememberedTool>;
  at: number;
}

/** Each tool that changed, and how (kinds in CATALOG_CHANGE_KINDS order). */
export type ToolChanges = Record<string, CatalogChangeKind[]>;

/** The catalog an mcp_catalog probe saw last, and each server's baseline for what counts as a change. */
export interface CatalogMemory {
  /** The whole catalog of the last run that listed one (servers down or not): what /status shows. */
  snapshot?: CatalogSnapshot;
  tools?: string[];
  toolsPerServer?: Record<string, number>;
  /**
   * Per server, the last catalog seen with that server up: a change is counted against it, so tools missing
   * while their server is down are not removed, and their return is not added.
   */
  servers?: Record<string, ServerCatalog>;
  /** The last change seen (kept until the next one). */
  lastChange?: { at: number; added: string[]; removed: string[]; changedSchemas: string[]; changes?: ToolChanges };
  /**
   * The baselines were looked for in `stateDir` (agent runs): they are read once, at the first run after a start or
   * after a reload changed the probe.
   */
  restored?: boolean;
}

/** What a probe keeps between its runs, by probe name; it survives config reloads. */
export interface ProbeMemory {
  catalog?: CatalogMemory;
  /** The protocol its last run that got that far spoke (a change is logged and reported). */
  protocol?: ProtocolFacts;
}

// ---- The MCP protocol a run spoke ----

export type ProtocolEra = 'modern' | 'legacy';

/**
 * What an MCP run spoke (`details.protocol`): the era and revision, and how they were arrived at: `discover` (the
 * modern `server/discover`), `initialize` (the 2025 handshake: a legacy gateway, `protocol: legacy` or an exact legacy
 * revision) or `pinned` (`protocol: modern` or an exact modern revision).
 */
export interface ProtocolFacts {
  era: ProtocolEra;
  version: string;
  via: 'discover' | 'initialize' | 'pinned';
  /** The era came from the target's memory of an earlier negotiation (auto), not from a negotiation of this run. */
  remembered?: boolean;
  /** What the probe's previous run spoke, when it differs. */
  changedFrom?: { era: ProtocolEra; version: string };
}

/** An era negotiated for a target (`protocol: auto`), as its probes remember it. */
export interface RememberedProtocol {
  era: ProtocolEra;
  version: string;
  /** Epoch ms of the negotiation. */
  at: number;
}

/**
 * What the probes of each target (`protocol: auto`) remember of its negotiated era, shared by its probes and kept
 * between runs: a gateway known to be legacy is not sent a `server/discover` it refuses on every run.
 */
export interface ProtocolMemory {
  /** The era negotiated at most `maxAgeMs` ago, if any. */
  get(target: Target): RememberedProtocol | undefined;
  remember(target: Target, era: ProtocolEra, version: string): void;
  forget(target: Target): void;
}

// ---- What a probe gets ----

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

/** One announced guard request. */
export interface GuardRequest {
  /** The query parameter to add to the request URL (its marker). */
  query: string;
  /** The answer came: the request's log records are due from now until shortly after. */
  end(): void;
}

/**
 * Where auth_guard announces its requests, so the errors they provoke in the gateway's log are told apart
 * (origin="probe").
 */
export interface GuardAnnouncer {
  begin(check: AuthCheck): GuardRequest;
}

/** A run's access to its target's OAuth 2.0 token (targets with `oauth2`). */
export interface OAuthRun {
  /**
   * A token valid now (cached, or requested); undefined while the token endpoint is unknown (discovered from a 401).
   * Throws a ProbeFailure when the endpoint refuses or fails.
   */
  token(): Promise<string | undefined>;
  /**
   * After a 401 to a request that carried `sent` (or no token): a new token to try once more, or
   * undefined when another try would not help (the token was new, or already drew a 401).
   * `challenge` is the 401's WWW-Authenticate (discovery starts from it).
   */
  renew(sent: string | undefined, challenge: string | undefined): Promise<string | undefined>;
  /** What the run did (copied into the result). */
  readonly facts: OAuthFacts;
}

export interface ProbeContext {
  /** Aborted on timeout or shutdown; every request of the run must honour it. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly target: Target;
  readonly phases: PhaseClock;
  /**
   * A dispatcher made for this run (TLS options of the target, connect timing); closed after it. Made when first used.
   */
  readonly dispatcher: Dispatcher;
  /**
   * One request on a connection of its own (node:http; TLS options, connect timing and TLS facts as the dispatcher's);
   * what the run leaves open is closed after it.
   */
  readonly request: FreshRequest;
  readonly redactor: Redactor;
  /** What this probe keeps between its runs. Empty for one-off runs (`mcpwatch probe`). */
  readonly memory: ProbeMemory;
  /**
   * The agent's `stateDir`, for what a probe keeps across restarts (an mcp_catalog's baselines and its pin). Unset in
   * one-off runs (`mcpwatch probe`, the report), which keep nothing.
   */
  readonly stateDir?: string;
  /** Absent in one-off runs. */
  readonly guard?: GuardAnnouncer;
  /** Targets with oauth2: the SSO token (Authorization) the run sends besides the gateway key. */
  readonly oauth?: OAuthRun;
  /** The targets' negotiated eras (protocol: auto); unset: the process-wide memory (src/probes/mcp/eras.ts). */
  readonly protocols?: ProtocolMemory;
  /**
   * The servers the probe's target's `discover` lists now (its `exclude` left out): what the gateway has, as its main
   * key sees it. Unset when the target does not discover, before its first list, and in one-off runs.
   */
  readonly discovered?: readonly string[];
  /** Adds a line to the run's step log (shown by `mcpwatch probe` and `/probe?debug=true`). */
  step(msg: string, data?: Record<string, unknown>): void;
}

export interface FreshRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface FreshResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer> & { destroy(err?: Error): void };
}

export type FreshRequest = (url: string, init: FreshRequestInit) => Promise<FreshResponse>;

/** A probe type's run: its network work, and a typed result (`spec` is its config, `D` its details). */
export type ProbeFn<P, D = object> = (spec: P, ctx: ProbeContext) => Promise<ProbeOutput<D>>;

// ---- What a probe throws ----

/** A failure a probe raises on purpose, already classified. */
export class ProbeFailure extends Error {
  override name = 'ProbeFailure';
  constructor(
    readonly outcome: Outcome,
    reason: string,
    readonly details?: FailureDetails,
  ) {
    super(reason);
  }
}

/** Thrown into a run's signal when its time is up. */
export class ProbeTimeoutError extends Error {
  override name = 'ProbeTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`timeout after ${formatDuration(timeoutMs)}`);
  }
}

/** Thrown into a run's signal when mcpwatch is shutting down or reloading. */
export class ProbeCancelledError extends Error {
  override name = 'ProbeCancelledError';
}
