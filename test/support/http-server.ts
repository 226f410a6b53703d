import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Mode = 'ok' | 'slow' | 'hang' | 'error500' | 'unauthorized' | 'echo-auth';

/**
 * A real local HTTP server whose behaviour a test switches: answer, answer slowly, never
 * answer, fail. It counts requests in flight and notices when clients go away.
 */
export class TestHttpServer {
  mode: Mode = 'ok';
  slowMs = 500;
  body = 'I am alive!';
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Requests whose client closed the connection before an answer. */
  abandoned = 0;
  lastHeaders: IncomingMessage['headers'] = {};
  private server: Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening and drops every open connection (the gateway "goes down"). */
  async stop(): Promise<void> {
    if (!this.server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.lastHeaders = req.headers;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.inFlight--;
    };
    res.on('close', () => {
      if (!res.writableFinished) this.abandoned++;
      finish();
    });
    const answer = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
    switch (this.mode) {
      case 'ok':
        return answer(200, this.body);
      case 'slow':
        setTimeout(() => answer(200, this.body), this.slowMs);
        return;
      case 'hang':
        return;
      case 'error500':
        return answer(500, 'Internal Server Error');
      case 'unauthorized':
        return answer(401, '{"detail":"Unauthorized"}');
      case 'echo-auth':
        // Like LiteLLM's error messages that quote the key a client sent.
        return answer(401, `Authentication Error, Received API Key = ${req.headers.authorization ?? ''}`);
    }
  }
}
