import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Server as NetServer, Socket } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PLAIN_HTTP_TO_TLS, type ClientAuthType, type WebSettings } from '../config/web-config.js';
import type { Logger } from '../util/logger.js';
import { BasicAuth } from './basic-auth.js';

type TlsSettings = NonNullable<WebSettings['tls']>;

/** The HTTPS server's options: the secure context and whether it asks for (and verifies) a client certificate. */
export type HttpsOptions = SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };

/**
 * What Node's TLS server does for each client auth type. Node verifies a certificate in the handshake only when it
 * also requires one (RequireAndVerifyClientCert); the other types ask without verifying, and `peerRefusal` decides
 * after the handshake.
 */
export function serverAuth(type: ClientAuthType): { requestCert: boolean; rejectUnauthorized: boolean } {
  switch (type) {
    case 'NoClientCert':
      return { requestCert: false, rejectUnauthorized: false };
    case 'RequestClientCert':
    case 'RequireAnyClientCert':
    case 'VerifyClientCertIfGiven':
      return { requestCert: true, rejectUnauthorized: false };
    case 'RequireAndVerifyClientCert':
      return { requestCert: true, rejectUnauthorized: true };
  }
}

/** A client's certificate as the handshake left it. */
export interface PeerFacts {
  /** It sent one. */
  present: boolean;
  /** It verifies against the client CAs. */
  authorized: boolean;
  /** Its subject alternative names (DNS, IP, e-mail, URI values). */
  sans: string[];
}

/** Why a TLS connection is refused after its handshake (client_auth_type, client_allowed_sans), or undefined. */
export function peerRefusal(tls: Pick<TlsSettings, 'clientAuth' | 'allowedSans'>, peer: PeerFacts): string | undefined {
  if (tls.clientAuth === 'RequireAnyClientCert' && !peer.present) return 'no client certificate';
  if (tls.clientAuth === 'VerifyClientCertIfGiven' && peer.present && !peer.authorized)
    return 'client certificate not signed by client_ca_file';
  if (tls.allowedSans && !peer.sans.some((s) => tls.allowedSans!.includes(s)))
    return peer.present ? 'client certificate has none of client_allowed_sans' : 'no client certificate';
  return undefined;
}

/** The values of Node's `subjectaltname` (`DNS:a, IP Address:127.0.0.1, email:x@y, URI:spiffe://z`; quoted when odd). */
export function sanValues(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  const out: string[] = [];
  for (const m of subjectaltname.matchAll(/(?:^|, )(?:DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const v = m[1]!;
    out.push(v.startsWith('"') ? (JSON.parse(v) as string) : v);
  }
  return out;
}

/** What Go's HTTPS server (the exporter-toolkit's) answers a plain-HTTP request on its TLS port. */
export const PLAIN_HTTP_ANSWER =
  'HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n' +
  `${PLAIN_HTTP_TO_TLS}\n`;

/** How long a new connection to the TLS port may stay silent before its first byte (then it is closed). */
export const FIRST_BYTE_TIMEOUT_MS = 10_000;

/**
 * Plain HTTP to the TLS port answered as Go's servers do (400, "Client sent an HTTP request to an HTTPS server."),
 * not a closed connection: the first byte of each new connection is peeked, a TLS handshake (a record of type 22,
 * 0x16) goes on to the TLS server with that byte put back, anything else gets the 400 and the connection closed.
 */
export function answerPlainHttp(server: NetServer, firstByteTimeoutMs = FIRST_BYTE_TIMEOUT_MS): void {
  // The TLS server's own listener (it wraps the socket in a TLSSocket), taken off to run after the peek.
  const tlsListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    socket.setTimeout(firstByteTimeoutMs, () => socket.destroy());
    socket.once('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      if (chunk[0] === 0x16) {
        // The TLS socket reads what is buffered first (Node's TLSSocket takes a socket's unread data).
        socket.unshift(chunk);
        for (const listener of tlsListeners) listener.call(server, socket);
        return;
      }
      socket.end(PLAIN_HTTP_ANSWER);
    });
  });
}

/** The toolkit's rate limit: a token bucket of `burst`, one token back every `intervalMs`. */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly intervalMs: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.at = now;
  }

  allow(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) / this.intervalMs);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The web config (`--web.config.file`) applied to the HTTP server: every request through one onRequest hook (the
 * response headers, the rate limit, basic auth), HTTPS with the client certificate checks, and a reload's new
 * certificates, users and headers put in place without a restart. TLS itself is on or off for the server's life.
 */
