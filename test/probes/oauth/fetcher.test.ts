import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthFetcher } from '../../../src/probes/oauth/fetcher.js';
import { ProbeFailure, ProbeTimeoutError } from '../../../src/probes/types.js';

// The fetch of OAuth discovery and token requests, against a real local server: what it logs, what it tells of its
// last request, and how a request that got no answer fails the run.

let server: Server;
let base: string;
const TARGET = { tls: { insecureSkipVerify: false } };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') return;
    const status = req.url === '/refused' ? 401 : 200;
    res.writeHead(status, { 'content-type': 'application/json' }).end('{"issuer":"x"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

function run(signal = new AbortController().signal): {
  signal: AbortSignal;
  timeoutMs: number;
  step(m: string): void;
  steps: string[];
} {
  const steps: string[] = [];
  return { signal, timeoutMs: 2_000, step: (m) => steps.push(m), steps };
}

/** A port nothing listens on (not one of fetch's blocked ports). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('oauthFetcher', () => {
  it('discovery: every request and answer in the step log; a Response the SDK knows; its status', async () => {
    const r = run();
    const f = oauthFetcher(TARGET, r, 'discovery');
    expect(f.status()).toBeUndefined();
    const res = await f.fetch(`${base}/.well-known/oauth-authorization-server`, { method: 'GET' });
    expect(res).toBeInstanceOf(Response);
    expect(await res.json()).toEqual({ issuer: 'x' });
    expect(f.status()).toBe(200);
    expect(r.steps).toEqual([`oauth2: GET ${base}/.well-known/oauth-authorization-server`, 'oauth2: ← 200 OK']);
    expect(f.failure(new Error('after an answer'))).toBeUndefined();
    f.close();
  });

  it('token requests: only a refusal is logged (the request has its own step line)', async () => {
    const r = run();
    const f = oauthFetcher(TARGET, r, 'token');
    await (await f.fetch(`${base}/token`, { method: 'POST', body: 'grant_type=client_credentials' })).text();
    await (await f.fetch(`${base}/refused`, { method: 'POST' })).text();
    expect(f.status()).toBe(401);
    expect(r.steps).toEqual(['oauth2: ← 401 Unauthorized from the token endpoint']);
    f.close();
  });

  it('no answer: the failure names the endpoint and what listens there', async () => {
    const port = await closedPort();
    const closed = `http://127.0.0.1:${port}/token`;
    const token = oauthFetcher(TARGET, run(), 'token');
    const err = await token.fetch(closed, { method: 'POST' }).catch((e: unknown) => e);
    expect(token.failure(err)).toEqual(
      new ProbeFailure(
        'connect_error',
        `the token endpoint ${closed}: connection refused by 127.0.0.1:${port}: is the identity provider running and listening there? (ECONNREFUSED)`,
      ),
    );
    token.close();
    const discovery = oauthFetcher(TARGET, run(), 'discovery');
    const err2 = await discovery.fetch(closed).catch((e: unknown) => e);
    expect(discovery.failure(err2)?.message).toBe(
      `OAuth discovery (${closed}): connection refused by 127.0.0.1:${port}: is the server running and listening there? (ECONNREFUSED)`,
    );
    discovery.close();
  });

  it("the run's timeout while waiting: a timeout naming the endpoint", async () => {
    const ac = new AbortController();
    const f = oauthFetcher(TARGET, run(ac.signal), 'token');
    setTimeout(() => ac.abort(new ProbeTimeoutError(300)), 50);
    const err = await f.fetch(`${base}/hang`, { method: 'POST' }).catch((e: unknown) => e);
    expect(f.failure(err)).toMatchObject({
      outcome: 'timeout',
      message: `timeout after 300ms waiting for the token endpoint ${base}/hang`,
    });
    expect(f.failure(new Error('nothing sent yet'))).toBeDefined();
    f.close();
  });
});
