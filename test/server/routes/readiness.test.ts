import { describe, expect, it } from 'vitest';
import { appOnFakePort } from '../../support/fake-agent-port.js';

// /-/healthy and /-/ready, as Prometheus has them, beside /health.

describe('/-/healthy and /-/ready', () => {
  const served = appOnFakePort();

  it('/-/healthy is 200 while the process serves, whatever the agent says', async () => {
    served.port.readinessNow = { ready: false, reason: 'starting' };
    served.port.healthReport = { ...served.port.healthReport, status: 'unhealthy' };
    const res = await served.app.inject({ method: 'GET', url: '/-/healthy' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('mcpwatch is healthy.\n');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(served.port.healthReads).toBe(0);
  });

  it.each([
    [{ ready: true } as const, 200, 'mcpwatch is ready.\n'],
    [{ ready: false, reason: 'starting' } as const, 503, 'mcpwatch is not ready: starting.\n'],
    [{ ready: false, reason: 'stopping' } as const, 503, 'mcpwatch is not ready: stopping.\n'],
  ])('/-/ready with the agent %j: %i', async (readiness, status, body) => {
    served.port.readinessNow = readiness;
    const res = await served.app.inject({ method: 'GET', url: '/-/ready' });
    expect(res.statusCode).toBe(status);
    expect(res.body).toBe(body);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('both answer HEAD (an orchestrator may ask with it)', async () => {
    served.port.readinessNow = { ready: false, reason: 'stopping' };
    expect((await served.app.inject({ method: 'HEAD', url: '/-/healthy' })).statusCode).toBe(200);
    expect((await served.app.inject({ method: 'HEAD', url: '/-/ready' })).statusCode).toBe(503);
  });
});
