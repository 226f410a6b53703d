import { formatProblem, type ConfigProblem } from '../config/problems.js';
import type { Shard, ShardedConfig } from '../config/shard.js';
import type { Logger } from '../util/logger.js';
import type { ReloadPlan } from './reload-plan.js';

/** What a reload tells the operator in the log, step by step. */

export function logConfigWarnings(logger: Logger, warnings: readonly ConfigProblem[]): void {
  for (const w of warnings) logger.warn({ path: w.path }, `config: ${formatProblem(w)}`);
}

export function logRestartNeeded(logger: Logger, plan: ReloadPlan): void {
  for (const r of plan.restartNeeded)
    logger.warn({ [r.setting]: r.value, current: r.current }, `${r.setting} changed: restart mcpwatch for it to apply`);
}

/** Only when the shard itself changed (not its probes). */
export function logShardChange(logger: Logger, was: Shard, now: ShardedConfig): void {
  const { shard } = now;
  if (was.index === shard.index && was.total === shard.total) return;
  logger.info(
    {
      shard: `${shard.index}/${shard.total}`,
      was: `${was.index}/${was.total}`,
      probes: now.config.probes.length,
      ofProbes: now.ofProbes,
      tailsLogs: now.tailsLogs,
    },
    'shard changed',
  );
}

export function logReloaded(logger: Logger, now: ShardedConfig, carriedOver: number): void {
  logger.info(
    {
      probes: now.config.probes.length,
      ...(now.shard.total > 1 && { ofProbes: now.ofProbes }),
      carriedOver,
    },
    'config reloaded',
  );
}
