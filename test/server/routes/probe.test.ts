import { describe, expect, it } from 'vitest';
import { appOnFakePort, BEARER_TOKEN, SK_KEY, STARTED_AT } from '../../support/fake-agent-port.js';

describe('GET /probe', () => {
  const served = appOnFakePort();

  it('answers 400 without a name, listing the probes', async () => {
    const res = await served.app.inject({ method: 'GET', url: '/probe' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'missing query parameter name', probes: ['gw-live', 'gw-catalog'] });
    expect(served.port.runs).toEqual([]);
  });

  it('answers 404 for an unknown probe, listing the probes', async () => {
    const res = await served.app.inject({ method: 'GET', url: '/probe?name=nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'unknown probe "nope"', probes: ['gw-live', 'gw-catalog'] });
    expect(served.port.runs).toEqual([]);
  });

  it("answers 409 for another shard's probe, naming the shard that runs it, and does not run it", async () => {
    served.port.elsewhere.set('far-probe', 2);
    const res = await served.app.inject({ method: 'GET', url: '/probe?name=far-probe' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: 'probe "far-probe" runs on shard 2 of 3, not on this replica (shard 0 of 3): ask the replica of shard 2',
      shard: { index: 2, total: 3 },
      probes: ['gw-live', 'gw-catalog'],
    });
    expect(served.port.runs).toEqual([]);
  });

  it('runs the probe and answers its result, without the steps', async () => {
    const res = await served.app.inject({ method: 'GET', url: '/probe?name=gw-live' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(served.port.runs).toEqual(['gw-live']);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      probe: 'gw-live',
      target: 'gw',
      type: 'http',
      outcome: 'http_error',
      success: false,
      trigger: 'manual',
      startedAt: new Date(STARTED_AT).toISOString(),
      durationMs: 12,
      phases: { http: 12 },
      details: { status: 401, bodyBytes: 80, bodyTruncated: false },
    });
    expect(body.startedAt).toBe('2025-01-02T03:04:05.678Z');
    expect(body).not.toHaveProperty('steps');
  });

  it.each(['true', '1'])('includes the steps with debug=%s', async (debug) => {
    const res = await served.app.inject({ method: 'GET', url: `/probe?name=gw-live&debug=${debug}` });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body.steps).toEqual([{ t: 0, msg: 'GET /', data: { url: 'http://gw/' } }]);
    expect(body.startedAt).toBe('2025-01-02T03:04:05.678Z');
  });

  it('leaves the steps out for other debug values', async () => {
    const res = await served.app.inject({ method: 'GET', url: '/probe?name=gw-live&debug=yes' });
    expect(res.json()).not.toHaveProperty('steps');
  });

  it('masks key material in the result', async () => {
    for (const url of ['/probe?name=gw-live', '/probe?name=gw-live&debug=true']) {
      const res = await served.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(SK_KEY);
      expect(res.body).not.toContain(BEARER_TOKEN);
      const { reason } = res.json<{ reason: string }>();
      expect(reason).toContain('sk-…WXYZ');
      expect(reason).toContain('Bearer ***');
    }
  });
});