export class WebGate {
  private settings: WebSettings | null;
  private auth: BasicAuth;
  private bucket: TokenBucket | undefined;
  private server: HttpsServer | undefined;

  constructor(
    settings: WebSettings | null,
    private readonly logger: Logger,
  ) {
    this.settings = settings;
    this.auth = new BasicAuth(settings?.users ?? {});
    this.bucket = bucketOf(settings);
  }

  /** Whether the server speaks HTTPS (decided at start). */
  get tls(): boolean {
    return this.settings?.tls !== undefined;
  }

  /** Fastify's `https` option; undefined: plain HTTP. */
  httpsOptions(): HttpsOptions | undefined {
    const tls = this.settings?.tls;
    return tls && { ...tls.context, ...serverAuth(tls.clientAuth) };
  }

  /**
   * On the app before its routes: the hook every request passes, and the checks of each TLS connection. `mcpToken`:
   * the token `/mcp` checks itself; a request to `/mcp` with a Bearer token is left to it when one is set.
   */
  install(app: FastifyInstance, opts: { mcpToken?: () => string | undefined } = {}): void {
    if (this.tls) {
      const server = (this.server = app.server as unknown as HttpsServer);
      answerPlainHttp(server);
      // Before the HTTP server reads the connection: a refused one never gets to send a request.
      server.prependListener('secureConnection', (socket: TLSSocket) => this.checkPeer(socket));
      server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) =>
        this.logger.debug({ remote: socket.remoteAddress, code: err.code }, 'TLS handshake failed'),
      );
    }
    // The headers at the Node level, before Fastify sees the request: every answer carries them, whichever hook
    // answers first (a 403 of the DNS-rebinding guard) and what a route writes itself (/mcp).
    app.server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      for (const [name, value] of Object.entries(this.settings?.headers ?? {})) res.setHeader(name, value);
    });
    app.addHook('onRequest', (req, reply) => this.gate(req, reply, opts.mcpToken));
  }

  /** A reload's web config: users, headers, rate limit, and for HTTPS the certificates and client auth. */
  apply(next: WebSettings | null): void {
    this.settings = next;
    this.auth = new BasicAuth(next?.users ?? {});
    this.bucket = bucketOf(next);
    const server = this.server;
    if (server && next?.tls) {
      // New connections get the new context; open ones keep theirs.
      server.setSecureContext(next.tls.context);
      Object.assign(server as unknown as Record<string, boolean>, serverAuth(next.tls.clientAuth));
    }
  }

  private checkPeer(socket: TLSSocket): void {
    const tls = this.settings?.tls;
    if (!tls || tls.clientAuth === 'NoClientCert') return;
    const cert = socket.getPeerCertificate();
    const present = cert !== null && Object.keys(cert).length > 0;
    const why = peerRefusal(tls, {
      present,
      authorized: socket.authorized,
      sans: present ? sanValues(cert.subjectaltname) : [],
    });
    if (why === undefined) return;
    this.logger.info({ remote: socket.remoteAddress, reason: why }, 'TLS connection refused');
    socket.destroy();
  }

  private async gate(
    req: FastifyRequest,
    reply: FastifyReply,
    mcpToken: (() => string | undefined) | undefined,
  ): Promise<FastifyReply | undefined> {
    const s = this.settings;
    if (!s) return undefined;
    // Set again here for requests that come through no server (fastify's inject).
    for (const [name, value] of Object.entries(s.headers)) reply.raw.setHeader(name, value);
    if (this.bucket && !this.bucket.allow()) return reply.code(429).send({ error: 'Too Many Requests' });
    const auth = this.auth;
    if (!auth.enabled) return undefined;
    const header = req.headers.authorization;
    const route = req.routeOptions.url;
    if ((route === '/mcp' || route === '/mcp/') && /^bearer /i.test(header ?? '') && mcpToken?.()) return undefined;
    if (await auth.check(header)) return undefined;
    return reply.code(401).header('WWW-Authenticate', 'Basic').send({ error: 'Unauthorized' });
  }
}

function bucketOf(s: WebSettings | null): TokenBucket | undefined {
  return s?.rateLimit && new TokenBucket(s.rateLimit.intervalMs, s.rateLimit.burst);
}
