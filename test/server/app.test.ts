import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { FakePort } from '../support/fake-agent-port.js';
import { capturingLogger } from '../support/runtime-config.js';

// The app around the routes: the unknown route, the error handler, the request log. Each route's own
// tests are under test/server/routes/.

describe('the HTTP app', () => {
  it('answers an unknown route with 404 listing the routes', async () => {
    const app = await buildApp({ agent: new FakePort(), logger: capturingLogger().logger });
    const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: 'no route GET /nope',
      routes: [
        '/',
        '/metrics',
        '/health',
        '/-/healthy',
        '/-/ready',
        '/status',
        '/probe?name=NAME',
        'POST /-/reload',
        '/mcp',
      ],
    });
    await app.close();
  });

  it('answers a route that throws with 500 and its message, and logs it as an error', async () => {
    const port = new FakePort();
    port.status = () => {
      throw new Error('status broke');
    };
    const { logger, lines } = capturingLogger();
    const app = await buildApp({ agent: port, logger });
    const res = await app.inject({ method: 'GET', url: '/status' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'status broke' });
    expect(lines.find((l) => l.msg === 'request failed')).toMatchObject({ level: 50, component: 'http' });
    await app.close();
  });

  it("keeps an error's own 4xx status (a body over the limit: 413)", async () => {
    const app = await buildApp({ agent: new FakePort(), logger: capturingLogger().logger });
    const res = await app.inject({
      method: 'POST',
      url: '/-/reload',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(1.1 * 1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toHaveProperty('error');
    await app.close();
  });

  it('logs scrapes and health checks at debug, other requests at info, answers of 500 and more at warn', async () => {
    const port = new FakePort();
    const { logger, lines } = capturingLogger();
    const app = await buildApp({ agent: port, logger });
    await app.inject({ method: 'GET', url: '/metrics' });
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/status' });
    port.status = () => {
      throw new Error('x');
    };
    await app.inject({ method: 'GET', url: '/status' });
    const requests = lines.filter((l) => l.msg === 'request').map((l) => [l.url, l.status, l.level]);
    expect(requests).toEqual([
      ['/metrics', 200, 20],
      ['/health', 200, 20],
      ['/status', 200, 30],
      ['/status', 500, 40],
    ]);
    await app.close();
  });
});

// The Origin and Host rules are test/server/web-guard.test.ts's; here, that the hook guards every route.
describe('DNS-rebinding protection on every route', () => {
  const ROUTES = [
    ['GET', '/metrics'],
    ['GET', '/health'],
    ['GET', '/-/healthy'],
    ['GET', '/-/ready'],
    ['GET', '/status'],
    ['GET', '/probe?name=gw-live'],
    ['POST', '/-/reload'],
    ['GET', '/nope'],
  ] as const;

  it.each(ROUTES)('%s %s: a foreign Origin is 403 before the route runs', async (method, url) => {
    const port = new FakePort();
    port.lifecycle = true;
    const { logger, lines } = capturingLogger();
    const app = await buildApp({ agent: port, logger });
    const res = await app.inject({ method, url, headers: { origin: 'http://evil.example.com' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'Forbidden: Origin "http://evil.example.com" is not in web.allowedOrigins' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect([port.scrapes, port.healthReads, port.runs.length, port.reloads]).toEqual([0, 0, 0, 0]);
    expect(lines.find((l) => l.msg.startsWith('request refused'))).toMatchObject({
      level: 40,
      origin: 'http://evil.example.com',
      url: url.split('?')[0],
    });
    // The same request without Origin (curl, Prometheus) passes.
    expect((await app.inject({ method, url })).statusCode).not.toBe(403);
    await app.close();
  });

  it.each(ROUTES)('%s %s: a Host that web.allowedHosts does not list is 403', async (method, url) => {
    const port = new FakePort();
    port.lifecycle = true;
    port.allowedHosts = ['mcpwatch.example.com'];
    const app = await buildApp({ agent: port, logger: capturingLogger().logger });
    const res = await app.inject({ method, url, headers: { host: 'evil.example.com:9464' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'Forbidden: Host "evil.example.com:9464" is not in web.allowedHosts' });
    expect((await app.inject({ method, url, headers: { host: 'mcpwatch.example.com:9464' } })).statusCode).not.toBe(
      403,
    );
    await app.close();
  });

  it('reads the rules per request (a reload applies)', async () => {
    const port = new FakePort();
    const app = await buildApp({ agent: port, logger: capturingLogger().logger });
    const origin = 'https://grafana.example.com';
    expect((await app.inject({ url: '/status', headers: { origin } })).statusCode).toBe(403);
    port.allowedOrigins = [origin];
    expect((await app.inject({ url: '/status', headers: { origin } })).statusCode).toBe(200);
    await app.close();
  });

  it('listening on 127.0.0.1 with no lists: a name that is not a loopback one is refused, loopback names pass', async () => {
    const app = await buildApp({ agent: new FakePort(), logger: capturingLogger().logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const get = (host: string, origin?: string): Promise<number> =>
      app.inject({ url: '/status', headers: { host, ...(origin && { origin }) } }).then((r) => r.statusCode);
    expect(await get(`127.0.0.1:${port}`)).toBe(200);
    expect(await get(`localhost:${port}`)).toBe(200);
    expect(await get(`evil.example.com:${port}`)).toBe(403);
    expect(await get(`localhost:${port}`, `http://localhost:${port}`)).toBe(200);
    expect(await get(`localhost:${port}`, `http://localhost:${port + 1}`)).toBe(403);
    await app.close();
  });
});
