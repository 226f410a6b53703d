import { describe, expect, it } from 'vitest';
import { appOnFakePort, SK_KEY } from '../../support/fake-agent-port.js';

// The page at `/` through the app: what the port's /status and /health say, as HTML, masked, locked down.
// (What the page holds is test/server/landing-html.test.ts's; a real browser loads it in
// test/integration/landing-page.test.ts.)

describe('GET /', () => {
  const served = appOnFakePort();

  it("serves the port's status as an HTML page, not cached, that may load nothing and run nothing", async () => {
    const res = await served.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain('<span class="name">gw-live</span>');
    expect(res.body).toContain('connection refused');
    expect(res.body).toContain('<a href="probe?name=gw-catalog&amp;debug=true"');
  });

  it("masks key material with the agent's redactor, whatever the status document holds", async () => {
    served.port.statusDoc.probes[0]!.last!.reason = `HTTP 401: invalid key ${SK_KEY}`;
    const res = await served.app.inject({ method: 'GET', url: '/' });
    expect(res.body).not.toContain(SK_KEY);
    expect(res.body).toContain('invalid key sk-…WXYZ');
  });

  it('answers HEAD too, and nothing else', async () => {
    expect((await served.app.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(200);
    expect((await served.app.inject({ method: 'POST', url: '/' })).statusCode).toBe(404);
  });
});
