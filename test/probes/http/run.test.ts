import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/probes/http/run.js';
import { TestHttpServer } from '../../support/http-server.js';
import { goneUrl, probeHarness } from '../../support/run-harness.js';

// The http probe's run, against real local node:http servers: the request it sends (key, headers,
// method, body) and its verdict on the status and body that come back.

const KEY = 'sk-http-run-0123456789abcdef';

/** Runs the config's one http probe once through its run(), in the context the scheduler gives it. */
const runOnce = probeHarness('http', run, KEY);

describe('http run against a node:http server', () => {
  let server: TestHttpServer;
  beforeAll(async () => {
    server = await new TestHttpServer().start();
  });
  afterAll(async () => {
    await server.stop();
  });
  afterEach(() => {
    server.mode = 'ok';
    server.body = 'I am alive!';
  });

  it('200 with the expected text: ok, the key sent as Bearer, the body measured, the http phase timed', async () => {
    const { out, steps, phases } = await runOnce(
      server.url,
      '{ name: web, type: http, target: gw, path: /health, expect: { contains: alive } }',
    );
    expect(out).toEqual({
      outcome: 'ok',
      reason: '200 OK',
      details: { status: 200, bodyBytes: 11, bodyTruncated: false },
    });
    expect(server.lastHeaders.authorization).toBe(`Bearer ${KEY}`);
    expect(server.lastHeaders['user-agent']).toMatch(/^mcpwatch\//);
    expect(phases).toHaveProperty('http');
    // The step log shows the request with the key masked.
    expect(steps[0]!.msg).toBe(`GET ${server.url}/health`);
    expect(JSON.stringify(steps)).not.toContain(KEY);
    expect(steps.map((s) => s.msg)).toContain('response 200');
  });

  it('auth: false sends no key; a status not expected is http_error with the body quoted', async () => {
    server.mode = 'error500';
    const { out } = await runOnce(server.url, '{ name: web, type: http, target: gw, auth: false }');
    expect(out.outcome).toBe('http_error');
    expect(out.reason).toBe('500 Internal Server Error from gw (expected 200): Internal Server Error');
    expect(server.lastHeaders).not.toHaveProperty('authorization');
  });

  it('a 401 with the key sent: auth_rejected, saying the key was rejected', async () => {
    server.mode = 'unauthorized';
    const { out } = await runOnce(server.url, '{ name: web, type: http, target: gw }');
    expect(out.outcome).toBe('auth_rejected');
    expect(out.reason).toMatch(/^401 Unauthorized from gw \(expected 200\): the key was rejected/);
  });

  it('the status expected, the text not there: expectation_failed quoting what came back', async () => {
    server.body = 'degraded';
    const { out } = await runOnce(
      server.url,
      '{ name: web, type: http, target: gw, expect: { status: [200], contains: healthy } }',
    );
    expect(out).toMatchObject({
      outcome: 'expectation_failed',
      reason: 'response body does not contain "healthy": got "degraded"',
    });
  });

  it('a body over maxBodyBytes is cut there, and the reason says so', async () => {
    server.body = 'x'.repeat(5000);
    const { out } = await runOnce(
      server.url,
      '{ name: web, type: http, target: gw, maxBodyBytes: 100, expect: { contains: "y" } }',
    );
    expect(out.details).toEqual({ status: 200, bodyBytes: 100, bodyTruncated: true });
    expect(out.outcome).toBe('expectation_failed');
    expect(out.reason).toMatch(/\(body truncated at maxBodyBytes\)$/);
  });
});

describe('http run: method, body and headers as configured', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ method: string; url: string; headers: Record<string, unknown>; body: string }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        if (req.url === '/moved') {
          res.writeHead(307, { location: '/moved/' });
          res.end();
          return;
        }
        res.writeHead(201, { 'content-type': 'text/plain', 'x-answer': 'yes' });
        res.end(req.method === 'HEAD' ? undefined : `created ${req.method}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("POST with the probe's body and headers; the status and regex expected", async () => {
    seen.length = 0;
    const { out } = await runOnce(
      url,
      '{ name: post, type: http, target: gw, method: POST, path: "/items?x=1", body: "{\\"a\\":1}", ' +
        'headers: { X-Team: blue }, expect: { status: [201], matches: "^created POST$" } }',
    );
    expect(out).toEqual({
      outcome: 'ok',
      reason: '201 Created',
      details: { status: 201, bodyBytes: 12, bodyTruncated: false },
    });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/items?x=1', body: '{"a":1}' });
    expect(seen[0]!.headers['x-team']).toBe('blue');
  });

  it('HEAD reads no body', async () => {
    const { out } = await runOnce(
      url,
      '{ name: head, type: http, target: gw, method: HEAD, expect: { status: [201] } }',
    );
    expect(out).toMatchObject({ outcome: 'ok', details: { status: 201, bodyBytes: 0, bodyTruncated: false } });
  });

  it('a redirect to the path with a trailing slash: http_error naming the fix, the redirect not followed', async () => {
    seen.length = 0;
    const { out } = await runOnce(url, '{ name: moved, type: http, target: gw, path: /moved }');
    expect(out.outcome).toBe('http_error');
    expect(out.reason).toBe(
      '307 Temporary Redirect redirect to /moved/ (expected 200): add the trailing slash to the path',
    );
    expect(seen.map((s) => s.url)).toEqual(['/moved']);
  });

  it('a gateway that is not there: the connection error is thrown, for the scheduler to classify', async () => {
    const dead = await goneUrl();
    await expect(runOnce(dead, '{ name: web, type: http, target: gw }')).rejects.toThrow(/ECONNREFUSED/);
  });
});
