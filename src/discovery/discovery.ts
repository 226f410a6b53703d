// The gateways' server lists, read every `discover.every` per target: a list that changed makes the agent run its
// probe set again (src/runtime/agent.ts); what was read goes to a sink (the metrics), never the other way.
import type { Logger } from 'pino';
import type { Config } from '../config/parse.js';
import type { Target } from '../config/target.js';
import type { TokenSource } from '../probes/oauth/token-source.js';
import type { ProtocolMemory } from '../probes/types.js';
import type { Redactor } from '../util/redact.js';
import { keepList, readKeptList } from './list-store.js';
import { readServers } from './read-servers.js';
import { afterRead, type ListChange, type ListRead, type ListState } from './servers.js';
import { discoveryStatus, type DiscoveryStatus } from './status.js';

/** What discovery reports (the metrics recorder implements it); only shard 0's replicas report. */
export interface DiscoverySink {
  /** A target is discovered from now on: its change counters start at 0. */
  declare(target: string): void;
  /** A read of its list ended. */
  attempt(target: string, ok: boolean): void;
  /** The list in use (after a read, or kept from before). */
  servers(target: string, servers: readonly string[]): void;
  /** Servers came or went since the list before. */
  changed(target: string, change: ListChange): void;
  /** The target is discovered no more: every series of it goes. */
  forget(target: string): void;
}

export interface DiscoveryDeps {
  logger: Logger;
  redactor: Redactor;
  sink: DiscoverySink;
  /** A target's SSO token (oauth2), the one its probes share. */
  tokensFor(target: Target): TokenSource | undefined;
  protocols?: ProtocolMemory;
  /** A target's list changed (or its first one is known): the agent runs the probes of the lists now. */
  onChange(): void;
  /** Reads a list (the gateway; a test may pass its own). */
  read?: typeof readServers;
}

/** One target's reading. */
interface Loop {
  /** The settings whose change restarts the reading: the target itself, every, timeout. */
  key: string;
  target: Target;
  everyMs: number;
  timeoutMs: number;
  state: ListState;
  timer?: NodeJS.Timeout;
  /** Aborts the read under way when the loop ends. */
  ended: AbortController;
  reading?: Promise<void>;
}

/** Reads each target's server list on its interval; one for the agent's life, configured again on reload. */
export class Discovery {
  private readonly loops = new Map<string, Loop>();
  private running = false;
  /** stateDir is read at start only (a change needs a restart), as for the rest of the agent. */
  private readonly stateDir: string;
  /** This replica reports to the sink (shard 0). */
  private reporting = false;

  constructor(
    config: Config,
    private readonly deps: DiscoveryDeps,
  ) {
    this.stateDir = config.stateDir;
    this.configure(config);
  }

  /**
   * Takes a (re)loaded config: targets no longer discovered stop (their series go), new ones start from the list
   * kept in stateDir, and a target whose definition, `every` or `timeout` changed is read again at once. Every
   * target keeps the list it has: templates and `exclude` apply to it when the agent expands it.
   */
  configure(config: Config): void {
    const specs = config.discover ?? {};
    const report = config.shard.index === 0;
    for (const [name, loop] of this.loops) {
      if (specs[name]) continue;
      this.end(loop);
      this.loops.delete(name);
      if (this.reporting) this.deps.sink.forget(name);
    }
    if (this.reporting && !report) for (const name of this.loops.keys()) this.deps.sink.forget(name);
    const wasReporting = this.reporting;
    this.reporting = report;
    for (const [name, spec] of Object.entries(specs)) {
      const target = config.targets[name];
      if (!target) continue;
      const key = JSON.stringify([target, spec.everyMs, spec.timeoutMs]);
      const old = this.loops.get(name);
      if (old?.key === key) {
        if (report && !wasReporting) this.announce(name, old);
        continue;
      }
      if (old) this.end(old);
      const known = old ? old.state.known : readKeptList(this.stateDir, name, target.url);
      const state: ListState = old ? old.state : { ...(known && { known }) };
      const loop: Loop = {
        key,
        target,
        everyMs: spec.everyMs,
        timeoutMs: spec.timeoutMs,
        state,
        ended: new AbortController(),
      };
      this.loops.set(name, loop);
      if (report && (!old || !wasReporting)) this.announce(name, loop);
      if (this.running) this.arm(name, loop, 0);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const [name, loop] of this.loops) this.arm(name, loop, 0);
  }

