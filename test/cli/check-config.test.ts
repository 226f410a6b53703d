import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/cli/check-config.js';
import { tempDir, writeConfig } from '../support/agent-proc.js';
import { captured } from '../support/std-output.js';
import { makeCa, makeCert } from '../support/test-certs.js';

describe('mcpwatch check-config', () => {
  it('a valid config: 0, its counts on stdout', async () => {
    const path = writeConfig(
      tempDir(),
      'targets:\n  gw: { url: "http://127.0.0.1:9", apiKey: sk-x }\n' +
        'probes:\n  - { name: a, type: http, target: gw, every: 30s }\n  - { name: b, type: http, target: gw, every: 1m }\n',
    );
    const r = await captured(() => checkConfig(path, {}));
    expect(r.value).toBe(0);
    expect(r.stdout).toBe(`${path}: OK (1 targets, 2 probes, 0 containers)\n`);
    expect(r.stderr).toBe('');
  });

  it('warnings come first, each as "warning: path: message"', async () => {
    const path = writeConfig(tempDir(), 'targets:\n  gw: { url: "http://127.0.0.1:9" }\nprobes: []\n');
    const r = await captured(() => checkConfig(path, {}));
    expect(r.value).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'warning: targets.gw: no apiKey: requests to this target are sent without a key',
      `${path}: OK (1 targets, 0 probes, 0 containers)`,
      '',
    ]);
  });

  it('an invalid config: 1, every problem as path: message on stdout, their count on stderr', async () => {
    const path = writeConfig(
      tempDir(),
      'targets:\n  gw: { url: "http://x" }\nprobes:\n  - { name: a, type: http, target: nope, every: 5 }\n',
    );
    const r = await captured(() => checkConfig(path, {}));
    expect(r.value).toBe(1);
    const problems = r.stdout.split('\n').filter(Boolean);
    expect(problems.length).toBeGreaterThan(1);
    for (const p of problems) expect(p).toMatch(/^probes\[0\]\.\S+: /);
    expect(r.stderr).toBe(`${path}: ${problems.length} problems\n`);
  });

  it('one problem is "1 problem"', async () => {
    const r = await captured(() => checkConfig('/nonexistent/mcpwatch.yaml', {}));
    expect(r.value).toBe(1);
    expect(r.stdout).toMatch(/^\(file\): cannot read config file \/nonexistent\/mcpwatch\.yaml: /);
    expect(r.stderr).toBe('/nonexistent/mcpwatch.yaml: 1 problem\n');
  });

  it("a client_config probe's file that is not there: 1 naming it; optional: true makes it a warning, 0", async () => {
    const dir = tempDir();
    const missing = join(dir, 'config.toml');
    const yaml = (extra: string): string =>
      'targets:\n  gw: { url: "http://127.0.0.1:9", apiKey: sk-x }\nprobes:\n' +
      `  - { name: codex, type: client_config, target: gw, file: "${missing}", server: litellm${extra} }\n`;
    const bad = writeConfig(dir, yaml(''), 'bad.yaml');
    const r = await captured(() => checkConfig(bad, {}));
    expect(r.value).toBe(1);
    expect(r.stdout).toBe(`probes[0].file: cannot read ${missing}: no such file\n`);
    const later = writeConfig(dir, yaml(', optional: true'), 'later.yaml');
    const w = await captured(() => checkConfig(later, {}));
    expect(w.value).toBe(0);
    expect(w.stdout.split('\n')).toEqual([
      `warning: probes[0].file: cannot read ${missing}: no such file (optional: its runs fail until it can be)`,
      `${later}: OK (1 targets, 1 probes, 0 containers)`,
      '',
    ]);
  });
});

