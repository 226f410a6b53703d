import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkClients, clientChecks, formatFinding, liveFailed } from '../../src/cli/check-clients.js';
import type { Finding } from '../../src/clients/types.js';
import { parseConfig, type Config } from '../../src/config/parse.js';
import { tempDir, writeConfig } from '../support/agent-proc.js';
import { captured } from '../support/std-output.js';

// check-clients without --live, in-process: the files read and checked, printed as text or JSON, the exit code.
// Sending the entries (--live) is test/integration/check-clients-live.test.ts's.

const KEY = 'sk-live-0123456789abcdef';
const LAN = 'http://litellm.linuxserver.lan/mcp/';
const CONFIG = 'targets:\n  lan: { url: "http://litellm.linuxserver.lan", apiKey: sk-x }\nprobes: []\n';

const UNKNOWN_KEY_LINE = (file: string): string =>
  `${file}:1: key: l: uses a key mcpwatch does not know (neither target lan's own nor one of its keys): ` +
  'add it to targets.lan.keys to see the gateway as this client does';

let dir: string;
let configPath: string;
let good: string;
let bad: string;

beforeAll(() => {
  dir = tempDir('mcpwatch-check-clients-');
  configPath = writeConfig(dir, CONFIG);
  good = join(dir, 'good.toml');
  writeFileSync(
    good,
    `[mcp_servers.l]\nurl = "${LAN}"\nbearer_token_env_var = "K"\nhttp_headers = { "x-mcp-servers" = "a" }\n`,
  );
  bad = join(dir, 'bad.toml');
  writeFileSync(
    bad,
    `[mcp_servers.l]\nurl = "${LAN}"\nhttp_headers = { Authorization = "${KEY}", "x-mcp-servers" = "a" }\n`,
  );
});

describe('formatFinding', () => {
  it('FILE:LINE: severity: SERVER: [code] message — fix: …', () => {
    const f: Finding = {
      file: 'c.toml',
      line: 3,
      client: 'codex',
      server: 'l',
      code: 'no_key',
      severity: 'error',
      message: 'no key',
      fix: 'add one',
    };
    expect(formatFinding(f)).toBe('c.toml:3: error: l: [no_key] no key — fix: add one');
  });
});

describe('liveFailed', () => {
  it('ok and not tried are no failure; any other outcome is', () => {
    const live = (outcome: Parameters<typeof liveFailed>[0]['outcome']) => ({
      file: 'f',
      server: 's',
      outcome,
      reason: '',
    });
    expect(liveFailed(live('ok'))).toBe(false);
    expect(liveFailed(live('not_tried'))).toBe(false);
    expect(liveFailed(live('auth_rejected'))).toBe(true);
    expect(liveFailed(live('connect_error'))).toBe(true);
  });
});

describe('clientChecks', () => {
  it("each file's findings; a file that cannot be read is listed, not thrown", async () => {
    const r = parseConfig(CONFIG, {});
    if (!r.ok) throw new Error('config');
    const config: Config = r.config;
    const checks = await clientChecks(config, { K: KEY }, [good, bad, join(dir, 'none.toml')], false);
    expect(checks.findings.map((f) => `${f.file}:${f.line}: ${f.code}`)).toEqual([
      `${bad}:3: plaintext_key`,
      `${bad}:3: missing_bearer_prefix`,
    ]);
    expect(checks.live).toEqual([]);
    expect(checks.unreadable).toEqual([`${join(dir, 'none.toml')}: cannot read it (no such file)`]);
  });
});

describe('mcpwatch check-clients', () => {
  it('a right file: 0, and the count', async () => {
    const r = await captured(() => checkClients(configPath, { K: KEY }, [good], { json: false, live: false }));
    expect(r.value).toBe(0);
    expect(r.stdout).toBe(`${UNKNOWN_KEY_LINE(good)}\n1 file checked: 0 errors, 0 warnings\n`);
    expect(r.stderr).toBe('');
  });

  it('an error-level finding: 1, one line a finding, nothing of the key', async () => {
    const r = await captured(() => checkClients(configPath, {}, [bad, good], { json: false, live: false }));
    expect(r.value).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${bad}:3: warning: l: \\[plaintext_key\\] `));
    expect(lines[1]).toMatch(new RegExp(`^${bad}:3: error: l: \\[missing_bearer_prefix\\] `));
    expect(lines[2]).toMatch(new RegExp(`^${good}:3: warning: l: \\[unresolved_variable\\] K \\(for Authorization\\)`));
    // The key written in bad.toml is none of the config's: said by name only, counted in no total.
    expect(lines.slice(3)).toEqual([UNKNOWN_KEY_LINE(bad), '2 files checked: 1 error, 2 warnings', '']);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('--json: the findings and the live tries as one JSON document', async () => {
    const r = await captured(() => checkClients(configPath, {}, [bad], { json: true, live: false }));
    expect(r.value).toBe(1);
    const doc = JSON.parse(r.stdout) as { findings: Finding[]; live: unknown[]; errors?: string[] };
    expect(doc.findings.map((f) => f.code)).toEqual(['plaintext_key', 'missing_bearer_prefix']);
    expect(doc.live).toEqual([]);
    expect(doc).not.toHaveProperty('errors');
  });

  it('a file that cannot be read: 2, said on stderr; the others are still checked', async () => {
    const none = join(dir, 'none.toml');
    const r = await captured(() => checkClients(configPath, { K: KEY }, [none, good], { json: false, live: false }));
    expect(r.value).toBe(2);
    expect(r.stdout).toBe(`${UNKNOWN_KEY_LINE(good)}\n1 file checked: 0 errors, 0 warnings\n`);
    expect(r.stderr).toBe(`mcpwatch: ${none}: cannot read it (no such file)\n`);
    const json = await captured(() => checkClients(configPath, { K: KEY }, [none], { json: true, live: false }));
    expect(json.value).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      findings: [],
      keys: [],
      live: [],
      errors: [`${none}: cannot read it (no such file)`],
    });
  });

  it('an invalid config: 2, its problems and why nothing is checked', async () => {
    const path = writeConfig(dir, 'targets: 5\n', 'bad.yaml');
    const r = await captured(() => checkClients(path, {}, [good], { json: false, live: false }));
    expect(r.value).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toBe(`${path}: invalid config: the gateways to check against are unknown`);
  });
});
