import type { Config } from '../config/parse.js';
import type { ContainerConfig } from '../config/schema.js';
import { DockerSource } from '../logs/docker-source.js';
import { Backoff } from '../logs/reconnect.js';
import type { Logger } from '../util/logger.js';
import type { GatewayVersion } from './build-version.js';
import { ContainerStore } from './container-store.js';
import { ContainerTrack, type ContainerFacts } from './container-track.js';
import type { KeyInfo } from './key-info.js';
import {
  keyInfoReader,
  KeyWatch,
  type KeyInfoReader,
  type OwnRequestMarks,
  type TargetKeysStatus,
} from './key-watch.js';
import { readGatewayVersion } from './readiness.js';
import { VersionWatch, type TargetVersion } from './version-watch.js';

/** What the gateway watch tells the rest of mcpwatch; it writes no metrics itself. */
export interface GatewaySink {
  containerAdded(container: string): void;
  containerRemoved(container: string): void;
  containerFacts(f: ContainerFacts): void;
  /** The version a target runs, or undefined (none known, or the target is gone). */
  buildInfo(target: string, v: GatewayVersion | undefined): void;
  /** What a named key of a target said of itself (GET /key/info), or undefined: the key is gone (a reload). */
  keyLifetime(target: string, key: string, info: KeyInfo | undefined): void;
}

/** The gateway's own facts in /status: each followed container, which version each target runs, its keys' lifetimes. */
export interface GatewayStatus {
  containers: Array<ContainerFacts & { target: string | null; error?: string }>;
  versions: TargetVersion[];
  /**
   * Each target's named keys: their lifetimes as the gateway keeps them (targets without named keys absent; none in
   * a one-off look such as the report's snapshot).
   */
  keys?: TargetKeysStatus[];
}

export interface GatewayWatchOptions {
  /** Ask the targets their version (one replica of the shards does). */
  readVersions: boolean;
  /** Ask each target's named keys their lifetimes (GET /key/info); default: as readVersions (one replica asks). */
  readKeys?: boolean;
  /** When the first ask is made after start (default 10 s), for versions and keys alike. */
  firstVersionReadMs?: number;
  /** The key asks (tests); default GET /key/info on the target. */
  keyReader?: KeyInfoReader;
  /** Marks the named keys' asks, so the auth errors they provoke in the gateway's log count as mcpwatch's own. */
  marks?: OwnRequestMarks;
  /** How often the watched files are looked at, and the containers looked at without an event. */
  filesEveryMs?: number;
  inspectEveryMs?: number;
}

const FILES_EVERY_MS = 5_000;
const INSPECT_EVERY_MS = 60_000;

/**
 * The gateway itself, beside its log: each followed container's state from the Docker API (one
 * events stream, an inspect at start, on each of its events and every minute), its watched files,
 * which version each target runs, and each named key's lifetime (the key asking about itself). Read-only GETs,
 * like the log tailing.
 */
export class GatewayWatch {
  private readonly tracks = new Map<string, ContainerTrack>();
  private readonly versions: VersionWatch;
  private readonly keys: KeyWatch;
  private readonly store: ContainerStore;
  private docker: DockerSource | undefined;
  private timer: NodeJS.Timeout | undefined;
  private eventsStream: { destroy(): void } | undefined;
  private eventsLoop: Promise<void> | undefined;
  private wakeEvents: (() => void) | undefined;
  private stopped = false;
  private started = false;
  private lastInspectAll = 0;

  constructor(
    private config: Config,
    private readonly sink: GatewaySink,
    private readonly logger: Logger,
    private readonly opts: GatewayWatchOptions,
  ) {
    this.store = new ContainerStore(config.stateDir);
    this.versions = new VersionWatch(readGatewayVersion, (t, v) => sink.buildInfo(t, v), opts.firstVersionReadMs);
    this.keys = new KeyWatch(
      opts.keyReader ?? keyInfoReader(opts.marks),
      (t, k, info) => sink.keyLifetime(t, k, info),
      logger,
      opts.firstVersionReadMs,
    );
  }

