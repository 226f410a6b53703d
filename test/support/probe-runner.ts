import { loadConfig } from '../../src/config/load.js';
import { parseConfig, type Config } from '../../src/config/parse.js';
import { secretsOf } from '../../src/config/secrets.js';
import { TokenSources } from '../../src/probes/oauth/token-source.js';
import type { ProbeMemory } from '../../src/probes/types.js';
import type { ProbeDetails, ProbeResult } from '../../src/probes/table.js';
import { runProbe } from '../../src/scheduler/run.js';
import { createLogger } from '../../src/util/logger.js';
import { Redactor } from '../../src/util/redact.js';

/** The members of a union, intersected. */
type Intersection<U> = (U extends unknown ? (d: U) => void : never) extends (d: infer I) => void ? I : never;
/** Every probe type's details in one: each key of each type, readable without narrowing. */
type AllDetails = Intersection<ProbeDetails>;

/**
 * A result as these tests read it: they assert on the JSON shape of `details` (what /status and
 * `mcpwatch probe --json` show), so it is read by key here, as if it had every type's keys (those the
 * run's type lacks are undefined); mcpwatch's own readers switch on `type`.
 */
export type LooseResult = ProbeResult & { details: AllDetails };

/**
 * Runs probes of a config in this process, as the scheduler does (runProbe: timeout, dispatcher,
 * phases, masking), keeping what each probe remembers between runs by name as the agent does, and
 * capturing what mcpwatch logs.
 */
export class ProbeRunner {
  readonly config: Config;
  readonly redactor = new Redactor();
  /** mcpwatch's log lines (JSON objects), warnings and up. */
  readonly logLines: Array<Record<string, unknown>> = [];
  private readonly states = new Map<string, ProbeMemory>();
  /** The targets' OAuth tokens, shared by their probes across runs, as in the agent. */
  readonly tokens = new TokenSources();
  private readonly logger;

  /** From YAML (parsed only: no files are read), or from a config loadConfig() completed (key files read). */
  constructor(yaml: string | Config, env: Record<string, string> = {}) {
    if (typeof yaml === 'string') {
      const parsed = parseConfig(yaml, env);
      if (!parsed.ok)
        throw new Error(`test config invalid:\n${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
      this.config = parsed.config;
    } else this.config = yaml;
    this.redactor.addSecrets(secretsOf(this.config));
    this.logger = createLogger({
      level: 'warn',
      redactor: this.redactor,
      destination: { write: (line: string) => void this.logLines.push(JSON.parse(line) as Record<string, unknown>) },
    });
  }

  /** A runner on a config file, loaded as the agent loads it (key and CA files read). */
  static async load(path: string, env: Record<string, string> = {}): Promise<ProbeRunner> {
    const r = await loadConfig(path, env);
    if (!r.ok) throw new Error(`test config invalid:\n${r.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
    return new ProbeRunner(r.config);
  }

  /** Runs probe `name` once; its state carries over from its previous run unless `fresh`. */
  async run(name: string, opts: { fresh?: boolean } = {}): Promise<LooseResult> {
    const probe = this.config.probes.find((p) => p.name === name);
    if (!probe) throw new Error(`no probe ${name} in the test config`);
    if (opts.fresh || !this.states.has(name)) this.states.set(name, {});
    const target = this.config.targets[probe.target]!;
    const oauth = this.tokens.for(target);
    const handle = runProbe(
      probe,
      { target, logger: this.logger, redactor: this.redactor, memory: this.states.get(name)!, ...(oauth && { oauth }) },
      { trigger: 'cli' },
    );
    const result = await handle.result;
    await handle.settled;
    return result as LooseResult;
  }

  /** What a probe remembers (what survives between its runs). */
  state(name: string): ProbeMemory | undefined {
    return this.states.get(name);
  }

  /** Sets what a probe starts with (e.g. carried over from another runner). */
  setState(name: string, state: ProbeMemory): void {
    this.states.set(name, state);
  }
}

/** Every request line of a run, as "METHOD url  what". */
export function requestSteps(r: ProbeResult): string[] {
  return r.steps.map((s) => s.msg).filter((m) => /^(\[[^\]]*\] )?(GET|POST|DELETE) /.test(m));
}
