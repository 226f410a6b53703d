import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writeConfig } from '../support/agent-proc.js';
import { TestHttpServer } from '../support/http-server.js';

const KEY = 'sk-cli-SECRET-00112233445566778899';

describe('mcpwatch CLI', () => {
  let server: TestHttpServer;
  let dir: string;
  let cfg: string;

  beforeAll(async () => {
    server = await new TestHttpServer().start();
    dir = tempDir();
    cfg = writeConfig(
      dir,
      `targets:
  gw:
    url: ${server.url}
    apiKey: \${GW_KEY}
probes:
  - { name: live, type: http, target: gw, path: /health/liveliness, every: 30s }
  - { name: strict, type: http, target: gw, every: 30s, expect: { contains: "healthy" } }
`,
    );
  });
  afterAll(async () => {
    await server.stop();
  });

  it('--version and --help exit 0', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('mcpwatch check-config [--config FILE]');
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['--bogus'])).code).toBe(2);
    const r = await runCli(['probe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('probe needs exactly one probe NAME');
  });

  it('check-config: 0 for a valid file', async () => {
    const r = await runCli(['check-config', '--config', cfg], { env: { GW_KEY: KEY } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${cfg}: OK (1 targets, 2 probes, 0 containers)\n`);
  });

  it('check-config: 1 and every problem as path: message, no stack trace', async () => {
    const bad = writeConfig(
      dir,
      'targets:\n  gw:\n    url: http://x\n    apiKeyFile: /nonexistent/key\nprobes:\n  - { name: a, type: http, target: nope, every: 5 }\n',
      'bad.yaml',
    );
    const r = await runCli(['check-config', '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'probes[0].target: unknown target "nope" (targets: gw)',
      'probes[0].every: expected a duration such as 500ms, 10s or 5m',
      'targets.gw.apiKeyFile: cannot read /nonexistent/key: no such file',
    ]);
    expect(r.stderr).not.toContain('    at ');
  });

  it('check-config: a missing variable and a missing file', async () => {
    const r = await runCli(['check-config', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('targets.gw.apiKey: environment variable GW_KEY is not set\n');
    const missing = await runCli(['check-config', '--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe(`(file): cannot read config file ${join(dir, 'nope.yaml')}: no such file\n`);
  });

  it('check-config: reads the key from apiKeyFile; an unreadable one is an error', async () => {
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, `${KEY}\n`);
    const withFile = writeConfig(
      dir,
      `targets:\n  gw:\n    url: ${server.url}\n    apiKeyFile: ${keyFile}\n`,
      'file.yaml',
    );
    expect((await runCli(['check-config', '--config', withFile])).code).toBe(0);
    if (process.getuid?.() !== 0) {
      chmodSync(keyFile, 0o000);
      expect((await runCli(['check-config', '--config', withFile])).stdout).toContain('permission denied');
    }
  });

  it('check-config: the web config (MCPWATCH_WEB_CONFIG_FILE, web.configFile) read as run reads it', async () => {
    const web = join(dir, 'web.yml');
    writeFileSync(
      web,
      'basic_auth_users:\n  alice: not-a-hash\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n',
    );
    const env = { GW_KEY: KEY, MCPWATCH_WEB_CONFIG_FILE: web };
    const bad = await runCli(['check-config', '--config', cfg], { env });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`^${web.replaceAll('.', '\\.')}: basic_auth_users\\.alice: `));
    expect(bad.stderr).toBe(`${cfg}: 1 problem\n`);
    writeFileSync(web, 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n');
    const good = await runCli(['check-config', '--config', cfg], { env });
    expect([good.code, good.stdout]).toEqual([
      0,
      `${cfg}: OK (1 targets, 2 probes, 0 containers, web config ${web})\n`,
    ]);
    // Named in the config, and /mcp on 0.0.0.0 with no token: the web config has no password, so it is open.
    const open = writeConfig(
      dir,
      `listen: 0.0.0.0:9464\nweb: { configFile: ${web} }\nmcpServer: { enabled: true }\n`,
      'open.yaml',
    );
    const refused = await runCli(['check-config', '--config', open]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`mcpServer: /mcp would be open to anyone who reaches 0.0.0.0:9464`);
    expect(refused.stdout).toContain(`the web config ${web}, which has neither`);
  });

  it("check-config: a client_config probe's missing file is 1 naming it; optional: true makes it a warning, 0", async () => {
    const yaml = (file: string, extra = ''): string =>
      `targets:\n  gw: { url: "${server.url}", apiKey: sk-x }\nprobes:\n` +
      `  - { name: codex, type: client_config, target: gw, file: "${file}", server: litellm${extra} }\n`;
    const missing = join(dir, 'codex.toml');
    const r = await runCli(['check-config', '--config', writeConfig(dir, yaml(missing), 'client.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`probes[0].file: cannot read ${missing}: no such file\n`);
    const later = writeConfig(dir, yaml(missing, ', optional: true'), 'client-later.yaml');
    const w = await runCli(['check-config', '--config', later]);
    expect(w.code).toBe(0);
    expect(w.stdout).toBe(
      `warning: probes[0].file: cannot read ${missing}: no such file (optional: its runs fail until it can be)\n` +
        `${later}: OK (1 targets, 1 probes, 0 containers)\n`,
    );
    // A relative path is the probe's, from the working directory: named whole.
    const rel = await runCli(['check-config', '--config', writeConfig(dir, yaml('codex.toml'), 'client-rel.yaml')], {
      cwd: dir,
    });
    expect(rel.code).toBe(1);
    expect(rel.stdout).toBe(`probes[0].file: cannot read codex.toml (${missing}): no such file\n`);
    writeFileSync(missing, '');
    expect((await runCli(['check-config', '--config', join(dir, 'client-rel.yaml')], { cwd: dir })).code).toBe(0);
  });

  it('takes the config from MCPWATCH_CONFIG when --config is not given', async () => {
    const r = await runCli(['check-config'], { env: { MCPWATCH_CONFIG: cfg, GW_KEY: KEY } });
    expect(r.code).toBe(0);
  });

  it('probe NAME: 0 on success, prints what was sent (key masked) and the result', async () => {
    const r = await runCli(['probe', 'live', '--config', cfg], { env: { GW_KEY: KEY } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`GET ${server.url}/health/liveliness`);
    expect(r.stdout).toContain('authorization: Bearer sk-…8899');
    expect(r.stdout).toMatch(/phases: {3}connect [\d.]+m?s, http [\d.]+m?s/);
    expect(r.stdout).toContain('result:   OK ok: 200 OK');
    expect(r.stdout + r.stderr).not.toContain('SECRET');
  });

  it('probe NAME: a key without "Bearer " is sent with it and warned about nowhere (stderr stays empty)', async () => {
    const mcp = writeConfig(
      dir,
      `targets:\n  gw: { url: "${server.url}", apiKey: "\${GW_KEY}" }\n` +
        'probes:\n  - { name: cat, type: mcp_catalog, target: gw, every: 30s, timeout: 5s }\n',
      'mcp.yaml',
    );
    const r = await runCli(['probe', 'cat', '--config', mcp], { env: { GW_KEY: KEY } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('authorization: Bearer sk-…8899');
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('SECRET');
  });

  it('probe NAME --json: one JSON object; 1 when the probe fails', async () => {
    const r = await runCli(['probe', 'strict', '--config', cfg, '--json'], { env: { GW_KEY: KEY } });
    expect(r.code).toBe(1);
    const obj = JSON.parse(r.stdout);
    expect(obj).toMatchObject({
      probe: 'strict',
      outcome: 'expectation_failed',
      success: false,
      reason: 'response body does not contain "healthy": got "I\'m alive!"'.replace("I'm", 'I am'),
    });
  });

  it('probe: 2 for an unknown probe or a bad config', async () => {
    const r = await runCli(['probe', 'nope', '--config', cfg], { env: { GW_KEY: KEY } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no probe named "nope"');
    expect(r.stderr).toContain('(probes: live, strict)');
    expect((await runCli(['probe', 'live', '--config', cfg])).code).toBe(2);
  });

  it('run: 2 on an invalid config, with the problems', async () => {
    const bad = writeConfig(dir, 'listen: nope\n', 'badrun.yaml');
    const r = await runCli(['run', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('listen: expected host:port');
  });

  it('the shipped default config is valid on a machine with nothing set', async () => {
    const r = await runCli(['check-config']);
    expect(r.code).toBe(0);
  });
});
