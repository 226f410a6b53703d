import type { Config, Probe } from '../config/parse.js';
import { ProbeRecorder } from '../metrics/probe-recorder.js';
import type { Metrics } from '../metrics/registry.js';
import type { ProbeResult } from '../probes/table.js';
import { ResultStore } from '../scheduler/history.js';
import type { Logger } from '../util/logger.js';
import { DownServers } from './down-servers.js';
import { transitionLog } from './transitions.js';

/**
 * Where the probes' runs go: the result store (for /status and the MCP tools), the probe metrics,
 * and the log (a change of outcome). One for the agent's life, so that a reload blanks nothing.
 */
export class RunRecords {
  readonly store = new ResultStore();
  /** The upstream servers the last runs found down (the log's errors about them are that outage's). */
  readonly down = new DownServers();
  private readonly recorder: ProbeRecorder;

  constructor(
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.recorder = new ProbeRecorder(metrics);
  }

  /** The probes of `config` get their series; what is kept of probes it no longer has is dropped. */
  declare(config: Config): void {
    this.recorder.declare(config.probes, oauthTargetsOf(config));
    const names = new Set(config.probes.map((p) => p.name));
    this.store.retain(names);
    this.down.retain(names);
  }

  /** Probes whose definition changed: what they remember (the last catalog) is no baseline for the new one. */
  forget(names: readonly string[]): void {
    for (const name of names) this.store.get(name).memory = {};
  }

  /** When the probe's last run started; undefined if it has not run. */
  lastStartOf(name: string): number | undefined {
    return this.store.peek(name)?.last?.startedAt;
  }

  result(result: ProbeResult): void {
    if (!this.recorder.accepts(result)) return; // finished after a reload changed or removed the probe
    const t = transitionLog(this.store.peek(result.probe)?.last, result);
    this.logger[t.level](t.fields, t.msg);
    this.store.add(result);
    this.down.result(result);
    this.recorder.record(result);
  }

  skipped(probe: Probe): void {
    this.store.skipped(probe.name);
    this.recorder.skipped(probe);
  }
}

/** The targets with an SSO gate (oauth2) that some probe uses: they have token series. */
export function oauthTargetsOf(config: Config): string[] {
  return [...new Set(config.probes.map((p) => p.target))].filter((t) => config.targets[t]?.oauth2 !== undefined);
}
