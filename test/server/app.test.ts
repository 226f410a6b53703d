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
      routes: ['/metrics', '/health', '/status', '/probe?name=NAME', 'POST /-/reload', '/mcp'],
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
