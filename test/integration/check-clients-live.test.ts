import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { runCli, sampleValue, tempDir, writeConfig } from '../support/agent-proc.js';
import { ProbeRunner } from '../support/probe-runner.js';
import { FS_SERVER, startLiteLLM, type LiteLLM } from '../support/litellm.js';

// `mcpwatch check-clients --live` against a real LiteLLM (the deployment's version, its filesystem
// upstream over stdio): each client entry is sent as that client sends it, and the gateway's answer
// is reported as a probe reports it. The key comes from the environment, as the clients read it,
// and must appear in no output.

describe('check-clients --live against a real LiteLLM', () => {
  let ll: LiteLLM;
  let dir: string;
  let configPath: string;
  /** Writes a client's file into `dir`; its path. */
  const file = (name: string, text: string): string => writeConfig(dir, text, name);

  beforeAll(async () => {
    ll = await startLiteLLM();
    dir = tempDir('mcpwatch-clients-live-');
    configPath = writeConfig(dir, `targets:\n  lan: { url: "${ll.url}", apiKey: "${ll.masterKey}" }\n`);
  }, 300_000);
  afterAll(async () => {
    await ll?.stop();
  });

  const cli = (args: string[]) =>
    runCli(['check-clients', '--config', configPath, '--live', ...args], {
      env: { LITELLM_KEY: ll.masterKey },
      timeoutMs: 120_000,
    });

  it('a right entry is ok with its tools; a key without Bearer is auth_rejected with the hint; nothing leaks', async () => {
    const right = file(
      'right.toml',
      `[mcp_servers.litellm]\nurl = "${ll.url}/mcp/"\nbearer_token_env_var = "LITELLM_KEY"\nhttp_headers = { "x-mcp-servers" = "${FS_SERVER}" }\n`,
    );
    const bare = file(
      'bare.toml',
      `[mcp_servers.litellm]\nurl = "${ll.url}/mcp/"\nenv_http_headers = { Authorization = "LITELLM_KEY" }\nhttp_headers = { "x-mcp-servers" = "${FS_SERVER}" }\n`,
    );
    const r = await cli([right, bare]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(`${right}: litellm: live: ok — 14 tools (${FS_SERVER}: 14)`);
    expect(lines.find((l) => l.startsWith(`${bare}:3: error: litellm: [missing_bearer_prefix]`))).toBeDefined();
    // LiteLLM 1.77 refuses a bare key with its detail-less 500, which mcpwatch names.
    expect(lines.find((l) => l.startsWith(`${bare}: litellm: live: auth_rejected — `))).toMatch(
      /key sent without "Bearer " prefix\?/,
    );
    expect((r.stdout + r.stderr).includes(ll.masterKey)).toBe(false);
  });

  it('a missing x-mcp-servers and an unknown server are caught; an entry that cannot be resolved is not tried', async () => {
    const noServers = file(
      'no-servers.toml',
      `[mcp_servers.litellm]\nurl = "${ll.url}/mcp/"\nbearer_token_env_var = "LITELLM_KEY"\n`,
    );
    const unknown = file(
      'unknown.toml',
      `[mcp_servers.litellm]\nurl = "${ll.url}/mcp/"\nbearer_token_env_var = "LITELLM_KEY"\nhttp_headers = { "x-mcp-servers" = "${FS_SERVER},mcp_nope" }\n`,
    );
    const vscode = file(
      'mcp.json',
      JSON.stringify(
        {
          servers: {
            litellm: {
              type: 'http',
              url: `${ll.url}/mcp/`,
              headers: { Authorization: 'Bearer ${input:litellm-key}', 'x-mcp-servers': FS_SERVER },
            },
          },
        },
        null,
        2,
      ),
    );
    const r = await cli(['--json', noServers, unknown, vscode]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as {
      findings: Array<{ file: string; line: number; code: string; message: string }>;
      live: Array<{ file: string; outcome: string; reason: string }>;
    };
    expect(out.findings.map((f) => [f.file, f.line, f.code])).toEqual([
      [noServers, 1, 'missing_servers_header'],
      [unknown, 4, 'unknown_server'],
    ]);
    // mcp_nope is not in the gateway's own server list either (read with the target's key): not an outage.
    expect(out.findings[1]!.message).toMatch(
      /^x-mcp-servers names mcp_nope, which the gateway does not have for this key: the gateway's catalog for this key lists nothing of it, and its server list has: (mcp_fs, mcp_everything|mcp_everything, mcp_fs)$/,
    );
    expect(out.live.map((l) => [l.file, l.outcome])).toEqual([
      [noServers, 'ok'],
      [unknown, 'ok'],
      [vscode, 'not_tried'],
    ]);
    expect(out.live[2]!.reason).toBe('not tried: ${input:litellm-key} is not known here');
    expect(r.stdout.includes(ll.masterKey)).toBe(false);
  });

  it('client_config: a scheduled check of one entry; an edit that breaks it shows in its outcome and in mcp_client_config_findings', async () => {
    const codex = file(
      'config.toml',
      `[mcp_servers.litellm]\nurl = "${ll.url}/mcp/"\nbearer_token_env_var = "LITELLM_KEY"\nhttp_headers = { "x-mcp-servers" = "${FS_SERVER}" }\n`,
    );
    const runner = new ProbeRunner(
      `targets:\n  lan: { url: "${ll.url}", apiKey: "${ll.masterKey}" }\nprobes:\n  - { name: codex-config, type: client_config, target: lan, file: "${codex}", server: litellm, every: 10m, timeout: 30s }\n`,
    );
    const metrics = createMetrics(new Registry());
    const rec = new ProbeRecorder(metrics);
    rec.declare(runner.config.probes);
    // The entry's variables resolve from mcpwatch's environment, as they would from the client's.
    process.env.LITELLM_KEY = ll.masterKey;
    try {
      const ok = await runner.run('codex-config');
      expect(ok.outcome, ok.reason).toBe('ok');
      expect(ok.reason).toBe(`as Codex CLI sends it: 14 tools (${FS_SERVER}: 14)`);
      rec.record(ok);
      // Someone "fixes" the file by hand: the key now goes without its prefix, and without x-mcp-servers.
      writeFileSync(
        codex,
        `[mcp_servers.litellm]\nurl = "${ll.url}/mcp/"\nenv_http_headers = { Authorization = "LITELLM_KEY" }\n`,
      );
      const broken = await runner.run('codex-config');
      expect(broken.outcome).toBe('auth_rejected');
      expect(broken.reason).toMatch(
        /^as Codex CLI sends it: .*key sent without "Bearer " prefix\?; the file: \[missing_servers_header\] line 1, \[missing_bearer_prefix\] line 3$/,
      );
      rec.record(broken);
      const text = await metrics.registry.metrics();
      const labels = { probe: 'codex-config', target: 'lan', type: 'client_config' };
      expect(
        sampleValue(text, 'mcp_client_config_findings', {
          ...labels,
          code: 'missing_bearer_prefix',
          severity: 'error',
        }),
      ).toBe(1);
      expect(
        sampleValue(text, 'mcp_client_config_findings', {
          ...labels,
          code: 'missing_servers_header',
          severity: 'error',
        }),
      ).toBe(1);
      expect(sampleValue(text, 'mcp_probe_success', labels)).toBe(0);
      expect(JSON.stringify([ok, broken]).includes(ll.masterKey)).toBe(false);
    } finally {
      delete process.env.LITELLM_KEY;
    }
  });
});
