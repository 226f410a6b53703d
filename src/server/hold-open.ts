import type { FastifyReply, FastifyRequest } from 'fastify';

/** A connection idle this long is closed (the server's connectionTimeout). */
export const CONNECTION_TIMEOUT_MS = 30_000;

/**
 * The server cuts a connection idle for `connectionTimeout` (a slow client must not hold it).
 * A request that runs a probe is idle while the probe runs, which may take longer (a 60 s probe
 * timeout, a queue for a slot): once the request has been read, its socket waits as long as the
 * answer takes, and gets its usual timeout back when the answer is sent.
 */
export function holdOpenWhileAnswering(
  req: FastifyRequest,
  reply: FastifyReply,
  usualMs = CONNECTION_TIMEOUT_MS,
): void {
  const socket = req.raw.socket as { setTimeout?: (ms: number) => unknown; destroyed?: boolean } | undefined;
  // (fastify's inject has no real socket)
  if (typeof socket?.setTimeout !== 'function') return;
  socket.setTimeout(0);
  const restore = (): void => {
    if (!socket.destroyed) socket.setTimeout!(usualMs);
  };
  reply.raw.once('finish', restore);
  reply.raw.once('close', restore);
}