  start(): void {
    this.started = true;
    this.apply(this.config);
    const every = this.opts.filesEveryMs ?? FILES_EVERY_MS;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
    void this.tick();
  }

  /** A reloaded config: containers and targets added, removed or changed (the Docker endpoint needs a restart). */
  reload(config: Config): void {
    this.config = { ...config, stateDir: this.config.stateDir };
    this.apply(this.config);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.versions.stop();
    this.keys.stop();
    this.eventsStream?.destroy();
    this.wakeEvents?.();
    await this.eventsLoop;
    await Promise.all([...this.tracks.values()].map((t) => t.flush()));
  }

  status(): GatewayStatus {
    const tiedTo = new Map(this.config.logs?.containers.map((c) => [c.name, c.target]) ?? []);
    return {
      containers: [...this.tracks.values()].map((t) => ({
        ...t.facts(),
        target: tiedTo.get(t.name) ?? null,
        ...(t.lastError && { error: t.lastError }),
      })),
      versions: this.versions.status(),
      keys: this.keys.status(),
    };
  }

  private apply(config: Config): void {
    this.versions.setTargets(this.opts.readVersions ? config.targets : {});
    this.keys.setTargets((this.opts.readKeys ?? this.opts.readVersions) ? config.targets : {});
    // The Docker API as the config first names it (a change of logs.docker needs a restart, as for the log tailing).
    if (config.logs && !this.docker && this.started) {
      this.docker = new DockerSource(config.logs.docker);
      this.eventsLoop = this.followEvents(this.docker);
    }
    const wanted = new Map((this.docker ? (config.logs?.containers ?? []) : []).map((c) => [c.name, c]));
    for (const [name, t] of this.tracks) {
      const w = wanted.get(name);
      if (w && sameWatch(w, t.config)) continue;
      this.tracks.delete(name);
      this.sink.containerRemoved(name);
    }
    for (const c of wanted.values()) {
      if (this.tracks.has(c.name)) continue;
      this.addTrack(c);
    }
  }

  private addTrack(c: ContainerConfig): void {
    const t = new ContainerTrack(c, this.docker!, this.store, {
      facts: (f) => {
        if (this.tracks.get(c.name) !== t) return; // removed by a reload meanwhile
        this.sink.containerFacts(f);
        if (c.target) this.versions.image(c.target, f.imageVersion);
      },
      started: (name) => {
        this.logger.info({ container: name }, 'container started');
        if (!c.target) return;
        this.versions.started(c.target);
        this.keys.started(c.target);
      },
    });
    this.tracks.set(c.name, t);
    this.sink.containerAdded(c.name);
    void t.look();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    const inspectAll = now - this.lastInspectAll >= (this.opts.inspectEveryMs ?? INSPECT_EVERY_MS);
    if (inspectAll) this.lastInspectAll = now;
    await Promise.all([...this.tracks.values()].map((t) => (inspectAll ? t.look() : t.checkFiles())));
    await Promise.all([this.versions.tick(now), this.keys.tick(now)]);
  }

  /** One events stream for the followed containers, reconnected with backoff; every container looked at again then. */
  private async followEvents(docker: DockerSource): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped) {
      try {
        const stream = await docker.events((e) => this.tracks.get(e.name)?.event(e));
        if (this.stopped) {
          stream.destroy();
          break;
        }
        this.eventsStream = stream;
        backoff.reset();
        // Events may have been missed while the stream was down.
        for (const t of this.tracks.values()) void t.look();
        await new Promise<void>((resolve) => {
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', () => resolve());
        });
        this.eventsStream = undefined;
      } catch (err) {
        this.logger.debug({ err: (err as Error).message }, 'Docker events: retrying');
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff.next());
        this.wakeEvents = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeEvents = undefined;
    }
  }
}

/** Whether a reloaded container entry leaves its watch as it was (its log rules are the log tailing's business). */
function sameWatch(a: ContainerConfig, b: ContainerConfig): boolean {
  return a.target === b.target && JSON.stringify(a.watchFiles) === JSON.stringify(b.watchFiles);
}