  /** Stops reading; a read under way is aborted, and waited for. */
  async stop(): Promise<void> {
    this.running = false;
    const reads = [...this.loops.values()].map((loop) => {
      this.end(loop);
      return loop.reading;
    });
    await Promise.all(reads);
  }

  /** The list in use of one target, if it has one (what lists() has for it, without building the map). */
  listOf(target: string): readonly string[] | undefined {
    return this.loops.get(target)?.state.known?.servers;
  }

  /** The list in use of each target that has one. */
  lists(): Map<string, readonly string[]> {
    const out = new Map<string, readonly string[]>();
    for (const [name, loop] of this.loops) if (loop.state.known) out.set(name, loop.state.known.servers);
    return out;
  }

  /** Each discovered target as /status shows it (`config`: the running one). */
  status(config: Config): DiscoveryStatus[] {
    return discoveryStatus(config, (target) => this.loops.get(target)?.state);
  }

  private announce(name: string, loop: Loop): void {
    this.deps.sink.declare(name);
    if (loop.state.known) this.deps.sink.servers(name, loop.state.known.servers);
  }

  private end(loop: Loop): void {
    if (loop.timer) clearTimeout(loop.timer);
    loop.timer = undefined;
    loop.ended.abort();
  }

  private arm(name: string, loop: Loop, delayMs: number): void {
    if (loop.timer) clearTimeout(loop.timer);
    loop.timer = setTimeout(() => {
      loop.timer = undefined;
      loop.reading = this.readOnce(name, loop).finally(() => (loop.reading = undefined));
    }, delayMs);
    loop.timer.unref();
  }

  private current(name: string, loop: Loop): boolean {
    return this.running && this.loops.get(name) === loop && !loop.ended.signal.aborted;
  }

  private async readOnce(name: string, loop: Loop): Promise<void> {
    if (!this.current(name, loop)) return;
    const startedAt = Date.now();
    const { logger, redactor, protocols } = this.deps;
    const oauth = this.deps.tokensFor(loop.target);
    const log = logger.child({ target: name });
    let read: ListRead;
    try {
      read = await (this.deps.read ?? readServers)(
        loop.target,
        loop.timeoutMs,
        { logger: log, redactor, ...(oauth && { oauth }), ...(protocols && { protocols }) },
        loop.ended.signal,
      );
    } catch (err) {
      read = { ok: false, error: redactor.mask((err as Error).message) };
    }
    if (!this.current(name, loop)) return; // the loop ended (a reload, a stop) while it read: not its answer
    this.apply(name, loop, read, log);
    this.arm(name, loop, Math.max(0, startedAt + loop.everyMs - Date.now()));
  }

  private apply(name: string, loop: Loop, read: ListRead, log: Logger): void {
    const wasRestored = loop.state.known?.restored === true;
    const { state, changed, change } = afterRead(loop.state, read, Date.now());
    loop.state = state;
    const sink = this.reporting ? this.deps.sink : undefined;
    sink?.attempt(name, read.ok);
    if (!read.ok) {
      const kept = state.known ? `keeping the ${state.known.servers.length} servers known` : 'no server list known yet';
      log.warn({ error: read.error }, `discovery failed: ${kept}`);
      return;
    }
    const list = state.known!;
    sink?.servers(name, list.servers);
    if (change) {
      sink?.changed(name, change);
      log.warn({ added: change.added, removed: change.removed, source: list.source }, "the gateway's servers changed");
    } else if (changed) log.info({ servers: list.servers, source: list.source }, "the gateway's servers");
    if (changed || wasRestored)
      keepList(this.stateDir, name, loop.target.url, list).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, 'the server list could not be kept in stateDir'),
      );
    if (changed) this.deps.onChange();
  }
}
