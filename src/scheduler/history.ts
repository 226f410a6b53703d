import type { Outcome, ProbeMemory } from '../probes/types.js';
import type { ProbeResult } from '../probes/table.js';

export interface HistoryEntry {
  startedAt: number;
  outcome: Outcome;
  durationMs: number;
  reason: string;
  trigger: ProbeResult['trigger'];
}

export interface ProbeRecord {
  last?: ProbeResult;
  lastSuccessAt?: number;
  /** Newest last. */
  history: HistoryEntry[];
  runs: number;
  failures: number;
  /** Runs skipped because the previous one was still in flight. */
  skipped: number;
  /** What the probe keeps between runs (ProbeContext.memory). */
  memory: ProbeMemory;
}

/**
 * What mcpwatch remembers of each probe's runs. Keyed by probe name and kept across config
 * reloads, so a reload does not blank `/status`.
 */
export class ResultStore {
  private readonly records = new Map<string, ProbeRecord>();

  constructor(private readonly historySize = 50) {}

  add(result: ProbeResult): void {
    const rec = this.get(result.probe);
    rec.last = result;
    rec.runs++;
    if (result.success) rec.lastSuccessAt = result.startedAt + result.durationMs;
    else rec.failures++;
    rec.history.push({
      startedAt: result.startedAt,
      outcome: result.outcome,
      durationMs: result.durationMs,
      reason: result.reason,
      trigger: result.trigger,
    });
    if (rec.history.length > this.historySize) rec.history.splice(0, rec.history.length - this.historySize);
  }

  /** A recorded run completed later (its gateway log): replaces it, if it is still the probe's last run. */
  amend(result: ProbeResult): boolean {
    const rec = this.records.get(result.probe);
    if (!rec?.last || rec.last.startedAt !== result.startedAt || rec.last.trigger !== result.trigger) return false;
    rec.last = result;
    return true;
  }

  skipped(probe: string): void {
    this.get(probe).skipped++;
  }

  get(probe: string): ProbeRecord {
    let rec = this.records.get(probe);
    if (!rec) {
      rec = { history: [], runs: 0, failures: 0, skipped: 0, memory: {} };
      this.records.set(probe, rec);
    }
    return rec;
  }

  peek(probe: string): ProbeRecord | undefined {
    return this.records.get(probe);
  }

  /** Forgets probes that are no longer configured. */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.records.keys()) if (!names.has(name)) this.records.delete(name);
  }
}
