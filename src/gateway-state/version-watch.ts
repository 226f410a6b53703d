import type { Target } from '../config/target.js';
import { chooseVersion, type GatewayVersion } from './build-version.js';

/** How often a target is asked its version (it changes with a restart), and how often after its container started. */
export const VERSION_EVERY_MS = 300_000;
export const VERSION_EAGER_MS = 5_000;
/** The first ask, this long after the targets are known: start-up belongs to the probes. */
export const VERSION_FIRST_MS = 10_000;
/**
 * While a gateway has never said its version, an unanswered ask is repeated after 10 s, then 20, 40… up to
 * VERSION_EVERY_MS: a gateway busy or still starting at the first ask is known within a minute or two, not after 5.
 */
export const VERSION_UNKNOWN_RETRY_MS = 10_000;
/** How long after a start the target is asked more often. */
const EAGER_FOR_MS = 120_000;

/** One target's version as /status shows it. */
export interface TargetVersion {
  target: string;
  version: string | null;
  source: GatewayVersion['source'] | null;
  /** When the gateway last said its version (ISO), if ever. */
  saidAt: string | null;
  /** The version the image of a container tied to the target names, if any. */
  imageVersion: string | null;
}

interface TargetState {
  target: Target;
  said?: GatewayVersion;
  saidAt?: number;
  image?: string;
  shown?: GatewayVersion;
  nextAt: number;
  eagerUntil: number;
  /** Asks in a row the gateway did not answer. */
  misses?: number;
}

/**
 * Which gateway each target runs: asked of the gateway (readiness, OpenAPI) every 5 minutes (sooner, backing off, while
 * it has never answered: VERSION_UNKNOWN_RETRY_MS), every few seconds for two minutes after a container tied to the
 * target started, else from the image of that
 * container. Tells `onChange` the version to show whenever it changes.
 */
export class VersionWatch {
  private readonly targets = new Map<string, TargetState>();
  private asking = false;
  private readonly aborts = new AbortController();

  constructor(
    private readonly read: (t: Target, signal: AbortSignal) => Promise<GatewayVersion | undefined>,
    private readonly onChange: (target: string, v: GatewayVersion | undefined) => void,
    private readonly firstAfterMs = VERSION_FIRST_MS,
  ) {}

  /** Ends the reads under way; no more are made. */
  stop(): void {
    this.aborts.abort();
  }

  /** The targets to watch (a reload): new ones asked at the next tick, removed ones forgotten. */
  setTargets(targets: Readonly<Record<string, Target>>, now = Date.now()): void {
    for (const name of [...this.targets.keys()]) {
      if (targets[name]) continue;
      this.targets.delete(name);
      this.onChange(name, undefined);
    }
    for (const [name, target] of Object.entries(targets)) {
      const s = this.targets.get(name);
      if (s && JSON.stringify(s.target) === JSON.stringify(target)) continue;
      this.targets.set(name, { ...s, target, nextAt: now + (s ? 0 : this.firstAfterMs), eagerUntil: 0 });
    }
  }

  /**
   * A container tied to the target started: ask again soon (it may run another version now). What
   * the gateway said before is shown until it answers.
   */
  started(target: string, now = Date.now()): void {
    const s = this.targets.get(target);
    if (!s) return;
    s.eagerUntil = now + EAGER_FOR_MS;
    s.nextAt = Math.min(s.nextAt, now + VERSION_EAGER_MS);
  }

  /** The image version of a container tied to the target (undefined: none names one). */
  image(target: string, version: string | undefined): void {
    const s = this.targets.get(target);
    if (!s || s.image === version) return;
    s.image = version;
    this.show(s);
  }

  /** Asks the targets that are due, one after another. */
  async tick(now = Date.now()): Promise<void> {
    if (this.asking || this.aborts.signal.aborted) return;
    this.asking = true;
    try {
      for (const s of this.targets.values()) {
        if (now < s.nextAt) continue;
        const v = await this.read(s.target, this.aborts.signal);
        if (this.aborts.signal.aborted) return;
        const at = Date.now();
        s.misses = v ? 0 : (s.misses ?? 0) + 1;
        if (v) {
          s.said = v;
          s.saidAt = at;
        }
        const retry =
          !v && !s.said ? Math.min(VERSION_EVERY_MS, VERSION_UNKNOWN_RETRY_MS * 2 ** (s.misses - 1)) : VERSION_EVERY_MS;
        s.nextAt = at + (at < s.eagerUntil && !v ? VERSION_EAGER_MS : retry);
        this.show(s, v);
      }
    } finally {
      this.asking = false;
    }
  }

  status(): TargetVersion[] {
    return [...this.targets.values()].map((s) => ({
      target: s.target.name,
      version: s.shown?.version ?? null,
      source: s.shown?.source ?? null,
      saidAt: s.saidAt !== undefined ? new Date(s.saidAt).toISOString() : null,
      imageVersion: s.image ?? null,
    }));
  }

  private show(s: TargetState, now?: GatewayVersion): void {
    const v = chooseVersion(now, s.said, s.image);
    if (v?.version === s.shown?.version && v?.source === s.shown?.source) return;
    s.shown = v;
    this.onChange(s.target.name, v);
  }
}
