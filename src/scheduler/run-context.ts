import type { Logger } from 'pino';
import type { Probe } from '../config/parse.js';
import { targetAs, type Target } from '../config/target.js';
import { runDispatcher } from '../probes/net/connections.js';
import { freshRequests } from '../probes/net/fresh-request.js';
import type { TokenSource } from '../probes/oauth/token-source.js';
import type {
  GuardAnnouncer,
  OAuthRun,
  PhaseClock,
  ProbeContext,
  ProbeMemory,
  ProtocolMemory,
  Step,
  TlsFacts,
} from '../probes/types.js';
import { settleWithin } from '../util/deadline.js';
import type { Redactor } from '../util/redact.js';

const MAX_STEPS = 200;
/** How long closing a run's connections may take before the run is reported anyway. */
const CLOSE_GRACE_MS = 1_000;

export interface RunDeps {
  target: Target;
  logger: Logger;
  redactor: Redactor;
  /** What the probe keeps between runs (ProbeContext.memory). */
  memory?: ProbeMemory;
  /** The agent's stateDir (ProbeContext.stateDir); unset in one-off runs. */
  stateDir?: string;
  guard?: GuardAnnouncer;
  /** The probe's own child logger, made once (the scheduler keeps it); else one is made per run. */
  probeLogger?: Logger;
  /** Targets with oauth2: their token, shared by the target's probes. */
  oauth?: TokenSource;
  /** The targets' negotiated MCP eras (ProbeContext.protocols). */
  protocols?: ProtocolMemory;
  /** The servers the target's discovery lists (ProbeContext.discovered). */
  discovered?: readonly string[];
}

/** What the run itself decided: its signal, clock and logger, and how it connects and logs its steps. */
export interface RunSetup {
  signal: AbortSignal;
  phases: PhaseClock;
  logger: Logger;
  /** performance.now() at the start of the run: steps are timed from it. */
  t0: number;
  keepSteps: boolean;
  /** The run connects afresh for its request: its dispatcher holds a single connection. */
  freshConnection: boolean;
}

/** A probe's context for one run, and what the run collects through it. */
export interface RunContext {
  ctx: ProbeContext;
  /** The run's step log (nothing unless `keepSteps`), unmasked. */
  steps: Step[];
  oauth: OAuthRun | undefined;
  /** What the run's first TLS connection showed, if it made one. */
  tls(): TlsFacts | undefined;
  /** Closes the run's connections. */
  close(): Promise<void>;
}

/** The context a probe runs in: its per-run connections (made when first used), its step log, its token. */
export function runContext(probe: Probe, deps: RunDeps, run: RunSetup): RunContext {
  const { signal, phases, logger } = run;
  // A probe with `key` runs as that named key of its target: every request sends it where the target's key would go.
  const target = targetAs(deps.target, 'key' in probe ? probe.key : undefined);
  let tls: TlsFacts | undefined;
  const onTls = (facts: TlsFacts): void => {
    tls ??= facts;
  };
  // Made when a probe first uses it: a plain http check sends its one request with `fresh`.
  let dispatcher: ReturnType<typeof runDispatcher> | undefined;
  const fresh = freshRequests(target, phases, onTls);
  const steps: Step[] = [];
  const step = stepLog(steps, run);
  const oauth = deps.oauth?.forRun({ signal, timeoutMs: probe.timeoutMs, redactor: deps.redactor, step });
  const ctx: ProbeContext = {
    signal,
    timeoutMs: probe.timeoutMs,
    logger,
    target,
    phases,
    get dispatcher() {
      return (dispatcher ??= runDispatcher(target, phases, probe.timeoutMs, run.freshConnection, onTls));
    },
    request: fresh.request,
    redactor: deps.redactor,
    memory: deps.memory ?? {},
    ...(deps.stateDir !== undefined && { stateDir: deps.stateDir }),
    ...(deps.guard && { guard: deps.guard }),
    ...(oauth && { oauth }),
    ...(deps.protocols && { protocols: deps.protocols }),
    ...(deps.discovered && { discovered: deps.discovered }),
    step,
  };
  const close = async (): Promise<void> => {
    fresh.close();
    if (dispatcher) await closeQuietly(dispatcher);
  };
  return { ctx, steps, oauth, tls: () => tls, close };
}

/** Each step goes to the debug log, and to the run's step log while it is kept and not full. */
function stepLog(steps: Step[], run: Pick<RunSetup, 'keepSteps' | 't0' | 'logger'>): ProbeContext['step'] {
  return (msg, data) => {
    if (run.keepSteps && steps.length < MAX_STEPS)
      steps.push({ t: Math.round(performance.now() - run.t0), msg, ...(data && { data }) });
    run.logger.debug(data ?? {}, msg);
  };
}

/** Closes the run's connections: gracefully (nothing is in flight by now), forcibly if that hangs. */
async function closeQuietly(dispatcher: { close(): Promise<void>; destroy(): Promise<void> }): Promise<void> {
  if ((await settleWithin(dispatcher.close(), CLOSE_GRACE_MS)) !== 'fulfilled')
    void dispatcher.destroy().catch(() => undefined);
}
