import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import { forShard, LOG_SHARD, parseShardFlag, shardOfName, shardOfProbe } from '../../src/config/shard.js';
import { phaseOf } from '../../src/scheduler/scheduler.js';

const NAMES = Array.from({ length: 100 }, (_, i) => `probe-${String(i).padStart(3, '0')}`);

function config(yaml: string): Config {
  const r = parseConfig(yaml, {});
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.config;
}

function problems(yaml: string): string[] {
  const r = parseConfig(yaml, {});
  if (r.ok) throw new Error('expected problems');
  return r.problems.map(formatProblem);
}

function probesYaml(names: readonly string[], extra = ''): string {
  return `targets:\n  gw: { url: "http://127.0.0.1:1", apiKey: sk-shard-test-0123456789 }\nprobes:\n${names.map((n) => `  - { name: ${n}, type: http, target: gw }\n`).join('')}${extra}`;
}

describe('shardOfName: which shard a name falls to', () => {
  it('is the first 4 bytes of the SHA-256 of the name, big-endian, mod total', () => {
    for (const name of ['a', 'lan-catalog', 'probe-042', 'ünïcode-名前']) {
      const h = createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0);
      for (const total of [2, 3, 7, 1000]) expect(shardOfName(name, total), `${name} ${total}`).toBe(h % total);
    }
  });

  it('is fixed: these values may never change (replicas of different versions, restarts, reloads must agree)', () => {
    expect(NAMES.slice(0, 12).map((n) => shardOfName(n, 3))).toEqual(
      NAMES.slice(0, 12).map((n) => createHash('sha256').update(n).digest().readUInt32BE(0) % 3),
    );
    expect([shardOfName('lan-catalog', 3), shardOfName('lan-catalog', 3)]).toEqual([
      shardOfName('lan-catalog', 3),
      shardOfName('lan-catalog', 3),
    ]);
    // Pinned against the digest itself, not the function: sha256("lan-catalog") starts with these bytes.
    const first4 = createHash('sha256').update('lan-catalog').digest().subarray(0, 4).toString('hex');
    expect(shardOfName('lan-catalog', 2 ** 32 - 1)).toBe(parseInt(first4, 16) % (2 ** 32 - 1));
  });

  it('with one shard, everything is shard 0', () => {
    expect(NAMES.every((n) => shardOfName(n, 1) === 0)).toBe(true);
  });

  it('puts every probe in exactly one of N shards, and 100 names across 3 roughly evenly', () => {
    const c = config(probesYaml(NAMES));
    for (const total of [2, 3, 5]) {
      const seen = new Map<string, number>();
      for (let index = 0; index < total; index++) {
        for (const p of forShard({ ...c, shard: { index, total } }).config.probes)
          seen.set(p.name, (seen.get(p.name) ?? 0) + 1);
      }
      expect([...seen.keys()].sort(), `total ${total}`).toEqual(NAMES);
      expect(
        [...seen.values()].every((n) => n === 1),
        `total ${total}`,
      ).toBe(true);
    }
    const sizes = [0, 1, 2].map((index) => forShard({ ...c, shard: { index, total: 3 } }).config.probes.length);
    expect(sizes.reduce((a, b) => a + b)).toBe(100);
    // 33 each on average; a fair split of 100 stays well within 20..47 (binomial, p = 1/3).
    for (const n of sizes) {
      expect(n).toBeGreaterThanOrEqual(20);
      expect(n).toBeLessThanOrEqual(47);
    }
  });

  it('is not correlated with the scheduler phase (a different hash)', () => {
    // With the same hash, every probe of one shard would share a phase residue: here each shard's
    // probes spread over the phases like all probes do.
    const interval = 3;
    for (let index = 0; index < 3; index++) {
      const phases = new Set(NAMES.filter((n) => shardOfName(n, 3) === index).map((n) => phaseOf(n, interval)));
      expect(phases.size, `shard ${index}`).toBe(3);
    }
  });
});

