import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { frame } from './docker-frames.js';

/** One line of a fake container's log: its stream (1 stdout, 2 stderr) and its text, without the newline. */
export interface FakeLogLine {
  stream: 1 | 2;
  text: string;
}

/**
 * A fake Docker Engine API over HTTP (what `logs.docker.url` points at) with one running, non-TTY
 * container: it answers the GET requests mcpwatch makes (ping, container list and inspect, events,
 * logs), sends the container's lines once as multiplexed frames with Docker's nanosecond
 * timestamps, and keeps the log and events streams open, as a running container's are. For tests
 * that need log tailing without a Docker engine.
 */
export class FakeDocker {
  readonly id = 'd0c5'.repeat(16);
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();
  /** When the container wrote its lines (ns since the epoch): the same on every read, as Docker's log is. */
  private readonly writtenAt = BigInt(Date.now()) * 1_000_000n;
  logRequests = 0;

  constructor(
    readonly container: string,
    private readonly lines: readonly FakeLogLine[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!.replace(/^\/v[\d.]+/, '');
      res.setHeader('content-type', 'application/json');
      if (path === '/_ping') return res.end('OK');
      if (path === '/events') {
        this.open.add(res);
        return res.writeHead(200).flushHeaders();
      }
      if (path === '/containers/json') return res.end(JSON.stringify([{ Id: this.id, Names: [`/${this.container}`] }]));
      if (path === `/containers/${this.id}/json`)
        return res.end(
          JSON.stringify({
            Id: this.id,
            Created: '2026-01-01T00:00:00Z',
            State: { Running: true },
            Config: { Tty: false },
          }),
        );
      if (path === `/containers/${this.id}/logs`) {
        this.logRequests++;
        this.open.add(res);
        res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
        res.write(
          Buffer.concat(
            this.lines.map((l, i) => frame(l.stream, `${nanoTime(this.writtenAt + BigInt(i))} ${l.text}\n`)),
          ),
        );
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ message: `fake docker: no route ${req.method} ${path}` }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Docker's log timestamp: RFC 3339 with nanoseconds, from nanoseconds since the epoch. */
function nanoTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}
