import { ORIGINS, type Origin } from '../correlate/guard.js';
import { AUTH_KINDS, MCP_KINDS } from '../logs/litellm-rules.js';
import type { Match } from '../logs/rules.js';
import type { Metrics } from './registry.js';

/** Turns what the log service reports into metrics. The only place that writes log metrics. */
export class LogRecorder {
  constructor(private readonly m: Metrics) {}

  /** Counters of the built-in kinds start at 0, so increase() and alerts work from the first error. */
  containerAdded(container: string): void {
    this.m.logTailUp.set({ container }, 0);
    for (const origin of ORIGINS) {
      for (const kind of AUTH_KINDS) this.m.logMatches.inc({ container, category: 'auth', kind, origin }, 0);
      for (const kind of MCP_KINDS) this.m.logMatches.inc({ container, category: 'mcp', kind, origin }, 0);
    }
  }

  containerRemoved(container: string): void {
    this.m.logTailUp.remove({ container });
  }

  lines(container: string, stream: 'stdout' | 'stderr', n: number): void {
    this.m.logLines.inc({ container, stream }, n);
  }

  /** A match, with its origin and its log time (epoch ms). */
  match(container: string, m: Match, origin: Origin, at: number): void {
    this.m.logMatches.inc({ container, category: m.category, kind: m.kind, origin });
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
