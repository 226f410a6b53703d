import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig, resolveConfigPath } from '../../src/config/load.js';
import { formatProblem } from '../../src/config/problems.js';
import { tempDir } from '../support/agent-proc.js';

// Loading a config file from a temp dir: the file read and validated, then the files it names (key files,
// TLS files) read, so that a loaded config is complete; each file that cannot be read is a problem that
// names its field and the file.

function write(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function problemsOf(path: string, env: Record<string, string> = {}): Promise<string[]> {
  const r = await loadConfig(path, env);
  if (r.ok) throw new Error('expected problems, the config loaded');
  expect(r.path).toBe(path);
  return r.problems.map(formatProblem);
}

describe('resolveConfigPath', () => {
  it('--config, else MCPWATCH_CONFIG, else the shipped default', () => {
    expect(resolveConfigPath('/a.yaml', { MCPWATCH_CONFIG: '/b.yaml' })).toBe('/a.yaml');
    expect(resolveConfigPath(undefined, { MCPWATCH_CONFIG: '/b.yaml' })).toBe('/b.yaml');
    expect(resolveConfigPath('', { MCPWATCH_CONFIG: '' })).toBe(DEFAULT_CONFIG_PATH);
    expect(resolveConfigPath(undefined, {})).toBe('config/mcpwatch.yaml');
  });
});

describe('loadConfig', () => {
  it('reads apiKeyFile and the TLS files into the target, each without its trailing newline', async () => {
    const dir = tempDir();
    const keyFile = write(dir, 'key', 'sk-from-file-0123456789\n');
    const crlfKey = write(dir, 'key-crlf', 'sk-crlf-0123456789\r\n');
    const ca = write(dir, 'ca.pem', 'CA PEM\n');
    const cert = write(dir, 'cert.pem', 'CERT PEM');
    const key = write(dir, 'client.key', 'KEY PEM');
    const path = write(
      dir,
      'c.yaml',
      `targets:
  gw:
    url: https://gw.example
    apiKeyFile: ${keyFile}
    tls: { caFile: ${ca}, certFile: ${cert}, keyFile: ${key} }
  crlf: { url: "http://gw2.example", apiKeyFile: ${crlfKey} }
  open: { url: "http://gw3.example" }
probes:
  - { name: web, type: http, target: "\${TARGET}" }
`,
    );
    const r = await loadConfig(path, { TARGET: 'gw' });
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.path).toBe(path);
    const gw = r.config.targets.gw!;
    expect(gw.apiKey).toBe('sk-from-file-0123456789');
    // The TLS files too lose their trailing newline (harmless in PEM).
    expect(gw.tlsFiles).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' });
    expect(r.config.targets.crlf!.apiKey).toBe('sk-crlf-0123456789');
    expect(r.config.targets.crlf).not.toHaveProperty('tlsFiles');
    expect(r.config.probes[0]!.target).toBe('gw');
    // The parser's warnings come along.
    expect(r.warnings.map(formatProblem)).toEqual([
      'targets.open: no apiKey: requests to this target are sent without a key',
    ]);
  });

  it('a config file that cannot be read: the one problem, naming it', async () => {
    const dir = tempDir();
    expect(await problemsOf(join(dir, 'none.yaml'))).toEqual([
      `(file): cannot read config file ${join(dir, 'none.yaml')}: no such file`,
    ]);
    mkdirSync(join(dir, 'sub.yaml'));
    expect(await problemsOf(join(dir, 'sub.yaml'))).toEqual([
      `(file): cannot read config file ${join(dir, 'sub.yaml')}: is a directory`,
    ]);
  });

  it('each missing or empty file is a problem at its field, all of them reported', async () => {
    const dir = tempDir();
    const empty = write(dir, 'empty', '\n');
    const missing = join(dir, 'missing');
    const path = write(
      dir,
      'c.yaml',
      `targets:
  a: { url: "http://a.example", apiKeyFile: ${missing} }
  b: { url: "http://b.example", apiKeyFile: ${empty} }
  c: { url: "https://c.example", tls: { caFile: ${join(dir, 'ca.pem')}, keyFile: ${dir} } }
`,
    );
    expect(await problemsOf(path)).toEqual([
      `targets.a.apiKeyFile: cannot read ${missing}: no such file`,
      `targets.b.apiKeyFile: ${empty} is empty`,
      `targets.c.tls.caFile: cannot read ${join(dir, 'ca.pem')}: no such file`,
      `targets.c.tls.keyFile: cannot read ${dir}: is a directory`,
    ]);
  });

  it('an invalid config also reports its key files that cannot be read, so one check shows every problem', async () => {
    const dir = tempDir();
    const missing = join(dir, 'missing');
    const path = write(
      dir,
      'c.yaml',
      `listen: nowhere\ntargets:\n  a: { url: "http://a.example", apiKeyFile: ${missing} }\n`,
    );
    expect(await problemsOf(path)).toEqual([
      'listen: expected host:port (e.g. 0.0.0.0:9464 or [::]:9464), got "nowhere"',
      `targets.a.apiKeyFile: cannot read ${missing}: no such file`,
    ]);
  });

  it('YAML that does not parse: the parser problem, no file read', async () => {
    const dir = tempDir();
    const path = write(dir, 'c.yaml', 'targets: [\n');
    const problems = await problemsOf(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^yaml \(line \d+, column \d+\): /);
  });
});

