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
}

export interface DockerEvent {
  action: string;
  id: string;
  name: string;
}

export class DockerSource {
  private readonly docker: Docker;

  constructor(readonly socketPath: string) {
    this.docker = new Docker({ socketPath, timeout: 0 });
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  /** The container with exactly this name, running or not; undefined when there is none. */
  async find(name: string): Promise<ContainerInfo | undefined> {
    const list = await this.docker.listContainers({ all: true, filters: { name: [`^/${escapeRegex(name)}$`] } });
    const hit = list.find((c) => c.Names.includes(`/${name}`));
    if (!hit) return undefined;
    const info = await this.docker.getContainer(hit.Id).inspect();
    return { id: info.Id, name, running: info.State.Running, tty: Boolean(info.Config.Tty) };
  }

  /** Follows a container's log with timestamps, from `since` (inclusive, Docker's fractional seconds) or the last `tail` lines. */
  async logs(id: string, from: { since?: string; tail?: number | 'all' }): Promise<Readable> {
    const opts = {
      follow: true as const,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(from.since !== undefined && { since: from.since as unknown as number }),
      ...(from.tail !== undefined && { tail: from.tail as number }),
    };
    return (await this.docker.getContainer(id).logs(opts)) as unknown as Readable;
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
          const e = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: { name?: string } } };
          onEvent({ action: e.Action ?? e.status ?? '', id: e.Actor?.ID ?? e.id ?? '', name: e.Actor?.Attributes?.name ?? '' });
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
