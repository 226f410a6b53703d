import { Gauge } from 'prom-client';
import { ORIGINS, type Origin } from '../correlate/guard.js';
import { AUTH_KINDS, MCP_KINDS } from '../logs/litellm-rules.js';
import type { Match } from '../logs/rules.js';
import type { Metrics } from './registry.js';

/** What explains a matched record: an upstream server found down (`server_down`), or nothing known (''). */
export type LogCause = '' | 'server_down';

/** The family of whether the guard's access lines reach each followed container's log. */
export const ORIGIN_CORRELATION_OK = 'mcp_log_origin_correlation_ok';

/** Turns what the log service reports into metrics. The only place that writes log metrics. */
export class LogRecorder {
  constructor(private readonly m: Metrics) {}

  /**
   * `mcp_log_origin_correlation_ok{container}`, read from `source` at each scrape: 1 while the guard's marked access
   * lines reach the container's log, 0 while they are missing; no series before a guard request was judged there.
   */
  originCorrelation(source: () => ReadonlyMap<string, boolean>): void {
    if (this.m.registry.getSingleMetric(ORIGIN_CORRELATION_OK)) return;
    const gauge = new Gauge({
      name: ORIGIN_CORRELATION_OK,
      help:
        "Whether the auth_guard's marked requests leave their access line in the container's log (1) or not (0: " +
        'the origin of auth errors cannot be told there).',
      labelNames: ['container'] as const,
      registers: [],
      collect() {
        this.reset();
        for (const [container, ok] of source()) this.set({ container }, ok ? 1 : 0);
      },
    });
    this.m.registry.registerMetric(gauge);
  }

  /** Counters of the built-in kinds start at 0, so increase() and alerts work from the first error. */
  containerAdded(container: string): void {
    this.m.logTailUp.set({ container }, 0);
    for (const origin of ORIGINS) {
      for (const kind of AUTH_KINDS) this.m.logMatches.inc({ container, category: 'auth', kind, origin, cause: '' }, 0);
      for (const kind of MCP_KINDS) this.m.logMatches.inc({ container, category: 'mcp', kind, origin, cause: '' }, 0);
    }
  }

  containerRemoved(container: string): void {
    this.m.logTailUp.remove({ container });
  }

  lines(container: string, stream: 'stdout' | 'stderr', n: number): void {
    this.m.logLines.inc({ container, stream }, n);
  }

  /**
   * A match, with its origin, its log time (epoch ms) and its cause: `server_down` for an upstream error about a
   * server mcpwatch's probes find down (that outage's, already alerted on), else none.
   */
  match(container: string, m: Match, origin: Origin, at: number, cause: LogCause = ''): void {
    this.m.logMatches.inc({ container, category: m.category, kind: m.kind, origin, cause });
    this.m.logLastMatch.set({ container, category: m.category, kind: m.kind }, at / 1000);
  }

  tailUp(container: string, up: boolean): void {
    this.m.logTailUp.set({ container }, up ? 1 : 0);
  }

  /** mcpwatch_docker_up is registered only once log tailing runs: without it, a 0 would raise a false alert. */
  dockerUp(up: boolean): void {
    if (!this.m.registry.getSingleMetric('mcpwatch_docker_up')) this.m.registry.registerMetric(this.m.dockerUp);
    this.m.dockerUp.set(up ? 1 : 0);
  }
}
