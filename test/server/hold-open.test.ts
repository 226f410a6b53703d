import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { CONNECTION_TIMEOUT_MS, holdOpenWhileAnswering } from '../../src/server/hold-open.js';
import { FakePort, logger, probeResult } from '../support/fake-agent-port.js';

/** A request on a socket whose timeouts are recorded, and its reply. */
function exchange(socket: object | undefined): { req: FastifyRequest; reply: FastifyReply; raw: EventEmitter } {
  const raw = new EventEmitter();
  return {
    req: { raw: { socket } } as unknown as FastifyRequest,
    reply: { raw } as unknown as FastifyReply,
    raw,
  };
}

describe('holdOpenWhileAnswering', () => {
  it("lifts the socket's idle timeout until the answer is sent, then puts the usual one back", () => {
    const timeouts: number[] = [];
    const { req, reply, raw } = exchange({ setTimeout: (ms: number) => timeouts.push(ms) });
    holdOpenWhileAnswering(req, reply, 1_234);
    expect(timeouts).toEqual([0]);
    raw.emit('finish');
    expect(timeouts).toEqual([0, 1_234]);
  });

  it('puts it back when the connection closes before an answer, with CONNECTION_TIMEOUT_MS by default', () => {
    const timeouts: number[] = [];
    const { req, reply, raw } = exchange({ setTimeout: (ms: number) => timeouts.push(ms) });
    holdOpenWhileAnswering(req, reply);
    raw.emit('close');
    expect(timeouts).toEqual([0, CONNECTION_TIMEOUT_MS]);
  });

  it('leaves a destroyed socket alone', () => {
    const timeouts: number[] = [];
    const socket = { destroyed: false, setTimeout: (ms: number) => timeouts.push(ms) };
    const { req, reply, raw } = exchange(socket);
    holdOpenWhileAnswering(req, reply, 500);
    socket.destroyed = true;
    raw.emit('close');
    expect(timeouts).toEqual([0]);
  });

  it("does nothing without a real socket (fastify's inject)", () => {
    const { req, reply, raw } = exchange(undefined);
    holdOpenWhileAnswering(req, reply);
    expect(raw.listenerCount('finish')).toBe(0);
  });
});

describe('a request that runs a probe, on a real socket', () => {
  // The idle timeout made short: a probe that takes longer than it must still be answered,
  // and an idle connection must still be closed.
  const IDLE_MS = 400;
  let app: FastifyInstance;
  let base: string;

  beforeEach(async () => {
    const port = new FakePort();
    port.runProbe = async (name: string) => {
      await new Promise((r) => setTimeout(r, IDLE_MS * 3));
      return probeResult(name);
    };
    app = await buildApp({ agent: port, logger, connectionTimeoutMs: IDLE_MS });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await app.close();
  });

  it('/probe is answered after longer than the idle timeout; an idle connection is still closed', async () => {
    const res = await fetch(`${base}/probe?name=gw-live`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { probe: string }).probe).toBe('gw-live');
    const u = new URL(base);
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const s = connect(Number(u.port), u.hostname);
      s.on('close', () => resolve(Date.now() - t0));
      s.on('error', () => undefined);
    });
    expect(closedAfter).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(closedAfter).toBeLessThan(IDLE_MS * 5);
  });
});
