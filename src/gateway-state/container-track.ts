import type { ContainerConfig } from '../config/schema.js';
import type { ContainerInspect, DockerEvent, DockerSource } from '../logs/docker-source.js';
import {
  advance,
  epochMs,
  firstLook,
  healthOf,
  NO_HINTS,
  runningOf,
  type ContainerMemory,
  type EventHints,
  type HealthStatus,
} from './container-facts.js';
import type { ContainerStore, StoredContainer } from './container-store.js';
import { versionFromImage } from './build-version.js';
import { lookAt, pendingFiles, takeBaseline, type Baseline, type FileLook, type PendingFile } from './watched-files.js';

/** What one look at a followed container found, for the recorder and /status. */
export interface ContainerFacts {
  container: string;
  /** Whether Docker knows a container by that name. */
  present: boolean;
  running: boolean;
  /** Docker's status word (`running`, `exited`, `restarting`, ...); `missing` when there is none. */
  status: string;
  health: HealthStatus;
  id?: string;
  image?: string;
  /** The version its image names (tag or label), if any. */
  imageVersion?: string;
  startedAtMs?: number;
  finishedAtMs?: number;
  exitCode?: number;
  /** Docker's RestartCount now, and the restarts and OOM kills counted (kept across mcpwatch restarts). */
  restartCount: number;
  restarts: number;
  ooms: number;
  /** Watched files changed since the running container started (a restart loads them). */
  pending: PendingFile[];
  /** Watched files that could not be read, with why. */
  unreadable: Array<{ path: string; error: string }>;
}

export interface TrackEvents {
  facts(f: ContainerFacts): void;
  /** A start not seen before (the gateway in it started again). */
  started(container: string): void;
}

/**
 * One followed container: its state looked up (inspect) at start, on each of its Docker events and
 * now and then, one look at a time; its counters kept in the store; its watched files (stat and
 * hash) against the baseline of the run.
 */
export class ContainerTrack {
  private memory: ContainerMemory | undefined;
  private files: StoredContainer['files'];
  private inspect: ContainerInspect | undefined;
  private hints: EventHints = NO_HINTS;
  private readonly fileCache = new Map<string, FileLook>();
  private looks: Record<string, FileLook> = {};
  private loaded = false;
  private looking: Promise<void> | undefined;
  private again = false;
  lastError: string | undefined;

  constructor(
    readonly config: ContainerConfig,
    private readonly docker: DockerSource,
    private readonly store: ContainerStore,
    private readonly events: TrackEvents,
  ) {}

  get name(): string {
    return this.config.name;
  }

  /** A Docker event of this container: its hints noted, and a look. */
  event(e: DockerEvent): void {
    if (e.action.startsWith('exec_')) return; // a HEALTHCHECK's own exec: its result comes as health_status
    if (e.action === 'oom') this.hints = { ...this.hints, ooms: this.hints.ooms + 1 };
    if (e.action === 'die') {
      const code = Number(e.attributes?.exitCode);
      if (Number.isInteger(code)) this.hints = { ...this.hints, exitCode: code };
    }
    void this.look();
  }

  /** Looks at the container (and its files) now; a look asked for during one runs once after it. */
  look(): Promise<void> {
    if (this.looking) {
      this.again = true;
      return this.looking;
    }
    this.looking = (async () => {
      do {
        this.again = false;
        await this.lookOnce();
      } while (this.again);
    })().finally(() => (this.looking = undefined));
    return this.looking;
  }

  /** The watched files only (between looks at the container). */
  async checkFiles(): Promise<void> {
    if (this.config.watchFiles.length === 0 || this.looking) return;
    await this.filesLook();
    this.report();
  }

  async flush(): Promise<void> {
    await this.looking;
    await this.store.flush();
  }

  private async lookOnce(): Promise<void> {
    if (!this.loaded) {
      const stored = await this.store.load(this.name);
      this.memory = stored?.memory;
      this.files = stored?.files;
      this.loaded = true;
    }
    const hintsBefore = this.hints;
    let c: ContainerInspect | undefined;
    try {
      c = await this.docker.inspect(this.name);
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
      return;
    }
    this.inspect = c;
    if (c) this.apply(c, hintsBefore);
    await this.filesLook();
    this.report();
  }

  private apply(c: ContainerInspect, hints: EventHints): void {
    const before = JSON.stringify(this.memory);
    let started = false;
    if (!this.memory) this.memory = firstLook(c);
    else {
      const a = advance(this.memory, c, hints);
      this.memory = a.memory;
      started = a.started;
      // Hints noted during the inspect stay for the next look.
      if (a.hintsUsed) {
        const code = this.hints.exitCode !== hints.exitCode ? this.hints.exitCode : undefined;
        this.hints = { ooms: this.hints.ooms - hints.ooms, ...(code !== undefined && { exitCode: code }) };
      }
    }
    if (JSON.stringify(this.memory) !== before) void this.save();
    if (started) this.events.started(this.name);
  }

  /** Stat (and hash) the watched files; a baseline for the running container's run when it has none. */
  private async filesLook(): Promise<void> {
    const paths = this.config.watchFiles;
    if (paths.length === 0) return;
    this.looks = await lookAt(paths, this.fileCache);
    const startedAt = this.memory?.startedAt ?? '';
    const startedMs = epochMs(startedAt);
    if (startedMs === undefined) return;
    const files = this.files;
    const missing = paths.filter((p) => !files || files.startedAt !== startedAt || !(p in files.baseline));
    if (missing.length === 0) return;
    const fresh = takeBaseline(Object.fromEntries(missing.map((p) => [p, this.looks[p]!])), startedMs);
    const kept = files?.startedAt === startedAt ? files.baseline : {};
    this.files = { startedAt, baseline: { ...kept, ...fresh } };
    void this.save();
  }

  private save(): Promise<unknown> {
    if (!this.memory) return Promise.resolve();
    return this.store.save(this.name, { memory: this.memory, ...(this.files && { files: this.files }) });
  }

  private report(): void {
    this.events.facts(this.facts());
  }

  facts(now = Date.now()): ContainerFacts {
    const m = this.memory;
    const baseline = this.files && m && this.files.startedAt === m.startedAt ? this.files.baseline : {};
    return factsOf(this.name, this.inspect, m, baseline, this.looks, now);
  }
}

/** Pure: what one look found, from Docker's answer, the counters' memory and the watched files against the baseline. */
export function factsOf(
  container: string,
  c: ContainerInspect | undefined,
  m: ContainerMemory | undefined,
  baseline: Baseline,
  looks: Readonly<Record<string, FileLook>>,
  now: number,
): ContainerFacts {
  const imageVersion = c ? versionFromImage(c.image, c.labels) : undefined;
  return {
    container,
    present: c !== undefined,
    running: runningOf(c),
    status: c?.status ?? 'missing',
    health: healthOf(c),
    ...(c && { id: c.id.slice(0, 12), image: c.image }),
    ...(imageVersion && { imageVersion }),
    ...(m?.startedAt && { startedAtMs: epochMs(m.startedAt) }),
    ...(m?.finishedAt && { finishedAtMs: epochMs(m.finishedAt) }),
    ...(m?.exitCode !== undefined && { exitCode: m.exitCode }),
    restartCount: m?.restartCount ?? 0,
    restarts: m?.restarts ?? 0,
    ooms: m?.ooms ?? 0,
    pending: pendingFiles(baseline, looks, now),
    unreadable: Object.entries(looks)
      .filter(([, l]) => l.error !== undefined)
      .map(([path, l]) => ({ path, error: l.error! })),
  };
}