describe('loadConfig: the files a probe reads (its type declares them)', () => {
  const TARGET = 'targets:\n  gw: { url: "http://gw.example", apiKey: sk-x }\n';
  const clientProbe = (file: string, extra = ''): string =>
    `  - { name: codex, type: client_config, target: gw, file: "${file}", server: litellm${extra} }\n`;

  it('a client_config file that is there: loaded, no warning', async () => {
    const dir = tempDir();
    const file = write(dir, 'config.toml', '');
    const r = await loadConfig(write(dir, 'c.yaml', `${TARGET}probes:\n${clientProbe(file)}`), {});
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.warnings).toEqual([]);
  });

  it('one that is not there, or is a directory: a problem naming the path at probes[i].file', async () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.toml');
    mkdirSync(join(dir, 'sub'));
    const path = write(
      dir,
      'c.yaml',
      `${TARGET}probes:\n  - { name: web, type: http, target: gw }\n${clientProbe(missing)}${clientProbe(join(dir, 'sub')).replace('codex', 'sub')}`,
    );
    expect(await problemsOf(path)).toEqual([
      `probes[1].file: cannot read ${missing}: no such file`,
      `probes[2].file: cannot read ${join(dir, 'sub')}: is a directory`,
    ]);
  });

  it("a relative path is the probe's, from the working directory: found there, or named whole", async () => {
    const dir = tempDir();
    const there = relative(process.cwd(), write(dir, 'there.toml', ''));
    const ok = await loadConfig(write(dir, 'ok.yaml', `${TARGET}probes:\n${clientProbe(there)}`), {});
    expect(ok.ok).toBe(true);
    const path = write(dir, 'c.yaml', `${TARGET}probes:\n${clientProbe('clients/nope.toml')}`);
    expect(await problemsOf(path)).toEqual([
      `probes[0].file: cannot read clients/nope.toml (${join(process.cwd(), 'clients/nope.toml')}): no such file`,
    ]);
  });

  it('optional: true makes a missing file a warning: the config loads', async () => {
    const dir = tempDir();
    const missing = join(dir, 'later.toml');
    const r = await loadConfig(
      write(dir, 'c.yaml', `${TARGET}probes:\n${clientProbe(missing, ', optional: true')}`),
      {},
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.warnings.map(formatProblem)).toEqual([
      `probes[0].file: cannot read ${missing}: no such file (optional: its runs fail until it can be)`,
    ]);
    expect(r.config.probes[0]).toMatchObject({ file: missing, optional: true });
  });

  it('an invalid config reports them too, but not for a probe that has problems of its own', async () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.toml');
    const path = write(
      dir,
      'c.yaml',
      `listen: nowhere\n${TARGET}probes:\n${clientProbe(missing)}` +
        `  - { name: other, type: client_config, target: nope, file: "${missing}", server: s }\n`,
    );
    expect(await problemsOf(path)).toEqual([
      'listen: expected host:port (e.g. 0.0.0.0:9464 or [::]:9464), got "nowhere"',
      'probes[1].target: unknown target "nope" (targets: gw)',
      `probes[0].file: cannot read ${missing}: no such file`,
    ]);
  });
});
