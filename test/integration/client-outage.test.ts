import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, freePort, runCli, sampleValue, tempDir, writeConfig } from '../support/agent-proc.js';
import { ensureMcpServers, FS_SERVER, LITELLM_EDGE_VERSIONS, startLiteLLM, type LiteLLM } from '../support/litellm.js';

// One outage, one alarm (issue 30). REAL LiteLLM 1.77.1 (the deployment's) and the newest installable, each with
// two stdio servers: the filesystem server from npm, and mcp_broken, whose command fails at once (`false`). A Codex
// config.toml entry names both, as it should: while mcp_broken is down, `check-clients --live` and a running agent's
// client_config probe report `server_down` (a warning: the entry is right, the outage is the gateway's), not
// `unknown_server` (the file's mistake, which MCPClientConfigBroken fires on). A name the gateway never had is still
// `unknown_server`. And /health keeps a working gateway up while a really broken client file fails: its probe is
// listed apart, under the target's `clients`.

const BROKEN = 'mcp_broken';

/** The gateway's words for mcp_broken, as each version gives them (see mcp-postgres-litellm.test.ts). */
const DOWN_WORDS: Record<string, RegExp> = {
  // 1.77 lists nothing of it without a reason; its server list has it.
  '1.77.1': /^in the gateway's server list, but it listed no tools and the gateway gave no reason \(LiteLLM 1\.77: /,
  // 1.109 says why in server_outcomes.
  '1.109.1': /^the gateway says internal — the gateway could not start or query it: /,
  // 1.110.2 answers as 1.109.1 does (tools/list, server_outcomes and the server list alike).
  '1.110.2': /^the gateway says internal — the gateway could not start or query it: /,
};

interface Finding {
  file: string;
  line: number;
  code: string;
  severity: string;
  message: string;
}
interface CheckOutput {
  findings: Finding[];
  live: Array<{ file: string; server: string; outcome: string; reason: string }>;
}

/** A Codex config.toml whose entry `litellm` sends the key of $LITELLM_KEY and names `servers`. */
const codexToml = (url: string, servers: string, auth = 'bearer_token_env_var = "LITELLM_KEY"'): string =>
  `[mcp_servers.litellm]\nurl = "${url}/mcp/"\n${auth}\nhttp_headers = { "x-mcp-servers" = "${servers}" }\n`;

