import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { parseConfig, type Config, type Probe } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import { secretsOf } from '../../src/config/secrets.js';
import { createPhaseClock } from '../../src/probes/net/phases.js';
import { probeTypeOf, type ProbeType } from '../../src/probes/table.js';
import {
  ProbeFailure,
  ProbeTimeoutError,
  type GuardAnnouncer,
  type Phase,
  type ProbeContext,
  type ProbeMemory,
  type Step,
} from '../../src/probes/types.js';
import { runContext } from '../../src/scheduler/run-context.js';
import { Redactor } from '../../src/util/redact.js';
import { TestHttpServer } from './http-server.js';

// One probe run, in the context the scheduler gives it (runContext), against a gateway a test started:
// for tests of a probe type's own run() (or of a part of it that takes the run's context).

export const silentLogger = pino({ level: 'silent' });

/** A probe of the config of type T, as its type's run() takes it. */
export type ProbeOf<T extends ProbeType> = Extract<Probe, { type: T }>;

/**
 * A config of one target, gw, at `url` with `key` (`targetMore` is written inside its braces, after the key),
 * and the probes given, each a YAML flow map.
 */
export function gatewayConfig(url: string, key: string, probes: string[] = [], targetMore = ''): Config {
  const r = parseConfig(
    `targets:\n  gw: { url: "${url}", apiKey: ${key}${targetMore} }\n` +
      (probes.length > 0 ? `probes:\n${probes.map((p) => `  - ${p}\n`).join('')}` : ''),
    {},
  );
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.config;
}

/** Where a run goes, and what the scheduler would hand it besides. */
export interface RunAt {
  /** The gateway's URL (target gw). */
  url: string;
  /** Target gw's apiKey. */
  key: string;
  /** The config's one probe, a YAML flow map with `target: gw`. */
  probe: string;
  /** Written into target gw's braces after the key (e.g. `, apiKeyHeader: x-litellm-api-key`). */
  targetMore?: string;
  /** What the probe kept from its previous runs. */
  memory?: ProbeMemory;
  /** The agent's stateDir (unset: a one-off run's context). */
  stateDir?: string;
  guard?: GuardAnnouncer;
}

/** What one run gave, and what it left in its context. */
export interface Ran<R> {
  out: R;
  /** The run's step log (unmasked). */
  steps: Step[];
  /** The steps' messages. */
  msgs: string[];
  /** Time per phase. */
  phases: Partial<Record<Phase, number>>;
  /** The run's redactor: the config's secrets, and what the run added. */
  redactor: Redactor;
}

/**
 * Runs `body` (a type's run(), or a part of it) once on the config's one probe, of type `type`, in the context
 * the scheduler gives it: the config's secrets masked, steps kept, a fresh connection if the type asks for one,
 * and a signal that aborts with a ProbeTimeoutError when the probe's timeout is up; its connections closed after.
 */
export async function runProbeOnce<T extends ProbeType, R>(
  type: T,
  body: (spec: ProbeOf<T>, ctx: ProbeContext) => Promise<R>,
  at: RunAt,
): Promise<Ran<R>> {
  const c = gatewayConfig(at.url, at.key, [at.probe], at.targetMore);
  const spec = c.probes[0]!;
  if (spec.type !== type) throw new Error(`not a ${type} probe: ${at.probe}`);
  const redactor = new Redactor();
  redactor.addSecrets(secretsOf(c));
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new ProbeTimeoutError(spec.timeoutMs)), spec.timeoutMs);
  const phases = createPhaseClock();
  const rc = runContext(
    spec,
    {
      target: c.targets.gw!,
      logger: silentLogger,
      redactor,
      ...(at.memory && { memory: at.memory }),
      ...(at.stateDir !== undefined && { stateDir: at.stateDir }),
      ...(at.guard && { guard: at.guard }),
    },
    {
      signal: ac.signal,
      phases,
      logger: silentLogger,
      t0: performance.now(),
      keepSteps: true,
      freshConnection: probeTypeOf(type)?.freshConnection === true,
    },
  );
  try {
    const out = await body(spec as ProbeOf<T>, rc.ctx);
    return { out, steps: rc.steps, msgs: rc.steps.map((s) => s.msg), phases: phases.snapshot(), redactor };
  } finally {
    clearTimeout(timer);
    await rc.close();
  }
}

/**
 * runProbeOnce with a type's run() and target gw's key set: called with the gateway's URL, the probe's YAML, and
 * what else the run gets (memory, guard, another key).
 */
export function probeHarness<T extends ProbeType, R>(
  type: T,
  run: (spec: ProbeOf<T>, ctx: ProbeContext) => Promise<R>,
  key: string,
): (url: string, probe: string, more?: Partial<Omit<RunAt, 'url' | 'probe'>>) => Promise<Ran<R>> {
  return (url, probe, more) => runProbeOnce(type, run, { ...more, key: more?.key ?? key, url, probe });
}

/** What `p` rejects with, which must be a ProbeFailure. */
export async function failureOf(p: Promise<unknown>): Promise<ProbeFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProbeFailure)) throw new Error(`expected a ProbeFailure, got ${String(err)}`);
  return err;
}

/** The URL of a gateway that is not there: a local server's, started and stopped again. */
export async function goneUrl(): Promise<string> {
  const s = await new TestHttpServer().start();
  await s.stop();
  return s.url;
}

/** Sets an environment variable for the enclosing describe's tests; puts back what it was after them. */
export function withEnv(name: string, value: string): void {
  const saved = process.env[name];
  beforeAll(() => {
    process.env[name] = value;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  });
}
