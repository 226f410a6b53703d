import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult } from '../../src/cli/format.js';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { sampleValue } from '../support/agent-proc.js';
import { FakeMcpGateway } from '../support/fake-mcp.js';
import { ProbeRunner } from '../support/probe-runner.js';
import { makeCa, makeCert, type TestCert } from '../support/test-certs.js';

// TLS facts of https probes, against real TLS servers (node:https, and node:tls terminating in
// front of the fake MCP gateway) with certificates the test makes with openssl: a leaf expiring in
// 10 days under a CA expiring later, the reverse, and a short-lived intermediate in the chain.

const DAY = 86_400_000;
const KEY = 'sk-tls-test-key-0123456789abcdef';

async function listen(server: HttpsServer | TlsServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

describe('TLS facts of https probes', () => {
  const servers: Array<HttpsServer | TlsServer> = [];
  let gw: FakeMcpGateway;
  let ca: TestCert;
  let shortCa: TestCert;
  let root: TestCert;
  let leaf10: TestCert;
  let leaf60: TestCert;
  let intermediate: TestCert;
  let leafUnderIntermediate: TestCert;
  let r: ProbeRunner;

  beforeAll(async () => {
    ca = makeCa('mcpwatch test CA', 365);
    leaf10 = makeCert(ca, 'litellm.test', 10);
    shortCa = makeCa('mcpwatch short-lived CA', 5);
    leaf60 = makeCert(shortCa, 'litellm-short-ca.test', 60);
    root = makeCa('mcpwatch test root', 400);
    intermediate = makeCert(root, 'mcpwatch test intermediate', 3, { isCa: true });
    leafUnderIntermediate = makeCert(intermediate, 'litellm-chain.test', 30);

    const https = (cert: string, key: string): HttpsServer => {
      const s = createHttpsServer({ cert, key }, (_req, res) => res.end('ok'));
      servers.push(s);
      return s;
    };
    const p10 = await listen(https(leaf10.certPem, leaf10.keyPem));
    const p60 = await listen(https(leaf60.certPem, leaf60.keyPem));
    // The server sends its leaf and the intermediate; the root is only in the trust store.
    const pChain = await listen(
      https(`${leafUnderIntermediate.certPem}${intermediate.certPem}`, leafUnderIntermediate.keyPem),
    );
    // TLS in front of the fake MCP gateway (plain TCP behind it), as a reverse proxy terminates it.
    gw = await new FakeMcpGateway({ key: KEY }).start();
    gw.tools = [{ name: 'alpha-echo', inputSchema: { type: 'object' } }];
    const front = createTlsServer({ cert: leaf10.certPem, key: leaf10.keyPem }, (tls) => {
      const up = netConnect(gw.port, '127.0.0.1');
      tls.pipe(up).pipe(tls);
      const end = (): void => {
        tls.destroy();
        up.destroy();
      };
      tls.on('error', end);
      up.on('error', end);
    });
    const pMcp = await listen(front);
    servers.push(front);
    const url = (port: number): string => `https://127.0.0.1:${port}`;
    r = new ProbeRunner(`targets:
  leaf10: { url: "${url(p10)}", tls: { caFile: "${ca.certFile}" } }
  shortca: { url: "${url(p60)}", tls: { caFile: "${shortCa.certFile}" } }
  chain: { url: "${url(pChain)}", tls: { caFile: "${root.certFile}" } }
  untrusted: { url: "${url(p10)}" }
  insecure: { url: "${url(p10)}", tls: { insecureSkipVerify: true } }
  mcp: { url: "${url(pMcp)}", apiKey: "${KEY}", tls: { caFile: "${ca.certFile}" } }
  plain: { url: "${gw.url}", apiKey: "${KEY}" }
probes:
  - { name: leaf10, type: http, target: leaf10, path: /, auth: false }
  - { name: shortca, type: http, target: shortca, path: /, auth: false }
  - { name: chain, type: http, target: chain, path: /, auth: false }
  - { name: untrusted, type: http, target: untrusted, path: /, auth: false }
  - { name: insecure, type: http, target: insecure, path: /, auth: false }
  - { name: mcp-cat, type: mcp_catalog, target: mcp, servers: [alpha] }
  - { name: plain-cat, type: mcp_catalog, target: plain, servers: [alpha] }
`);
    // What loadConfig does with caFile (ProbeRunner parses the text only).
    for (const t of Object.values(r.config.targets))
      if (t.tls.caFile) t.tlsFiles = { ca: readFileSync(t.tls.caFile, 'utf8') };
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    await gw?.stop();
  });

  /** The TLS facts of a run of `probe`, which must succeed. */
  async function tlsOfOkRun(probe: string): Promise<unknown> {
    const res = await r.run(probe);
    expect(res.outcome, res.reason).toBe('ok');
    return res.tls;
  }

  it('a leaf expiring in 10 days under a CA good for a year: the leaf is the earliest', async () => {
    expect(await tlsOfOkRun('leaf10')).toEqual({
      version: 'TLSv1.3',
      subject: 'CN=litellm.test',
      issuer: 'CN=mcpwatch test CA',
      notAfter: leaf10.notAfter,
      earliestNotAfter: leaf10.notAfter,
      earliestSubject: 'CN=litellm.test',
      chainLength: 2,
      authorized: true,
    });
    expect(leaf10.notAfter - Date.now()).toBeGreaterThan(9 * DAY);
    expect(leaf10.notAfter - Date.now()).toBeLessThan(11 * DAY);
  });

  it('the reverse: a CA expiring in 5 days under a leaf good for 60 is the earliest, named', async () => {
    expect(await tlsOfOkRun('shortca')).toMatchObject({
      notAfter: leaf60.notAfter,
      earliestNotAfter: shortCa.notAfter,
      earliestSubject: 'CN=mcpwatch short-lived CA',
      chainLength: 2,
    });
  });

  it('an intermediate expiring first, in a chain of three', async () => {
    expect(await tlsOfOkRun('chain')).toMatchObject({
      issuer: 'CN=mcpwatch test intermediate',
      notAfter: leafUnderIntermediate.notAfter,
      earliestNotAfter: intermediate.notAfter,
      earliestSubject: 'CN=mcpwatch test intermediate',
      chainLength: 3,
    });
  });

  it('a certificate that fails verification stays tls_error with its reason; insecureSkipVerify shows it unverified', async () => {
    const bad = await r.run('untrusted');
    expect(bad.outcome).toBe('tls_error');
    expect(bad.reason).toMatch(/TLS error with 127\.0\.0\.1:\d+: .*(certificate|issuer)/i);
    expect(bad.tls).toBeUndefined();
    const insecure = await r.run('insecure');
    expect(insecure.outcome).toBe('ok');
    expect(insecure.tls).toMatchObject({ authorized: false, notAfter: leaf10.notAfter });
  });

  it('MCP probes over https carry them too; plain http carries none', async () => {
    const cat = await r.run('mcp-cat');
    expect(cat.outcome, cat.reason).toBe('ok');
    expect(cat.tls).toMatchObject({ version: 'TLSv1.3', notAfter: leaf10.notAfter });
    const plain = await r.run('plain-cat');
    expect(plain.outcome, plain.reason).toBe('ok');
    expect(plain.tls).toBeUndefined();
  });

  it('the gauges equal the certificates’ notAfter; a run that did not connect keeps them', async () => {
    const m = createMetrics(new Registry(), { defaultMetrics: false });
    const rec = new ProbeRecorder(m);
    rec.declare(r.config.probes);
    for (const name of ['leaf10', 'shortca', 'chain', 'mcp-cat', 'plain-cat']) rec.record(await r.run(name));
    const text = await m.registry.metrics();
    const leaf = (probe: string): number | undefined =>
      sampleValue(text, 'mcp_probe_tls_cert_expiry_timestamp_seconds', { probe });
    const earliest = (probe: string): number | undefined =>
      sampleValue(text, 'mcp_probe_tls_earliest_expiry_timestamp_seconds', { probe });
    expect([leaf('leaf10'), earliest('leaf10')]).toEqual([leaf10.notAfter / 1000, leaf10.notAfter / 1000]);
    expect([leaf('shortca'), earliest('shortca')]).toEqual([leaf60.notAfter / 1000, shortCa.notAfter / 1000]);
    expect(earliest('chain')).toBe(intermediate.notAfter / 1000);
    expect(leaf('mcp-cat')).toBe(leaf10.notAfter / 1000);
    expect(leaf('plain-cat')).toBeUndefined();
    // The same probe failing before TLS (server gone) keeps what it knew of the certificate.
    rec.record({ ...(await r.run('leaf10')), outcome: 'connect_error', success: false, tls: undefined } as never);
    expect(
      sampleValue(await m.registry.metrics(), 'mcp_probe_tls_cert_expiry_timestamp_seconds', { probe: 'leaf10' }),
    ).toBe(leaf10.notAfter / 1000);
    // One that succeeds without TLS (the target is plain http now) removes them.
    rec.record({ ...(await r.run('leaf10')), tls: undefined } as never);
    const after = await m.registry.metrics();
    expect(sampleValue(after, 'mcp_probe_tls_cert_expiry_timestamp_seconds', { probe: 'leaf10' })).toBeUndefined();
    expect(sampleValue(after, 'mcp_probe_tls_earliest_expiry_timestamp_seconds', { probe: 'leaf10' })).toBeUndefined();
  });

  it('mcpwatch probe prints them', async () => {
    const res = await r.run('shortca');
    const lines = formatResult(res, 'https://x')
      .split('\n')
      .filter((l) => l.startsWith('tls:') || l.includes('earliest in the chain'));
    expect(lines).toEqual([
      expect.stringMatching(
        /^tls: {6}TLSv1\.3, CN=litellm-short-ca\.test, issued by CN=mcpwatch short-lived CA, expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in (59|60) days\)$/,
      ),
      expect.stringMatching(
        /^ {10}earliest in the chain \(2 certificates\): CN=mcpwatch short-lived CA, expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in [45] days\)$/,
      ),
    ]);
  });
});
