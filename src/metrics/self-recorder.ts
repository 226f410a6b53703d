import type { Metrics } from './registry.js';

/** mcpwatch's own state as metrics: config loads, and the gauges read at scrape time. */
export class SelfRecorder {
  constructor(private readonly m: Metrics) {}

  /** A config (re)load: a failed one keeps the time of the last success. */
  configLoaded(ok: boolean, at = Date.now()): void {
    this.m.configReloadOk.set(ok ? 1 : 0);
    if (ok) this.m.configReloadTime.set(at / 1000);
  }

  /** The shard this replica runs (config `shard`, `--shard`): one series, replaced on a change. */
  shard(shard: { index: number; total: number }): void {
    this.m.shardInfo.reset();
    this.m.shardInfo.set({ index: String(shard.index), total: String(shard.total) }, 1);
  }

  /** Gauges read rather than pushed, set just before a scrape renders them. */
  runs(inFlight: number, queued: number): void {
    this.m.probesInFlight.set(inFlight);
    this.m.probesQueued.set(queued);
  }
}