describe('mcpwatch check-config: the web config, as run reads it at start', () => {
  const HASH = hashSync('pw', 4);
  const cfg = (dir: string, extra = ''): string =>
    writeConfig(dir, `targets:\n  gw: { url: "http://127.0.0.1:9", apiKey: sk-x }\nprobes: []\n${extra}`);

  it('a good one: 0, named in the OK line; from the flag, the environment or web.configFile, in that order', async () => {
    const dir = tempDir();
    const web = join(dir, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  alice: '${HASH}'\n`);
    const path = cfg(dir, `web: { configFile: ${join(dir, 'nope.yml')} }\n`);
    const viaFlag = await captured(() => checkConfig(path, { MCPWATCH_WEB_CONFIG_FILE: join(dir, 'no.yml') }, web));
    expect([viaFlag.value, viaFlag.stdout]).toEqual([
      0,
      `${path}: OK (1 targets, 0 probes, 0 containers, web config ${web})\n`,
    ]);
    const viaEnv = await captured(() => checkConfig(path, { MCPWATCH_WEB_CONFIG_FILE: web }));
    expect(viaEnv.value).toBe(0);
    // web.configFile alone: the one named there, which is not there.
    const viaConfig = await captured(() => checkConfig(path, {}));
    expect(viaConfig.value).toBe(1);
    expect(viaConfig.stdout).toMatch(/^web\.configFile: cannot read web config \S+nope\.yml: no such file\n$/);
    expect(viaConfig.stderr).toBe(`${path}: 1 problem\n`);
  });

  it('a bad one: 1, each problem as "FILE: field: message"; a file that cannot be read where it was named', async () => {
    const dir = tempDir();
    const web = join(dir, 'web.yml');
    writeFileSync(
      web,
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n` +
        `basic_auth_users:\n  alice: not-a-hash\nhttp_server_config:\n  headers:\n    X-Frame-Options: maybe\n`,
    );
    const path = cfg(dir);
    const r = await captured(() => checkConfig(path, {}, web));
    expect(r.value).toBe(1);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l.startsWith(`${web}: `), l).toBe(true);
    expect(lines.some((l) => l.startsWith(`${web}: basic_auth_users.alice: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${web}: http_server_config.headers.X-Frame-Options: `))).toBe(true);
    expect(r.stderr).toBe(`${path}: ${lines.length} problems\n`);
    const missing = await captured(() => checkConfig(path, { MCPWATCH_WEB_CONFIG_FILE: join(dir, 'gone.yml') }));
    expect(missing.stdout).toBe(
      `MCPWATCH_WEB_CONFIG_FILE: cannot read web config ${join(dir, 'gone.yml')}: no such file\n`,
    );
  });

  it('the PEM files it names are read and checked: a missing certificate named at its field', async () => {
    const dir = tempDir();
    const web = join(dir, 'web.yml');
    writeFileSync(web, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const r = await captured(() => checkConfig(cfg(dir), {}, web));
    expect(r.value).toBe(1);
    expect(r.stdout).toContain(
      `${web}: tls_server_config.cert_file: cannot read ${join(dir, 'server.crt')}: no such file\n`,
    );
    expect(r.stdout).toContain(
      `${web}: tls_server_config.key_file: cannot read ${join(dir, 'server.key')}: no such file\n`,
    );
  });

  it('an invalid config and a bad web config from the flag: both told in one run', async () => {
    const dir = tempDir();
    const web = join(dir, 'web.yml');
    writeFileSync(web, 'basic_auth_users:\n  alice: not-a-hash\n');
    const path = writeConfig(dir, 'logLevel: loud\n');
    const r = await captured(() => checkConfig(path, {}, web));
    expect(r.value).toBe(1);
    expect(r.stdout).toMatch(/^logLevel: /);
    expect(r.stdout).toContain(`${web}: basic_auth_users.alice: `);
  });

  it('/mcp on 0.0.0.0 without a token: refused, unless the web config asks every caller for a password', async () => {
    const dir = tempDir();
    const path = cfg(dir, 'listen: 0.0.0.0:9464\nmcpServer: { enabled: true }\n');
    const open = await captured(() => checkConfig(path, {}));
    expect(open.value).toBe(1);
    expect(open.stdout).toMatch(/^mcpServer: \/mcp would be open to anyone who reaches 0\.0\.0\.0:9464 /);
    const headersOnly = join(dir, 'headers.yml');
    writeFileSync(headersOnly, 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n');
    const still = await captured(() => checkConfig(path, {}, headersOnly));
    expect(still.value).toBe(1);
    expect(still.stdout).toContain(`the web config ${headersOnly}, which has neither`);
    const auth = join(dir, 'auth.yml');
    writeFileSync(auth, `basic_auth_users:\n  alice: '${HASH}'\n`);
    const closed = await captured(() => checkConfig(path, { MCPWATCH_WEB_CONFIG_FILE: auth }));
    expect([closed.value, closed.stdout]).toEqual([
      0,
      `${path}: OK (1 targets, 0 probes, 0 containers, web config ${auth})\n`,
    ]);
  });

  it('/mcp behind client certificates: RequireAndVerifyClientCert closes it, RequireAnyClientCert does not', async () => {
    const dir = tempDir();
    const ca = makeCa('check-config test CA', 2);
    const server = makeCert(ca, 'mcpwatch.test', 2);
    const path = cfg(dir, 'listen: 0.0.0.0:9464\nmcpServer: { enabled: true }\n');
    const web = join(dir, 'web.yml');
    const yaml = (auth: string): string =>
      `tls_server_config:\n  cert_file: ${server.certFile}\n  key_file: ${server.keyFile}\n` +
      `  client_ca_file: ${ca.certFile}\n  client_auth_type: ${auth}\n`;
    writeFileSync(web, yaml('RequireAndVerifyClientCert'));
    expect((await captured(() => checkConfig(path, {}, web))).value).toBe(0);
    writeFileSync(web, yaml('RequireAnyClientCert'));
    const any = await captured(() => checkConfig(path, {}, web));
    expect(any.value).toBe(1);
    expect(any.stdout).toMatch(/^mcpServer: \/mcp would be open/);
  });
});
