import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/cli/check-config.js';
import { tempDir, writeConfig } from '../support/agent-proc.js';
import { captured } from '../support/std-output.js';

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
