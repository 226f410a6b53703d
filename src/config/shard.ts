import { createHash } from 'node:crypto';
import { probeTypeOf } from '../probes/table.js';
import type { Config, Probe } from './parse.js';
import { MAX_SHARDS } from './schema.js';

/** This replica's share of the probes: those whose name hashes to `index` (mod `total`). */
export interface Shard {
  index: number;
  total: number;
}

/** The shard that tails the containers' logs when there are several (the others tail none). */
export const LOG_SHARD = 0;

/**
 * Pure: the shard a name falls to. The first 4 bytes of the name's SHA-256 (UTF-8), big-endian,
 * mod `total`: the same in every process, across restarts, reloads and Node versions, and
 * unrelated to the scheduler's phase (FNV-1a of the name), so shard and phase are not correlated.
 */
export function shardOfName(name: string, total: number): number {
  if (total <= 1) return 0;
  return createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0) % total;
}

/**
 * Pure: the shard that runs a probe. By the hash of its name, except that a probe whose requests provoke
 * auth errors (the auth guard) goes with the log (shard LOG_SHARD) when there are several shards and
 * containers are tailed: those errors are told from real clients' only by the process that sent the
 * requests, so the probe must run where the log is read.
 */
export function shardOfProbe(probe: Pick<Probe, 'name' | 'type'>, config: Pick<Config, 'shard' | 'logs'>): number {
  if (probeTypeOf(probe.type)?.provokesAuthErrors && tailsContainers(config)) return LOG_SHARD;
  return shardOfName(probe.name, config.shard.total);
}

/** This replica's part of a config: the shard's probes, and the log tailing if it is the shard's. */
export interface ShardedConfig {
  /** The config this replica runs: `probes` only the shard's, `logs` only on the log shard. */
  config: Config;
  shard: Shard;
  /** Probes in the whole config. */
  ofProbes: number;
  /** Whether this replica runs the config's log tailing (`logs`): with several shards, only shard LOG_SHARD does. */
  tailsLogs: boolean;
  /** The shard of a configured probe (any shard's); undefined for a name that is not configured. */
  shardOf(name: string): number | undefined;
}

/** Pure: what the replica `config.shard` runs of `config`. With `total: 1`, everything. */
export function forShard(config: Config): ShardedConfig {
  const shard = { index: config.shard.index, total: config.shard.total };
  const byName = new Map(config.probes.map((p) => [p.name, shardOfProbe(p, config)]));
  const probes = config.probes.filter((p) => byName.get(p.name) === shard.index);
  const tailsLogs = config.logs !== undefined && (shard.total === 1 || shard.index === LOG_SHARD);
  const { logs, ...rest } = config;
  return {
    config: { ...rest, probes, ...(logs && tailsLogs && { logs }) },
    shard,
    ofProbes: config.probes.length,
    tailsLogs,
    shardOf: (name) => byName.get(name),
  };
}

/** `--shard I/N`: whole numbers, 0 ≤ I < N ≤ MAX_SHARDS. */
export function parseShardFlag(s: string): Shard | { error: string } {
  const m = /^(\d{1,9})\/(\d{1,9})$/.exec(s.trim());
  const expected = `expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "${s}"`;
  if (!m) return { error: expected };
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1) return { error: `${expected}: N must be at least 1` };
  if (total > MAX_SHARDS) return { error: `${expected}: N must be at most ${MAX_SHARDS}` };
  if (index >= total) return { error: `${expected}: I must be less than N (shards are numbered 0 to ${total - 1})` };
  return { index, total };
}

function tailsContainers(config: Pick<Config, 'shard' | 'logs'>): boolean {
  return config.shard.total > 1 && (config.logs?.containers.length ?? 0) > 0;
}