describe('one outage, one alarm: a server down is not a broken client file', () => {
  const gateways = new Map<string, LiteLLM>();

  beforeAll(async () => {
    const fs = ensureMcpServers().filesystem;
    const started = await Promise.all(
      LITELLM_EDGE_VERSIONS.map((version) => {
        const dir = tempDir('mcpwatch-outage-fs-');
        return startLiteLLM({
          version,
          servers: {
            [FS_SERVER]: { transport: 'stdio', command: process.execPath, args: [fs, dir] },
            [BROKEN]: { transport: 'stdio', command: 'false', args: [] },
          },
          // 1.109 runs only npx, uvx, python, node, docker, deno unless told.
          env: { LITELLM_MCP_STDIO_EXTRA_COMMANDS: 'false' },
        });
      }),
    );
    for (const ll of started) gateways.set(ll.version, ll);
  }, 300_000);
  afterAll(async () => {
    await Promise.all([...gateways.values()].map((ll) => ll.stop()));
  });

  it.each(LITELLM_EDGE_VERSIONS)(
    '%s: check-clients --live: the right entry gets server_down (a warning, exit 0); a name never had is unknown_server',
    async (version) => {
      const ll = gateways.get(version)!;
      const dir = tempDir('mcpwatch-outage-cli-');
      const configPath = writeConfig(dir, `targets:\n  lan: { url: "${ll.url}", apiKey: "${ll.masterKey}" }\n`);
      const cli = (files: string[]) =>
        runCli(['check-clients', '--config', configPath, '--live', '--json', ...files], {
          env: { LITELLM_KEY: ll.masterKey },
          timeoutMs: 120_000,
        });
      const both = writeConfig(dir, codexToml(ll.url, `${FS_SERVER},${BROKEN}`), 'both.toml');
      // Only the server that is down: 1.109 answers tools/list with an error naming it, 1.77 lists nothing.
      const onlyDown = writeConfig(dir, codexToml(ll.url, BROKEN), 'only-down.toml');

      const r = await cli([both, onlyDown]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as CheckOutput;
      expect(out.findings.map((f) => [f.file, f.line, f.code, f.severity])).toEqual([
        [both, 4, 'server_down', 'warning'],
        [onlyDown, 4, 'server_down', 'warning'],
      ]);
      for (const f of out.findings) {
        const m = /^mcp_broken is down at the gateway \((.*)\): see the mcp_catalog probes of target lan$/.exec(
          f.message,
        );
        expect(m, f.message).not.toBeNull();
        expect(m![1]).toMatch(DOWN_WORDS[version]!);
      }
      expect(out.live.map((l) => [l.file, l.outcome])).toEqual([
        [both, 'ok'],
        [onlyDown, 'ok'],
      ]);
      expect(out.live[0]!.reason).toMatch(new RegExp(`^\\d+ tools \\(${FS_SERVER}: [1-9]\\d*, ${BROKEN}: 0\\)$`));
      // 1.109's tools/list is an error when every server named failed: the gateway took the request all the same.
      expect(out.live[1]!.reason).toBe(
        version === '1.77.1'
          ? `0 tools (${BROKEN}: 0)`
          : '0 tools: the gateway says Every MCP server in scope failed to list tools',
      );
      expect(r.stdout + r.stderr).not.toContain(ll.masterKey);

      // A name the gateway never had is still the file's mistake: an error, exit 1. Beside names it has, both versions
      // list what they can (1.109 too); alone, 1.109 refuses the request naming it (403), 1.77 lists nothing.
      const typo = writeConfig(dir, codexToml(ll.url, `${FS_SERVER},${BROKEN},mcp_nope`), 'typo.toml');
      const nopeOnly = writeConfig(dir, codexToml(ll.url, 'mcp_nope'), 'nope-only.toml');
      const t = await cli([typo, nopeOnly]);
      expect(t.code, t.stdout + t.stderr).toBe(1);
      const typoOut = JSON.parse(t.stdout) as CheckOutput;
      expect(typoOut.findings.map((f) => [f.file, f.code, f.severity])).toEqual([
        [typo, 'server_down', 'warning'],
        [typo, 'unknown_server', 'error'],
        [nopeOnly, 'unknown_server', 'error'],
      ]);
      expect(typoOut.findings[1]!.message).toMatch(
        /^x-mcp-servers names mcp_nope, which the gateway does not have for this key: the gateway's catalog for this key lists nothing of it, and its server list has: (mcp_fs, mcp_broken|mcp_broken, mcp_fs)$/,
      );
      expect(typoOut.findings[2]!.message).toMatch(/^x-mcp-servers names mcp_nope, which the gateway does not have /);
      expect(t.stdout + t.stderr).not.toContain(ll.masterKey);
    },
    180_000,
  );

  it.each(LITELLM_EDGE_VERSIONS)(
    '%s: a running agent: the client probe is ok with server_down; a broken file fails apart, the target stays up',
    async (version) => {
      const ll = gateways.get(version)!;
      const dir = tempDir('mcpwatch-outage-agent-');
      const right = writeConfig(dir, codexToml(ll.url, `${FS_SERVER},${BROKEN}`), 'right.toml');
      // Really broken: the key without "Bearer " (Codex sends env_http_headers as they are).
      const bare = writeConfig(
        dir,
        codexToml(ll.url, FS_SERVER, 'env_http_headers = { Authorization = "LITELLM_KEY" }'),
        'bare.toml',
      );
      const port = await freePort();
      const every = 'every: 3s, timeout: 30s';
      const cfg = writeConfig(
        dir,
        `listen: 127.0.0.1:${port}
targets:
  lan: { url: "${ll.url}", apiKey: "\${GW_KEY}" }
probes:
  - { name: live, type: http, target: lan, path: /health/liveliness, ${every} }
  - { name: cat, type: mcp_catalog, target: lan, servers: [${FS_SERVER}], ${every} }
  - { name: codex-outage, type: client_config, target: lan, file: "${right}", server: litellm, ${every} }
  - { name: codex-bare, type: client_config, target: lan, file: "${bare}", server: litellm, ${every} }
`,
      );
      // The entries' variable resolves from mcpwatch's environment, as it would from the client's.
      const agent = await AgentProcess.start(cfg, port, { GW_KEY: ll.masterKey, LITELLM_KEY: ll.masterKey });
      try {
        type Status = {
          probes: Array<{ name: string; last?: { outcome: string; reason: string; details?: unknown } }>;
        };
        let status: Status = { probes: [] };
        await agent.waitFor(
          async () => {
            status = (await (await agent.get('/status')).json()) as Status;
            return status.probes.every((p) => p.last !== undefined);
          },
          90_000,
          'every probe has run',
        );
        const last = (name: string) => status.probes.find((p) => p.name === name)!.last!;
        expect(last('codex-outage').outcome, last('codex-outage').reason).toBe('ok');
        expect(last('codex-outage').reason).toMatch(/; 1 warning: \[server_down\] line 4$/);
        expect(last('codex-outage').details).toMatchObject({
          findings: [
            {
              line: 4,
              code: 'server_down',
              severity: 'warning',
              message: expect.stringMatching(/^mcp_broken is down at the gateway \(.*\): see the mcp_catalog probes/),
            },
          ],
        });
        expect(last('codex-bare').outcome).not.toBe('ok');
        expect(last('live').outcome).toBe('ok');
        expect(last('cat').outcome, last('cat').reason).toBe('ok');

        // /health: the gateway, whose probes pass, is up; the broken file is listed apart.
        const health = await agent.get('/health');
        expect(health.status).toBe(200);
        const h = (await health.json()) as { targets: Record<string, unknown> };
        expect(h.targets).toEqual({
          lan: { up: true, probes: 2, failing: [], clients: { probes: 2, failing: ['codex-bare'] } },
        });

        // The metrics: the outage's probe has a warning and no error; the broken file its error.
        const text = await agent.text('/metrics');
        const labels = (probe: string) => ({ probe, target: 'lan', type: 'client_config' });
        const findings = (probe: string, code: string, severity: string) =>
          sampleValue(text, 'mcp_client_config_findings', { ...labels(probe), code, severity });
        expect(findings('codex-outage', 'server_down', 'warning')).toBe(1);
        expect(findings('codex-outage', 'unknown_server', 'error')).toBeUndefined();
        expect(findings('codex-bare', 'missing_bearer_prefix', 'error')).toBe(1);
        expect(sampleValue(text, 'mcp_probe_success', labels('codex-outage'))).toBe(1);

        const all = JSON.stringify(status) + JSON.stringify(h) + text + agent.stdout + agent.stderr;
        expect(all).not.toContain(ll.masterKey);
      } finally {
        await agent.stop();
      }
    },
    180_000,
  );
});
