import Docker from 'dockerode';
import type { Readable } from 'node:stream';

/**
 * The Docker Engine API, read-only: only GET requests (container list and inspect, logs, events,
 * ping), so a socket proxy that allows CONTAINERS and EVENTS is enough.
 */
export interface ContainerInfo {
  id: string;
  name: string;
  running: boolean;
  tty: boolean;
  /** When the container was created (epoch ms). */
  created: number;
}

export interface DockerEvent {
  action: string;
  id: string;
  name: string;
  /** The event's attributes as Docker gives them (e.g. `exitCode` of `die`); never a container's environment. */
  attributes?: Readonly<Record<string, string>>;
  /** When Docker says it happened (epoch ms; 0 when it does not say). */
  at?: number;
}

/** What `GET /containers/{name}/json` says of a container's state and image (nothing of its config beyond that). */
export interface ContainerInspect {
  id: string;
  name: string;
  /** `running`, `exited`, `restarting`, `created`, `paused`, `dead`, ... */
  status: string;
  running: boolean;
  restarting: boolean;
  oomKilled: boolean;
  exitCode: number;
  /** Docker's RFC 3339 times; `0001-01-01T00:00:00Z` for never. */
  startedAt: string;
  finishedAt: string;
  /** Docker's restart-policy restarts of this container (reset by a manual start). */
  restartCount: number;
  /** HEALTHCHECK status: `starting`, `healthy`, `unhealthy`; undefined without a healthcheck. */
  health: string | undefined;
  /** The image as the container was created from it (`Config.Image`), and the image's id. */
  image: string;
  imageId: string;
  /** The container's labels (which include the image's own labels). */
  labels: Readonly<Record<string, string>>;
}

export class DockerSource {
  private readonly docker: Docker;

  /** Where the API is: the socket path, or the URL (a socket proxy's TCP endpoint). */
  readonly endpoint: string;

  constructor(where: { socketPath: string; url?: string | undefined }) {
    if (where.url) {
      const u = new URL(where.url);
      const protocol = u.protocol === 'https:' ? 'https' : 'http';
      this.docker = new Docker({
        protocol,
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || (protocol === 'https' ? 443 : 80),
        timeout: 0,
      });
      this.endpoint = u.origin;
    } else {
      this.docker = new Docker({ socketPath: where.socketPath, timeout: 0 });
      this.endpoint = where.socketPath;
    }
  }

  async ping(timeoutMs?: number): Promise<void> {
    // dockerode takes an abort signal here; its type definitions do not say so.
    const docker = this.docker as unknown as { ping(opts: { abortSignal?: AbortSignal }): Promise<unknown> };
    await docker.ping(timeoutMs ? { abortSignal: AbortSignal.timeout(timeoutMs) } : {});
  }

  /** The container with exactly this name, running or not; undefined when there is none. */
  async find(name: string): Promise<ContainerInfo | undefined> {
    const list = await this.docker.listContainers({ all: true, filters: { name: [`^/${escapeRegex(name)}$`] } });
    const hit = list.find((c) => c.Names.includes(`/${name}`));
    if (!hit) return undefined;
    const info = await this.docker.getContainer(hit.Id).inspect();
    return {
      id: info.Id,
      name,
      running: info.State.Running,
      tty: Boolean(info.Config.Tty),
      created: Date.parse(info.Created),
    };
  }

  /** The container with exactly this name (GET /containers/{name}/json); undefined when there is none. */
  async inspect(name: string): Promise<ContainerInspect | undefined> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(name).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
    const state = info.State;
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      status: state.Status,
      running: state.Running,
      restarting: state.Restarting,
      oomKilled: state.OOMKilled,
      exitCode: state.ExitCode,
      startedAt: state.StartedAt,
      finishedAt: state.FinishedAt,
      restartCount: info.RestartCount,
      health: state.Health?.Status || undefined,
      image: info.Config.Image,
      imageId: info.Image,
      labels: info.Config.Labels ?? {},
    };
  }

  /**
   * A container's log with timestamps, from `since` (inclusive, Docker's fractional seconds) or the
   * last `tail` lines, as a stream: followed (`follow`, for a running container: it ends when the
   * container stops) or up to its current end (a container that is not running: Docker may keep
   * a follow of a created-but-not-started container open without ever ending it). `until` ends an
   * unfollowed read at that time.
   */
  async logs(
    id: string,
    from: { since?: string; until?: string; tail?: number | 'all' },
    follow = true,
  ): Promise<Readable> {
    const options = {
      follow,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(from.since !== undefined && { since: from.since }),
      ...(from.until !== undefined && { until: from.until }),
      ...(from.tail !== undefined && { tail: from.tail }),
    };
    // As dockerode's container.logs(), but always as a stream (it buffers the whole log without follow).
    const modem = (
      this.docker as unknown as { modem: { dial(opts: object, cb: (err: Error | null, data: unknown) => void): void } }
    ).modem;
    return new Promise((resolve, reject) => {
      modem.dial(
        {
          path: `/containers/${encodeURIComponent(id)}/logs?`,
          method: 'GET',
          isStream: true,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
          options,
        },
        (err, data) => (err ? reject(err) : resolve(data as Readable)),
      );
    });
  }

  /** Container events, one parsed object per event. */
  async events(onEvent: (e: DockerEvent) => void): Promise<Readable> {
    const stream = (await this.docker.getEvents({ filters: { type: ['container'] } })) as unknown as Readable;
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (!line) continue;
        try {
          const e = JSON.parse(line) as {
            Action?: string;
            status?: string;
            id?: string;
            timeNano?: number;
            Actor?: { ID?: string; Attributes?: Record<string, string> };
          };
          onEvent({
            action: e.Action ?? e.status ?? '',
            id: e.Actor?.ID ?? e.id ?? '',
            name: e.Actor?.Attributes?.name ?? '',
            attributes: e.Actor?.Attributes ?? {},
            at: typeof e.timeNano === 'number' ? Math.floor(e.timeNano / 1e6) : 0,
          });
        } catch {
          // not an event: ignore
        }
      }
    });
    return stream;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
