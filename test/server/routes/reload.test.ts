import { describe, expect, it } from 'vitest';
import { LIFECYCLE_DISABLED } from '../../../src/server/routes/reload.js';
import { appOnFakePort } from '../../support/fake-agent-port.js';

describe('POST /-/reload', () => {
  const served = appOnFakePort();

  it('is 403 saying how to turn it on while the lifecycle is off (the default), and reloads nothing', async () => {
    const res = await served.app.inject({ method: 'POST', url: '/-/reload' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ status: 'error', error: LIFECYCLE_DISABLED });
    expect(LIFECYCLE_DISABLED).toBe(
      'POST /-/reload is disabled: start mcpwatch with --web.enable-lifecycle (or set web.enableLifecycle: true), ' +
        'or send it SIGHUP, which always reloads',
    );
    expect(served.port.reloads).toBe(0);
  });

  it('reads the setting per request (a reload that turns it on applies to the next one)', async () => {
    served.port.lifecycle = true;
    expect((await served.app.inject({ method: 'POST', url: '/-/reload' })).statusCode).toBe(200);
    served.port.lifecycle = false;
    expect((await served.app.inject({ method: 'POST', url: '/-/reload' })).statusCode).toBe(403);
    expect(served.port.reloads).toBe(1);
  });

  it('answers 200 with the warnings of a reload that applied', async () => {
    served.port.lifecycle = true;
    served.port.reloadResult = {
      ok: true,
      problems: [],
      warnings: [{ path: 'targets.gw', message: 'no apiKey: requests to this target are sent without a key' }],
    };
    const res = await served.app.inject({ method: 'POST', url: '/-/reload' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      warnings: ['targets.gw: no apiKey: requests to this target are sent without a key'],
    });
    expect(served.port.reloads).toBe(1);
  });

  it('answers 400 with the problems of a reload that failed', async () => {
    served.port.lifecycle = true;
    served.port.reloadResult = {
      ok: false,
      problems: [
        { path: 'probes[0].every', message: 'not a duration' },
        { path: 'targets.gw.url', message: 'required' },
      ],
      warnings: [],
    };
    const res = await served.app.inject({ method: 'POST', url: '/-/reload' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      status: 'error',
      errors: ['probes[0].every: not a duration', 'targets.gw.url: required'],
    });
  });

  it('is POST only', async () => {
    served.port.lifecycle = true;
    const res = await served.app.inject({ method: 'GET', url: '/-/reload' });
    expect(res.statusCode).toBe(404);
    expect(served.port.reloads).toBe(0);
  });
});
