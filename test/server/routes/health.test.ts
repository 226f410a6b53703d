import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/server/app.js';
import { FakePort, healthReport, logger } from '../../support/fake-agent-port.js';

describe('GET /health', () => {
  let port: FakePort;
  let app: FastifyInstance;

  beforeEach(async () => {
    port = new FakePort();
    app = await buildApp({ agent: port, logger });
  });
  afterEach(async () => {
    await app.close();
  });

  it.each([
    ['ok', 200],
    ['degraded', 200],
    ['unhealthy', 503],
  ] as const)('answers %s with %i and the report, not cached', async (status, code) => {
    port.healthReport = healthReport(status);
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(code);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual(port.healthReport);
  });

  it('reads the health once per request', async () => {
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/health' });
    expect(port.healthReads).toBe(2);
  });
});
