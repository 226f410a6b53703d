import { describe, expect, it } from 'vitest';
import { appOnFakePort, healthReport } from '../../support/fake-agent-port.js';

describe('GET /health', () => {
  const served = appOnFakePort();

  it.each([
    ['ok', 200],
    ['degraded', 200],
    ['unhealthy', 503],
  ] as const)('answers %s with %i and the report, not cached', async (status, code) => {
    served.port.healthReport = healthReport(status);
    const res = await served.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(code);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual(served.port.healthReport);
  });

  it('reads the health once per request', async () => {
    await served.app.inject({ method: 'GET', url: '/health' });
    await served.app.inject({ method: 'GET', url: '/health' });
    expect(served.port.healthReads).toBe(2);
  });
});
