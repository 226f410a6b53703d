import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse.js';
import { freshRequests } from '../../../src/probes/net/fresh-request.js';
import { createPhaseClock } from '../../../src/probes/net/phases.js';
import { readLimited } from '../../../src/probes/net/requests.js';
import type { TlsFacts } from '../../../src/probes/types.js';
import { makeCa, makeCert } from '../../support/test-certs.js';

// One request on a connection of its own, against a real local server: a fresh connection per
// request (connect timed each time), the run's signal ends it while it is open, close() ends
// what the run left open.

let server: Server;
let url: string;
const sockets = new Set<Socket>();
let connections = 0;
let hold: 'none' | 'headers' | 'all' = 'none';

beforeEach(async () => {
  hold = 'none';
  connections = 0;
  server = createServer((req, res) => {
    if (hold === 'all') return;
    res.writeHead(200, { 'content-type': 'text/plain', 'x-seen-ua': req.headers['user-agent'] ?? '' });
    if (hold === 'headers') res.write('part');
    else res.end(`hello ${req.method} ${req.headers.connection}`);
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
});

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

function target() {
  const r = parseConfig(`targets:\n  gw: { url: "${url}" }\nprobes:\n  - { name: h, type: http, target: gw }\n`, {});
  if (!r.ok) throw new Error('config');
  return r.config.targets.gw!;
}

describe('freshRequests', () => {
  it('sends each request on a connection of its own, closed after it, and times the connect', async () => {
    const phases = createPhaseClock();
    const fresh = freshRequests(target(), phases);
    for (let i = 0; i < 3; i++) {
      const res = await fresh.request(url, {
        method: 'GET',
        headers: { 'user-agent': 'mcpwatch/test' },
        signal: new AbortController().signal,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-seen-ua']).toBe('mcpwatch/test');
      expect((await readLimited(res.body, 1000)).text).toBe('hello GET close');
    }
    expect(connections).toBe(3);
    expect(phases.snapshot().connect).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(sockets.size).toBe(0);
    fresh.close();
  });

  it('the signal ends a request waiting for its answer, with the signal’s reason', async () => {
    hold = 'all';
    const fresh = freshRequests(target(), createPhaseClock());
    const ac = new AbortController();
    const pending = fresh.request(url, { method: 'GET', headers: {}, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    const reason = new Error('time is up');
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(fresh.request(url, { method: 'GET', headers: {}, signal: ac.signal })).rejects.toBe(reason);
  });

  it('the signal ends a body being read; close() ends one nobody reads; a finished one is left alone', async () => {
    hold = 'headers';
    const fresh = freshRequests(target(), createPhaseClock());
    const ac = new AbortController();
    const res = await fresh.request(url, { method: 'GET', headers: {}, signal: ac.signal });
    const reading = readLimited(res.body, 1000);
    setTimeout(() => ac.abort(new Error('body too slow')), 50);
    await expect(reading).rejects.toThrow('body too slow');

    const unread = await fresh.request(url, { method: 'GET', headers: {}, signal: new AbortController().signal });
    fresh.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((unread.body as unknown as IncomingMessage).destroyed).toBe(true);
    expect(sockets.size).toBe(0);

    hold = 'none';
    const done = new AbortController();
    const ok = await fresh.request(url, { method: 'GET', headers: {}, signal: done.signal });
    await readLimited(ok.body, 1000);
    await new Promise((r) => setTimeout(r, 10));
    // The run ends its signal after the request is done: nothing to end, nothing thrown.
    done.abort(new Error('run finished'));
    expect((ok.body as unknown as IncomingMessage).errored).toBeNull();
  });

  it('a refused connection rejects with its code', async () => {
    const fresh = freshRequests(target(), createPhaseClock());
    const closed = `http://127.0.0.1:1/`;
    await expect(
      fresh.request(closed, { method: 'GET', headers: {}, signal: new AbortController().signal }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('freshRequests over TLS', () => {
  it("uses the target's TLS options (the dispatcher's): its CA and the name to verify; TLS facts once", async () => {
    const ca = makeCa('mcpwatch fresh CA', 30);
    const leaf = makeCert(ca, 'localhost', 10);
    const tls = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => res.end('tls ok'));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    const https = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
    try {
      const t = { ...target(), url: https };
      const get = (fresh: ReturnType<typeof freshRequests>) =>
        fresh.request(https, { method: 'GET', headers: {}, signal: new AbortController().signal });
      await expect(get(freshRequests(t, createPhaseClock()))).rejects.toMatchObject({
        code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER/),
      });
      const wrongName = {
        ...t,
        tls: { insecureSkipVerify: false, serverName: 'other.example' },
        tlsFiles: { ca: ca.certPem },
      };
      await expect(get(freshRequests(wrongName, createPhaseClock()))).rejects.toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
      const facts: TlsFacts[] = [];
      const trusted = freshRequests({ ...t, tlsFiles: { ca: ca.certPem } }, createPhaseClock(), (f) => facts.push(f));
      for (let i = 0; i < 2; i++) expect((await readLimited((await get(trusted)).body, 100)).text).toBe('tls ok');
      expect(facts).toHaveLength(1);
      expect(facts[0]).toMatchObject({ subject: 'CN=localhost', issuer: 'CN=mcpwatch fresh CA', authorized: true });
      trusted.close();
    } finally {
      tls.closeAllConnections();
      await new Promise<void>((r) => tls.close(() => r()));
    }
  });
});