describe('forShard: what one replica runs of a config', () => {
  it('keeps the shard, the counts and where every probe runs', () => {
    const c = config(probesYaml(NAMES, 'shard: { index: 1, total: 3 }\n'));
    const s = forShard(c);
    expect(s.shard).toEqual({ index: 1, total: 3 });
    expect(s.ofProbes).toBe(100);
    expect(s.config.probes.map((p) => p.name)).toEqual(NAMES.filter((n) => shardOfName(n, 3) === 1));
    for (const n of NAMES) expect(s.shardOf(n)).toBe(shardOfName(n, 3));
    expect(s.shardOf('not-configured')).toBeUndefined();
    // The rest of the config is untouched.
    expect(s.config.targets).toEqual(c.targets);
    expect(s.config.shard).toEqual({ index: 1, total: 3 });
  });

  it('without shard: everything, and the log tailing', () => {
    const c = config(probesYaml(NAMES.slice(0, 5), 'logs: { containers: [{ name: litellm }] }\n'));
    const s = forShard(c);
    expect(s.shard).toEqual({ index: 0, total: 1 });
    expect(s.config.probes).toEqual(c.probes);
    expect(s.config.logs).toEqual(c.logs);
    expect(s.tailsLogs).toBe(true);
  });

  it('log tailing only on shard 0 of several; an HA pair (total 1) both tail', () => {
    const yaml = probesYaml(NAMES.slice(0, 5), 'logs: { containers: [{ name: litellm }] }\n');
    const c = config(yaml);
    expect([0, 1, 2].map((index) => forShard({ ...c, shard: { index, total: 3 } }).tailsLogs)).toEqual([
      true,
      false,
      false,
    ]);
    expect(forShard({ ...c, shard: { index: 1, total: 3 } }).config.logs).toBeUndefined();
    expect(forShard({ ...c, shard: { index: 0, total: 3 } }).config.logs).toEqual(c.logs);
    expect(forShard(config(probesYaml(NAMES.slice(0, 5)))).tailsLogs).toBe(false);
  });

  it('an auth_guard runs where the log is read (shard 0) when containers are tailed; else by its hash', () => {
    // Names whose hash falls elsewhere than shard 0.
    const guards = NAMES.filter((n) => shardOfName(n, 3) !== LOG_SHARD).slice(0, 4);
    const yaml = (logs: string): string =>
      `targets:\n  gw: { url: "http://127.0.0.1:1", apiKey: sk-shard-test-0123456789 }\nprobes:\n${guards.map((n) => `  - { name: ${n}, type: auth_guard, target: gw }\n`).join('')}shard: { index: 0, total: 3 }\n${logs}`;
    const tailed = config(yaml('logs: { containers: [{ name: litellm }] }\n'));
    expect(forShard(tailed).config.probes.map((p) => p.name)).toEqual(guards);
    for (const p of tailed.probes) expect(shardOfProbe(p, tailed)).toBe(LOG_SHARD);
    const untailed = config(yaml(''));
    expect(forShard(untailed).config.probes).toEqual([]);
    for (const p of untailed.probes) expect(shardOfProbe(p, untailed)).toBe(shardOfName(p.name, 3));
  });
});

describe('the shard key in the config', () => {
  it('defaults to 0 of 1', () => {
    expect(config('').shard).toEqual({ index: 0, total: 1 });
    expect(config('shard: { total: 4 }\n').shard).toEqual({ index: 0, total: 4 });
  });

  it.each([
    ['shard: { index: 3, total: 3 }\n', 'shard.index: must be less than shard.total (3): shards are numbered 0 to 2'],
    ['shard: { index: 1 }\n', 'shard.index: must be less than shard.total (1): shards are numbered 0 to 0'],
    ['shard: { index: -1, total: 3 }\n', 'shard.index: must be at least 0'],
    ['shard: { index: 0, total: 0 }\n', 'shard.total: must be at least 1'],
    ['shard: { index: 0.5, total: 2 }\n', 'shard.index: expected a whole number'],
    ['shard: { index: 0, total: 1001 }\n', 'shard.total: must be at most 1000'],
    ['shard: { index: "1", total: 2 }\n', 'shard.index: expected number, got string "1"'],
    ['shard: { indx: 1, total: 2 }\n', 'shard.indx: unknown key (did you mean "index"?)'],
  ])('%s is refused: %s', (yaml, problem) => {
    expect(problems(yaml)).toEqual([problem]);
  });
});

describe('--shard I/N', () => {
  it.each([
    ['0/1', { index: 0, total: 1 }],
    ['0/3', { index: 0, total: 3 }],
    ['2/3', { index: 2, total: 3 }],
    [' 999/1000 ', { index: 999, total: 1000 }],
  ])('%s', (flag, shard) => {
    expect(parseShardFlag(flag)).toEqual(shard);
  });

  it.each([
    ['3/3', 'I must be less than N (shards are numbered 0 to 2)'],
    ['0/0', 'N must be at least 1'],
    ['0/1001', 'N must be at most 1000'],
    ['-1/3', 'got "-1/3"'],
    ['1.5/3', 'got "1.5/3"'],
    ['1', 'got "1"'],
    ['a/b', 'got "a/b"'],
    ['1/3/4', 'got "1/3/4"'],
    ['', 'got ""'],
  ])('%s is refused', (flag, why) => {
    const r = parseShardFlag(flag);
    expect('error' in r && r.error).toContain(why);
    expect('error' in r && r.error).toContain('expected I/N, whole numbers with 0 <= I < N');
  });
});
