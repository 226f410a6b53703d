import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/parse.js';
import { forShard } from '../../src/config/shard.js';
import { LogService } from '../../src/logs/log-service.js';
import type { Scheduler } from '../../src/scheduler/scheduler.js';
import { AgentParts } from '../../src/runtime/agent-parts.js';
import { Redactor } from '../../src/util/redact.js';
import { matching, value } from '../support/exposition.js';
import { capturingLogger, httpProbesConfig, testMetrics } from '../support/runtime-config.js';

const KEY = 'sk-parts-test-0123456789abcdef';

function parts(config: Config, followed: () => readonly string[] = () => []) {
  const { registry, metrics } = testMetrics();
  const { logger, lines } = capturingLogger();
  const redactor = new Redactor();
  return { p: new AgentParts(config, { logger, redactor, metrics }, followed), registry, lines, redactor };
}

describe('AgentParts', () => {
  const schedulers: Scheduler[] = [];
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop();
  });

  it("adopts a generation: the limit of runs, the probes' series, the shard's series", async () => {
    const config = { ...httpProbesConfig(['a', 'b', 'c', 'd']), maxConcurrentProbes: 3 };
    const { p, registry } = parts(config);
    const sharded = forShard({ ...config, shard: { index: 1, total: 2 }, maxConcurrentProbes: 1 });
    p.adopt(sharded);
    const text = await registry.metrics();
    expect(value(text, 'mcpwatch_shard_info', { index: '1', total: '2' })).toBe(1);
    const probes = new Set(matching(text, 'mcp_probe_runs_total', {}).map((s) => s.labels.probe));
    expect([...probes].sort()).toEqual(sharded.config.probes.map((x) => x.name).sort());
    // The limit now 1: a second holder waits.
    const release = await p.limits.acquire('t');
    void p.limits.acquire('t').then((r) => r());
    expect(p.limits.queued).toBe(1);
    release();
  });

  it('builds a scheduler whose runs go to the records and the gauges read at scrape time', async () => {
    const config = httpProbesConfig(['a']);
    const { p, registry } = parts(config);
    p.adopt(forShard(config));
    const scheduler = p.scheduler(config);
    schedulers.push(scheduler);
    const result = await scheduler.runNow('a');
    expect(result.outcome).toBe('connect_error');
    expect(p.records.store.peek('a')).toMatchObject({ runs: 1, failures: 1 });
    expect(p.tracker.has('a')).toBe(false);
    p.refreshGauges();
    const text = await registry.metrics();
    expect(value(text, 'mcpwatch_probes_in_flight')).toBe(0);
    expect(value(text, 'mcpwatch_probes_queued')).toBe(0);
  });

  it('builds a log service for a logs config, not started', () => {
    const config = httpProbesConfig([], 'logs:\n  containers: [{ name: litellm }]\n');
    const { p } = parts(config);
    const service = p.logService(config.logs!, '/tmp/mcpwatch-parts-test');
    expect(service).toBeInstanceOf(LogService);
    expect(service.health().status).not.toBe('ok');
  });

  describe('nextGeneration', () => {
    it('plans against the running config: unchanged probes that ran keep their cadence, changed ones forget', async () => {
      const current = httpProbesConfig(['same', 'changed']);
      const { p } = parts(current);
      p.adopt(forShard(current));
      const running = p.scheduler(current);
      schedulers.push(running);
      await running.runNow('same');
      p.records.store.get('changed').memory = { catalog: { tools: ['x'] } } as never;

      const loaded = httpProbesConfig(['same', 'changed', 'new']);
      loaded.probes[1] = { ...loaded.probes[1]!, timeoutMs: 1_234 };
      const next = p.nextGeneration(current, loaded, []);
      schedulers.push(next.scheduler);
      expect([...next.plan.carriedOver.keys()]).toEqual(['same']);
      expect(next.plan.carriedOver.get('same')).toBe(p.records.lastStartOf('same'));
      expect(next.plan.reset).toEqual(['changed']);
      expect(p.records.store.peek('changed')!.memory).toEqual({});
      expect(next.sharded.config.probes.map((x) => x.name)).toEqual(['same', 'changed', 'new']);
      expect(next.scheduler.health().running).toBe(false);
    });

    it("masks the loaded config's secrets from then on, and logs its warnings and what needs a restart", () => {
      const current = httpProbesConfig(['a']);
      const { p, lines, redactor } = parts(current);
      const loaded = { ...httpProbesConfig(['a']), listen: '127.0.0.1:9999' };
      loaded.targets.t = { ...loaded.targets.t!, apiKey: KEY };
      p.nextGeneration(current, loaded, [{ path: 'targets.t', message: 'a warning' }]);
      expect(redactor.mask(`key ${KEY}`)).not.toContain(KEY);
      expect(lines.map((l) => l.msg)).toEqual([
        'config: targets.t: a warning',
        'listen changed: restart mcpwatch for it to apply',
      ]);
    });
  });
});
