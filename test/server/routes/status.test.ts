import { describe, expect, it } from 'vitest';
import { appOnFakePort, statusDocument } from '../../support/fake-agent-port.js';

describe('GET /status', () => {
  const served = appOnFakePort();

  it("serves the port's document, not cached", async () => {
    const res = await served.app.inject({ method: 'GET', url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual(statusDocument());
  });

  it('is GET only', async () => {
    const res = await served.app.inject({ method: 'POST', url: '/status' });
    expect(res.statusCode).toBe(404);
  });
});
