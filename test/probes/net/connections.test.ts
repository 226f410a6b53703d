import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Client, Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { runDispatcher } from '../../../src/probes/net/connections.js';
import { createPhaseClock } from '../../../src/probes/net/phases.js';
import type { TlsFacts } from '../../../src/probes/types.js';
import { makeCa, makeCert, type TestCert } from '../../support/test-certs.js';

// A run's dispatcher against a real local HTTPS server with certificates made by openssl: the target's TLS options,
// the connect time in the run's phases, and what the first TLS connection showed.

let ca: TestCert;
let leaf: TestCert;
let server: Server;
let url: string;
let clientCerts: Array<string | undefined> = [];

beforeAll(async () => {
  ca = makeCa('mcpwatch unit CA', 30);
  leaf = makeCert(ca, 'localhost', 10);
  server = createServer(
    { cert: leaf.certPem, key: leaf.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const cn = peer && 'subject' in peer ? peer.subject?.CN : undefined;
      clientCerts.push(Array.isArray(cn) ? cn.join('+') : cn);
      res.end('ok');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function target(over: Partial<Target> = {}): Target {
  return { name: 'gw', url, headers: {}, tls: { insecureSkipVerify: false }, ...over } as Target;
}

describe('runDispatcher', () => {
  it('trusts tls.caFile, times the connect, and hands over the facts of the first TLS connection once', async () => {
    const phases = createPhaseClock();
    const facts: TlsFacts[] = [];
    const d = runDispatcher(target({ tlsFiles: { ca: ca.certPem } }), phases, 2_000, false, (f) => facts.push(f));
    try {
      for (let i = 0; i < 2; i++) {
        const res = await request(`${url}/x`, { dispatcher: d, reset: true });
        expect(await res.body.text()).toBe('ok');
      }
    } finally {
      await d.destroy();
    }
    expect(phases.snapshot().connect).toBeGreaterThan(0);
    expect(facts).toEqual([
      {
        version: expect.stringMatching(/^TLSv1\.[23]$/),
        subject: 'CN=localhost',
        issuer: 'CN=mcpwatch unit CA',
        notAfter: leaf.notAfter,
        earliestNotAfter: leaf.notAfter,
        earliestSubject: 'CN=localhost',
        chainLength: 2,
        authorized: true,
      },
    ]);
  });

  it('without the CA the certificate is refused; insecureSkipVerify takes it (and says it is not authorized)', async () => {
    const strict = runDispatcher(target(), createPhaseClock(), 2_000);
    await expect(request(url, { dispatcher: strict })).rejects.toMatchObject({
      code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/),
    });
    await strict.destroy();
    const facts: TlsFacts[] = [];
    const lax = runDispatcher(target({ tls: { insecureSkipVerify: true } }), createPhaseClock(), 2_000, true, (f) =>
      facts.push(f),
    );
    expect(lax).toBeInstanceOf(Client);
    await (await request(url, { dispatcher: lax })).body.text();
    await lax.destroy();
    expect(facts[0]?.authorized).toBe(false);
  });

  it('sends the client certificate of tls.certFile/keyFile; a run that is not a single request gets a pool', async () => {
    clientCerts = [];
    const client = makeCert(ca, 'mcpwatch-client', 10);
    const d = runDispatcher(
      target({ tlsFiles: { ca: ca.certPem, cert: client.certPem, key: client.keyPem } }),
      createPhaseClock(),
      2_000,
    );
    expect(d).toBeInstanceOf(Pool);
    await (await request(url, { dispatcher: d })).body.text();
    await d.destroy();
    expect(clientCerts).toEqual(['mcpwatch-client']);
  });

  it('tls.serverName: the name the certificate is checked against', async () => {
    const wrong = runDispatcher(
      target({ tls: { insecureSkipVerify: false, serverName: 'other.example.com' }, tlsFiles: { ca: ca.certPem } }),
      createPhaseClock(),
      2_000,
    );
    await expect(request(url, { dispatcher: wrong })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await wrong.destroy();
  });
});
