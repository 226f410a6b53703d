import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SdkErrorCode, SdkHttpError, type Transport } from '@modelcontextprotocol/client';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { SessionFetch } from '../../../src/probes/mcp/session-fetch.js';
import { ProbeFailure } from '../../../src/probes/types.js';
import { KEY, testRun, testTarget, type TestRun } from './test-run.js';

// The fetch under an MCP session, against a real local HTTP server whose answers each test writes by hand: what it
// logs and records, the byte limit, where an SSE stream may end, the resumption of a request's stream, and what
// fails the session out of band.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler;
let server: Server;
let url: string;
const sockets = new Set<Socket>();
const runs: TestRun[] = [];

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp/`;
});
afterEach(async () => {
  for (const r of runs.splice(0)) await r.close();
  for (const s of sockets) s.destroy();
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function session(
  spec: { label?: string; maxResponseBytes?: number } = {},
  over: Partial<Target> = {},
): { traffic: SessionFetch; run: TestRun } {
  const run = testRun(testTarget(url.replace(/\/mcp\/$/, ''), over));
  runs.push(run);
  return { traffic: new SessionFetch(run.ctx, spec), run };
}

const sse = (body: string, end = true): Handler => {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (end) res.end(body);
    else res.write(body);
  };
};

/** What `failed` did within a moment: its reason, or 'pending'. */
async function settled(traffic: SessionFetch): Promise<unknown> {
  return Promise.race([
    traffic.failed.catch((e: unknown) => e),
    new Promise((r) => setTimeout(() => r('pending'), 50)),
  ]);
}

const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize' });

describe('SessionFetch: what it logs and records', () => {
  it('each request and answer in the step log (key masked); a redirect reported, not followed', async () => {
    handler = (req, res) => {
      if (req.method === 'GET') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end('{}');
    };
    const { traffic, run } = session({ label: 'wrong_key' });
    const get = await traffic.fetch(url, { method: 'GET', headers: { authorization: `Bearer ${KEY}` } });
    expect(get.status).toBe(302);
    await traffic.fetch(url, { method: 'POST', headers: new Headers({ authorization: KEY }), body: INITIALIZE });
    expect(traffic.responses).toEqual([
      { method: 'GET', url, status: 302, location: '/elsewhere', auth: 'bearer' },
      // An error's body is kept, with the JSON-RPC method it answered.
      { method: 'POST', url, status: 401, wwwAuthenticate: 'Bearer', auth: 'no_scheme', rpc: 'initialize', body: '{}' },
    ]);
    expect(run.steps.map((s) => s.msg)).toEqual([
      `[wrong_key] GET ${url}  (open server→client stream)`,
      '[wrong_key] ← 302 Found  (open server→client stream)',
      `[wrong_key] POST ${url}  initialize`,
      '[wrong_key] ← 401 Unauthorized (application/json)  initialize',
    ]);
    expect(JSON.stringify(run.steps)).not.toContain(KEY);
    expect(run.steps[0]!.data).toEqual({ headers: { authorization: expect.stringMatching(/^Bearer sk-/) } });
  });
});

describe('SessionFetch: bodies', () => {
  it('an answer over the byte limit fails the session, and reading it stops', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(4096));
    const { traffic } = session({ maxResponseBytes: 1024 });
    const res = await traffic.fetch(url, { method: 'POST', body: INITIALIZE });
    await expect(res.text()).rejects.toThrow();
    const err = await settled(traffic);
    expect(err).toBeInstanceOf(ProbeFailure);
    expect(err).toMatchObject({
      outcome: 'protocol_error',
      message: 'response from gw larger than 1 KiB (maxResponseBytes): stopped reading it',
    });
  });

  it("an SSE answer to a POST cut inside an event fails the session; the standalone stream's end does not", async () => {
    handler = sse('event: message\ndata: {"jsonrpc":"2.0","id":1,"res');
    const { traffic } = session();
    const get = await traffic.fetch(url, { method: 'GET' });
    await get.text();
    expect(await settled(traffic)).toBe('pending');
    const post = await traffic.fetch(url, { method: 'POST', body: INITIALIZE });
    await expect(post.text()).rejects.toThrow();
    expect(await settled(traffic)).toMatchObject({
      message: 'the SSE stream from gw ended in the middle of an event',
    });
  });

  it("a request's SSE answer that ends cleanly without its answer fails the session, unless it can be resumed", async () => {
    const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const note = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n';
    const answered = async (events: string, answer: boolean): Promise<unknown> => {
      handler = sse(events);
      const { traffic } = session();
      // Stands for the SDK's transport: the answers it hands on are what the session sees.
      const transport = {} as Transport;
      traffic.observe(transport);
      transport.onmessage = () => undefined;
      await (await traffic.fetch(url, { method: 'POST', body: LIST })).text();
      if (answer) transport.onmessage({ jsonrpc: '2.0', id: 2, result: { tools: [] } });
      await new Promise((r) => setTimeout(r, 400));
      return settled(traffic);
    };
    expect(await answered(note, false)).toMatchObject({
      outcome: 'protocol_error',
      message:
        'gw ended the stream of its answer to tools/list without the answer, and with no event id to resume it from: ' +
        'the gateway was stopped or restarted during the request, or dropped it',
    });
    // Answered on that stream (the SDK got it): nothing wrong.
    expect(await answered(note, true)).toBe('pending');
    // An event id: the SDK resumes the stream with Last-Event-ID (see "resuming a request's stream").
    expect(await answered(`id: e1\n${note}`, false)).toBe('pending');
  });

  it('the legacy session stream must not end while the session is in use; once it is closing, it may', async () => {
    handler = sse('event: endpoint\ndata: /mcp/sse/messages?sessionId=1\n\n');
    const using = session({}, { transport: 'sse' });
    await (await using.traffic.fetch(url, { method: 'GET' })).text().catch(() => undefined);
    expect(using.run.steps[0]!.msg).toBe(`GET ${url}  (open SSE session stream)`);
    expect(await settled(using.traffic)).toMatchObject({
      message: 'gw closed the SSE session stream while the session was in use',
    });

    const closing = session({}, { transport: 'sse' });
    const res = await closing.traffic.fetch(url, { method: 'GET' });
    closing.traffic.beginClose();
    await res.text().catch(() => undefined);
    expect(await settled(closing.traffic)).toBe('pending');
  });
});

describe("SessionFetch: a 429's Retry-After (LiteLLM's rate limits), waited once within the timeout", () => {
  const LIMITED = '{"detail":"Rate limit exceeded for mcp_server: ev. Limit type: requests."}';
  /** Answers 429 with `retryAfter` the first `times` POSTs, then 200; counts the POSTs. */
  const limitedThenOk = (retryAfter: string | undefined, times: number) => {
    const seen = { posts: 0 };
    handler = (req, res) => {
      if (++seen.posts <= times) {
        res.writeHead(429, { 'content-type': 'application/json', ...(retryAfter && { 'retry-after': retryAfter }) });
        res.end(LIMITED);
      } else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      req.resume();
    };
    return seen;
  };

  it('a wait that fits: waited, the same request sent again once, and its answer passed on', async () => {
    const seen = limitedThenOk('1', 1);
    const { traffic, run } = session({}, { headers: { 'x-mcp-servers': 'ev' } });
    const started = Date.now();
    const res = await traffic.fetch(url, { method: 'POST', body: INITIALIZE, headers: { 'x-mcp-servers': 'ev' } });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(seen.posts).toBe(2);
    expect(traffic.responses.map((r) => [r.status, r.retryAfter, r.retry, r.servers])).toEqual([
      [429, '1', 'waited', 'ev'],
      [200, undefined, undefined, 'ev'],
    ]);
    expect(run.steps.map((s) => s.msg)).toContainEqual(
      'the gateway asks to retry after 1s (Retry-After): waiting, then sending the request again (once)',
    );
  });

  it('refused again after the wait: not waited a second time', async () => {
    const seen = limitedThenOk('1', 5);
    const { traffic } = session();
    const res = await traffic.fetch(url, { method: 'POST', body: INITIALIZE });
    expect([res.status, seen.posts]).toEqual([429, 2]);
    expect(traffic.responses.map((r) => r.retry)).toEqual(['waited', 'second_refusal']);
    expect(traffic.responses[1]!.body).toBe(LIMITED);
  });

  it("a wait longer than what is left of the timeout, or none given: no wait, and the answer's body kept", async () => {
    limitedThenOk('60', 5);
    const { traffic, run } = session();
    const started = Date.now();
    expect((await traffic.fetch(url, { method: 'POST', body: INITIALIZE })).status).toBe(429);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(traffic.responses.map((r) => [r.retryAfter, r.retry, r.body])).toEqual([['60', 'beyond_timeout', LIMITED]]);
    expect(run.steps.map((s) => s.msg)).toContainEqual(
      "the gateway asks to retry after 1m (Retry-After): later than this probe's timeout allows, not waited for",
    );
    limitedThenOk(undefined, 5);
    const none = session();
    expect((await none.traffic.fetch(url, { method: 'POST', body: INITIALIZE })).status).toBe(429);
    expect(none.traffic.responses.map((r) => r.retry)).toEqual(['no_retry_after']);
  });
});

describe("SessionFetch: resuming a request's stream", () => {
  /** POST: an SSE stream that primes (id, retry) and ends before the answer; GET: `onGet`. */
  function primingServer(onGet: Handler): void {
    handler = (req, res) =>
      req.method === 'POST' ? sse('id: ev-1\nretry: 250\ndata: \n\n')(req, res) : onGet(req, res);
  }

  it('a GET with the Last-Event-ID of a request is a resumption; its refusal fails the session', async () => {
    primingServer((_req, res) => res.writeHead(405).end());
    const { traffic, run } = session();
    await (await traffic.fetch(url, { method: 'POST', body: INITIALIZE })).text();
    await (await traffic.fetch(url, { method: 'POST', body: INITIALIZE })).text();
    // Not a request's id: the standalone stream.
    await traffic.fetch(url, { method: 'GET', headers: { 'last-event-id': 'other' } });
    expect(await settled(traffic)).toBe('pending');
    await traffic.fetch(url, { method: 'GET', headers: { 'last-event-id': 'ev-1' } });
    const msgs = run.steps.map((s) => s.msg);
    expect(msgs.filter((m) => m.includes('SSE retry'))).toEqual([
      'the server asks to reconnect after 250ms if a stream breaks (SSE retry)',
    ]);
    expect(msgs).toContain(`GET ${url}  (open server→client stream)`);
    expect(msgs).toContain(
      `GET ${url}  (resume the stream after event "ev-1": the server closed it before the response)`,
    );
    expect(await settled(traffic)).toMatchObject({
      message:
        'gw closed the stream of a request before answering it, and refused to resume it (GET with Last-Event-ID: 405 Method Not Allowed)',
    });
  });

  it('a server that closes the stream of a request again and again: the session gives up after 10 resumptions', async () => {
    primingServer(sse('id: ev-1\n\n'));
    const { traffic } = session();
    await (await traffic.fetch(url, { method: 'POST', body: INITIALIZE })).text();
    const resume = (): Promise<Response> => traffic.fetch(url, { method: 'GET', headers: { 'last-event-id': 'ev-1' } });
    for (let i = 0; i < 10; i++) await (await resume()).text();
    const reason =
      'gw closed the stream of a request 10 times without answering it (each time resumed with Last-Event-ID)';
    await expect(resume()).rejects.toMatchObject({ outcome: 'protocol_error', message: reason });
    expect(await settled(traffic)).toMatchObject({ message: reason });
  });

  it('the SDK giving up on resuming a request fails the session; giving up on the standalone stream does not', async () => {
    primingServer(sse('', false));
    const giveUp = new Error('Maximum reconnection attempts (3) exceeded.');
    const { traffic } = session();
    await (await traffic.fetch(url, { method: 'POST', body: INITIALIZE })).text();
    await traffic.fetch(url, { method: 'GET' });
    traffic.onClientError(giveUp);
    expect(await settled(traffic)).toBe('pending');
    await traffic.fetch(url, { method: 'GET', headers: { 'last-event-id': 'ev-1' } });
    traffic.onClientError(giveUp);
    expect(await settled(traffic)).toMatchObject({
      message: 'gw closed the stream of a request before answering it, and resuming it failed 3 times',
    });
  });
});

describe('SessionFetch: errors out of band, and the end of a session', () => {
  it('the SDK reports: an HTTP error shows its body; a message that is not JSON-RPC fails the session', async () => {
    const { traffic, run } = session({ label: 'x' });
    traffic.onClientError(
      new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, 'Error POSTing to endpoint: {"detail":"no"}', {
        status: 401,
        text: '{"detail":"no"}',
      }),
    );
    expect(await settled(traffic)).toBe('pending');
    let syntax: Error;
    try {
      JSON.parse('not json');
    } catch (e) {
      syntax = e as Error;
    }
    traffic.onClientError(syntax!);
    expect(run.steps.map((s) => s.msg)).toEqual([
      '[x] body: {"detail":"no"}',
      expect.stringMatching(/^\[x\] transport error: Unexpected token/),
    ]);
    expect(await settled(traffic)).toMatchObject({ message: expect.stringMatching(/^invalid MCP message from gw: /) });
  });

  it("after the run's abort, nothing is reported, and the session's last requests go on a connection of their own", async () => {
    handler = (_req, res) => res.writeHead(200).end();
    const { traffic, run } = session();
    run.abort();
    traffic.onClientError(new SyntaxError('late'));
    expect(run.steps).toEqual([]);
    await expect(traffic.fetch(url, { method: 'DELETE' })).rejects.toThrow();
    const dispatcher = new Agent();
    traffic.beginClose({ signal: AbortSignal.timeout(2_000), dispatcher });
    expect((await traffic.fetch(url, { method: 'DELETE' })).status).toBe(200);
    expect(run.steps.map((s) => s.msg)).toContain(`DELETE ${url}  (end session)`);
    await dispatcher.destroy();
    expect(await settled(traffic)).toBe('pending');
  });
});
