import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/server/app.js';
import { FakePort, logger, statusDocument } from '../../support/fake-agent-port.js';

describe('GET /status', () => {
  let port: FakePort;
  let app: FastifyInstance;

  beforeEach(async () => {
    port = new FakePort();
    app = await buildApp({ agent: port, logger });
  });
  afterEach(async () => {
    await app.close();
  });

  it("serves the port's document, not cached", async () => {
    const res = await app.inject({ method: 'GET', url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual(statusDocument());
  });

  it('is GET only', async () => {
    const res = await app.inject({ method: 'POST', url: '/status' });
    expect(res.statusCode).toBe(404);
  });
});
