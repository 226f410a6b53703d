import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeOnce } from '../../src/cli/probe.js';
import { TestHttpServer } from '../support/http-server.js';
import { tempDir, writeConfig } from '../support/agent-proc.js';
import { captured } from '../support/std-output.js';

// `mcpwatch probe NAME`, in-process against a local HTTP server: one run printed, the exit code.

const KEY = 'sk-probe-SECRET-00112233445566778899';

describe('mcpwatch probe', () => {
  let server: TestHttpServer;
  let path: string;

  beforeAll(async () => {
    server = await new TestHttpServer().start();
    path = writeConfig(
      tempDir(),
      `targets:\n  gw: { url: "${server.url}", apiKey: "${KEY}" }\n` +
        'probes:\n  - { name: live, type: http, target: gw, path: /health/liveliness, every: 30s }\n' +
        '  - { name: other, type: http, target: gw, every: 30s }\n',
    );
  });
  afterAll(async () => {
    await server.stop();
  });

  it('a run that succeeds: 0, what was sent (the key masked) and the result', async () => {
    server.mode = 'ok';
    const r = await captured(() => probeOnce(path, {}, 'live', false));
    expect(r.value).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^probe live \\(http\\) → target gw ${server.url}\\n`));
    expect(r.stdout).toMatch(/\nresult: {3}OK /);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(server.lastHeaders.authorization).toBe(`Bearer ${KEY}`);
  });

  it('--json: the result as one JSON object, its start as an ISO time; 1 when the probe fails', async () => {
    server.mode = 'error500';
    const r = await captured(() => probeOnce(path, {}, 'live', true));
    expect(r.value).toBe(1);
    const result = JSON.parse(r.stdout) as { probe: string; success: boolean; startedAt: string };
    expect(result).toMatchObject({ probe: 'live', success: false });
    expect(new Date(result.startedAt).toISOString()).toBe(result.startedAt);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('an MCP probe whose key has no "Bearer ": sent with it, and no warning on stderr (both are fine)', async () => {
    server.mode = 'ok';
    const mcp = writeConfig(
      tempDir(),
      `targets:\n  gw: { url: "${server.url}", apiKey: "${KEY}" }\n` +
        'probes:\n  - { name: cat, type: mcp_catalog, target: gw, every: 30s, timeout: 5s }\n',
    );
    const r = await captured(() => probeOnce(mcp, {}, 'cat', false));
    expect(r.stdout).toContain('authorization: Bearer sk-…8899');
    expect(r.stderr).toBe('');
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('an unknown probe: 2, and the probes there are', async () => {
    const r = await captured(() => probeOnce(path, {}, 'nope', false));
    expect(r.value).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`mcpwatch: no probe named "nope" in ${path} (probes: live, other)\n`);
  });

  it('an invalid config: 2, its problems on stderr', async () => {
    const r = await captured(() => probeOnce('/nonexistent/mcpwatch.yaml', {}, 'live', false));
    expect(r.value).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^\(file\): cannot read config file \/nonexistent\/mcpwatch\.yaml: .*\n$/);
  });
});
