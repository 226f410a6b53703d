import { describe, expect, it } from 'vitest';
import { reusedMessage } from '../../../src/server/routes/probe.js';
import { noCatalog } from '../../support/catalog-details.js';
import { appOnFakePort, BEARER_TOKEN, probeResult, SK_KEY, STARTED_AT } from '../../support/fake-agent-port.js';

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

// Prometheus 2.42's Accept for a scrape (scrape_protocols default).
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('GET /probe for a scrape (blackbox_exporter style)', () => {
  const served = appOnFakePort();

  it.each([
    ['an Accept that prefers text/plain or OpenMetrics (Prometheus)', { accept: PROMETHEUS_ACCEPT }, ''],
    ['format=prometheus', {}, '&format=prometheus'],
  ])('answers the run in the text format for %s', async (_what, headers, query) => {
    const res = await served.app.inject({ method: 'GET', url: `/probe?name=gw-live${query}`, headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatch(/^probe_success 0$/m);
    expect(res.body).toMatch(/^probe_duration_seconds 0\.012$/m);
    expect(res.body).toContain(
      'mcp_probe_phase_duration_seconds{probe="gw-live",target="gw",type="http",phase="http"}',
    );
    // A scrape does not wait for the gateway's log of a failed run.
    expect(served.port.requests).toEqual([{ name: 'gw-live', reuseWithinMs: 10_000, withGatewayLog: false }]);
  });

  it.each([
    ['no Accept', undefined],
    ['*/*', '*/*'],
    ["a browser's", 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['JSON preferred', 'application/json, text/plain;q=0.5'],
    ['JSON and text alike', 'text/plain, application/json'],
  ])('answers JSON as always for %s', async (_what, accept) => {
    const res = await served.app.inject({
      method: 'GET',
      url: '/probe?name=gw-live',
      ...(accept && { headers: { accept } }),
    });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ probe: 'gw-live', outcome: 'http_error' });
    expect(served.port.requests[0]!.withGatewayLog).toBe(true);
  });

  it('format=json wins over the Accept; another format is a 400', async () => {
    const json = await served.app.inject({
      method: 'GET',
      url: '/probe?name=gw-live&format=json',
      headers: { accept: 'text/plain' },
    });
    expect(json.json()).toMatchObject({ probe: 'gw-live' });
    const bad = await served.app.inject({ method: 'GET', url: '/probe?name=gw-live&format=xml' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'unknown format "xml": prometheus or json' });
  });

  it('masks key material in the text too', async () => {
    served.port.runProbe = async (name) => ({
      ...probeResult(name),
      type: 'mcp_catalog',
      details: noCatalog({ catalog: { ...noCatalog().catalog, toolsPerServer: { [SK_KEY]: 1 } } }),
    });
    const res = await served.app.inject({ method: 'GET', url: '/probe?name=gw-live&format=prometheus' });
    expect(res.body).toContain('mcp_catalog_tools{');
    expect(res.body).not.toContain(SK_KEY);
  });

  it.each([
    ['1.5', 1_000],
    ['10', 9_500],
    ['0.6', 100],
    ['0.5', undefined],
    ['0.2', undefined],
  ])(
    'X-Prometheus-Scrape-Timeout-Seconds %s: the run gets %s ms (the probe its own when none is left)',
    async (h, ms) => {
      const res = await served.app.inject({
        method: 'GET',
        url: '/probe?name=gw-live',
        headers: { accept: PROMETHEUS_ACCEPT, 'x-prometheus-scrape-timeout-seconds': h },
      });
      expect(res.statusCode).toBe(200);
      expect(served.port.requests[0]!.timeoutMs).toBe(ms);
    },
  );

  it.each(['', 'abc', '-1', '0', 'Infinity'])('X-Prometheus-Scrape-Timeout-Seconds %j is a 400', async (h) => {
    const res = await served.app.inject({
      method: 'GET',
      url: '/probe?name=gw-live',
      headers: { 'x-prometheus-scrape-timeout-seconds': h },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: `X-Prometheus-Scrape-Timeout-Seconds: expected a number of seconds, got "${h}"`,
    });
    expect(served.port.requests).toEqual([]);
  });

  it.each([
    ['in_flight', /^the run already under way \(started [\d.]+ s before this request\) answers it/],
    [
      'recent',
      /^the run asked for [\d.]+ s before this request answers it: \/probe runs a probe at most once per 10 s$/,
    ],
  ] as const)(
    'a reused run (%s) says so: a JSON field, a header, a comment first in the text',
    async (reused, message) => {
      served.port.reused = reused;
      const json = await served.app.inject({ method: 'GET', url: '/probe?name=gw-live' });
      expect(json.headers['x-mcpwatch-reused']).toBe(reused);
      const body = json.json<{ reused: { run: string; message: string } }>();
      expect(body.reused.run).toBe(reused);
      expect(body.reused.message).toMatch(message);
      const text = await served.app.inject({ method: 'GET', url: '/probe?name=gw-live&format=prometheus' });
      expect(text.headers['x-mcpwatch-reused']).toBe(reused);
      expect(text.body.split('\n')[0]).toMatch(/^# the run /);
    },
  );

  it('a new run says nothing of reuse', async () => {
    const res = await served.app.inject({ method: 'GET', url: '/probe?name=gw-live' });
    expect(res.headers['x-mcpwatch-reused']).toBeUndefined();
    expect(res.json()).not.toHaveProperty('reused');
  });
});

describe('reusedMessage', () => {
  const base = { ...probeResult('p'), startedAt: 1_000_000 };
  it.each([
    [
      { result: { ...base, trigger: 'schedule' as const }, reused: 'in_flight' as const },
      'the scheduled run already under way (started 2.5 s before this request) answers it: a probe never runs twice at once',
    ],
    [
      { result: base, reused: 'in_flight' as const },
      'the run already under way (started 2.5 s before this request) answers it: a probe never runs twice at once',
    ],
    [
      { result: base, reused: 'recent' as const },
      'the run asked for 2.5 s before this request answers it: /probe runs a probe at most once per 10 s',
    ],
  ])('%#', (answer, message) => {
    expect(reusedMessage(answer, 1_002_500)).toBe(message);
  });
});
