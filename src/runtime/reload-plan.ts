import type { Config, Probe } from '../config/parse.js';
import type { ConfigProblem } from '../config/problems.js';

/** What a (re)load of the config came to, for /-/reload and SIGHUP. */
export interface ReloadResult {
  ok: boolean;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** What swapping `current` for `next` means, decided before anything is touched. */
export interface ReloadPlan {
  /**
   * Probes that ran under the current config with the same definition (and target): they keep
   * their cadence instead of running again right after the reload. Name → start of their last run.
   */
  carriedOver: Map<string, number>;
  /**
   * Probes that keep their name but changed: what they remember (the last catalog) is no baseline for the new
   * definition.
   */
  reset: string[];
  /** Settings read only at start-up that changed: they need a restart (a warning, not a failure). */
  restartNeeded: Array<{ setting: 'listen' | 'stateDir'; value: string; current: string }>;
  /** What happens to log tailing. */
  logs: 'none' | 'start' | 'reload' | 'stop';
}

/**
 * Pure: the plan for swapping configs. `lastStartOf` tells when a probe's last run started (if
 * it ran); `listenFixed` is set when `listen` comes from the command line, not the file.
 */
export function planReload(
  current: Config,
  next: Config,
  lastStartOf: (name: string) => number | undefined,
  opts: { listenFixed: boolean },
): ReloadPlan {
  const carriedOver = new Map<string, number>();
  const reset: string[] = [];
  const currentByName = new Map(current.probes.map((p) => [p.name, p]));
  for (const probe of next.probes) {
    const old = currentByName.get(probe.name);
    if (!old) continue;
    if (sameProbe(old, probe, current, next)) {
      const last = lastStartOf(probe.name);
      if (last !== undefined) carriedOver.set(probe.name, last);
    } else reset.push(probe.name);
  }
  const restartNeeded: ReloadPlan['restartNeeded'] = [];
  if (next.listen !== current.listen && !opts.listenFixed)
    restartNeeded.push({ setting: 'listen', value: next.listen, current: current.listen });
  if (next.stateDir !== current.stateDir)
    restartNeeded.push({ setting: 'stateDir', value: next.stateDir, current: current.stateDir });
  const logs = next.logs ? (current.logs ? 'reload' : 'start') : current.logs ? 'stop' : 'none';
  return { carriedOver, reset, restartNeeded, logs };
}

/** The same definition, against the same target definition. */
function sameProbe(a: Probe, b: Probe, ca: Config, cb: Config): boolean {
  return (
    JSON.stringify(a) === JSON.stringify(b) &&
    JSON.stringify(ca.targets[a.target]) === JSON.stringify(cb.targets[b.target])
  );
}
