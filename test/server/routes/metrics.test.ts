import { describe, expect, it } from 'vitest';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../../../src/metrics/registry.js';
import { wantsOpenMetrics } from '../../../src/server/routes/metrics.js';
import { appOnFakePort, SCRAPE_TEXT } from '../../support/fake-agent-port.js';

// (The Accept headers of known scrapers are in test/metrics/openmetrics.test.ts.)

describe('GET /metrics', () => {
  const served = appOnFakePort();

  it('serves the scrape in the Prometheus text format', async () => {
    const res = await served.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(res.body).toBe(SCRAPE_TEXT);
    expect(served.port.scrapes).toBe(1);
  });

  it('serves OpenMetrics to a scraper that asks for it', async () => {
    const res = await served.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(res.body.endsWith('# EOF\n')).toBe(true);
    // Converted: the counter family loses its _total in TYPE, its samples keep it; no blank lines.
    expect(res.body).toContain('# TYPE mcp_probe_runs counter\n');
    expect(res.body).toContain('mcp_probe_runs_total{probe="gw-live",outcome="ok"} 3\n');
    expect(res.body).not.toContain('\n\n');
    expect(served.port.scrapes).toBe(1);
  });

  it("serves Prometheus' own Accept header (OpenMetrics first) as OpenMetrics", async () => {
    const res = await served.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: {
        accept: 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1',
      },
    });
    expect(res.headers['content-type']).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(res.body.endsWith('# EOF\n')).toBe(true);
  });

  it('scrapes once per request', async () => {
    await served.app.inject({ method: 'GET', url: '/metrics' });
    await served.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    await served.app.inject({ method: 'GET', url: '/metrics' });
    expect(served.port.scrapes).toBe(3);
    expect(served.port.formats).toEqual(['text', 'openmetrics', 'text']);
  });
});

describe('wantsOpenMetrics', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['application/openmetrics-text', true],
    ['APPLICATION/OpenMetrics-Text; version=1.0.0', true],
    ['text/plain', false],
    ['application/openmetrics-text;q=0', false],
    ['text/plain;q=0.9, application/openmetrics-text;q=0.5', false],
    ['text/plain;q=0.5, application/openmetrics-text;q=0.5', true],
    ['*/*, application/openmetrics-text;q=0.1', false],
  ])('Accept %j: %s', (accept, want) => expect(wantsOpenMetrics(accept)).toBe(want));
});
