import { describe, expect, it } from 'vitest';
import { forShard } from '../../src/config/shard.js';
import { logConfigWarnings, logReloaded, logRestartNeeded, logShardChange } from '../../src/runtime/reload-log.js';
import type { ReloadPlan } from '../../src/runtime/reload-plan.js';
import { capturingLogger, httpProbesConfig } from '../support/runtime-config.js';

const NAMES = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];

describe('what a reload logs', () => {
  it('each config warning, with its path', () => {
    const { logger, lines } = capturingLogger();
    logConfigWarnings(logger, [{ path: 'targets.t', message: 'no apiKey' }]);
    expect(lines).toMatchObject([{ level: 40, path: 'targets.t', msg: 'config: targets.t: no apiKey' }]);
  });

  it('each setting that needs a restart, with its new and current value', () => {
    const { logger, lines } = capturingLogger();
    const plan: ReloadPlan = {
      carriedOver: new Map(),
      reset: [],
      restartNeeded: [{ setting: 'listen', value: ':9000', current: ':9464' }],
      logs: 'none',
    };
    logRestartNeeded(logger, plan);
    expect(lines).toMatchObject([
      { level: 40, listen: ':9000', current: ':9464', msg: 'listen changed: restart mcpwatch for it to apply' },
    ]);
  });

  it('a change of shard, and nothing when the shard stays', () => {
    const { logger, lines } = capturingLogger();
    const now = forShard({ ...httpProbesConfig(NAMES), shard: { index: 1, total: 2 } });
    logShardChange(logger, { index: 1, total: 2 }, now);
    expect(lines).toEqual([]);
    logShardChange(logger, { index: 0, total: 1 }, now);
    expect(lines).toMatchObject([
      {
        level: 30,
        msg: 'shard changed',
        shard: '1/2',
        was: '0/1',
        probes: now.config.probes.length,
        ofProbes: 6,
        tailsLogs: false,
      },
    ]);
  });

  it('the reload done: probes, carried over, and of how many with several shards', () => {
    const { logger, lines } = capturingLogger();
    logReloaded(logger, forShard(httpProbesConfig(NAMES)), 4);
    const sharded = forShard({ ...httpProbesConfig(NAMES), shard: { index: 0, total: 3 } });
    logReloaded(logger, sharded, 1);
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, msg: 'config reloaded', probes: 6, carriedOver: 4 }),
      expect.objectContaining({ probes: sharded.config.probes.length, ofProbes: 6, carriedOver: 1 }),
    ]);
    expect(lines[0]).not.toHaveProperty('ofProbes');
  });
});
