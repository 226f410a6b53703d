import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyView } from '../../src/cli/client-live.js';
import type { Report } from '../../src/cli/report-render.js';
import type { EntryKey } from '../../src/clients/key-match.js';
import type { Finding } from '../../src/clients/types.js';
import { runCli, tempDir, writeConfig, type CliResult } from '../support/agent-proc.js';
import { EVERYTHING_SERVER, FS_SERVER, MASTER_KEY } from '../support/litellm.js';
import { SCOPED_VERSION, startScopedLiteLLM, type ScopedLiteLLM } from '../support/scoped-litellm.js';

// Each key's view from the clients' side and in the report (issue 27), against REAL LiteLLM 1.110.2 with no database
// whose two keys are scoped by LiteLLM's own custom_auth hook (test/support/scoped-litellm.ts): codex may use the
// filesystem server, webui the everything server. The built `check-clients` names the key a Codex config.toml
// sends (by value, never shown) and `--live` what that key sees, and which server the target's own key sees that it
// does not; `report` lists each key's servers per target. A gateway that admits only listed client applications
// (mcp_allowed_clients) refuses a client entry without its header, since a client is tried with its own headers only.
// No key's value in any output or file.

const CODEX_KEY = 'sk-test-codex-view-0123456789';
const WEBUI_KEY = 'sk-test-webui-view-0123456789';
const STRANGER_KEY = 'sk-test-stranger-0123456789';
const ALL_KEYS = [CODEX_KEY, WEBUI_KEY, STRANGER_KEY, MASTER_KEY];

/** No key's value in a text (stdout, stderr, a file). */
function noKeys(...texts: string[]): void {
  for (const t of texts) for (const k of ALL_KEYS) expect(t.includes(k), `a key in: ${t.slice(0, 400)}`).toBe(false);
}

interface ChecksJson {
  findings: Finding[];
  keys: EntryKey[];
  live: Array<{ file: string; server: string; outcome: string; reason: string }>;
  views: Array<{ file: string; server: string; key?: string; sees: Record<string, number>; unseen?: string[] }>;
}

describe(`each key's view through real LiteLLM ${SCOPED_VERSION} (custom_auth grants)`, () => {
  let scoped: ScopedLiteLLM;
  let dir: string;
  let configPath: string;
  let codex: string;
  const grants = { [CODEX_KEY]: [FS_SERVER], [WEBUI_KEY]: [EVERYTHING_SERVER] };

  beforeAll(async () => {
    scoped = await startScopedLiteLLM(grants);
    dir = tempDir('mcpwatch-key-views-');
    const gw = scoped.gw;
    configPath = writeConfig(
      dir,
      `targets:
  litellm:
    url: ${gw.url}
    apiKey: ${gw.masterKey}
    timeout: 60s
    keys:
      codex: { apiKeyFile: ${scoped.keyFile('key_codex', CODEX_KEY)} }
      webui: { apiKey: "\${WEBUI_KEY}" }
probes:
  # codex's view comes from this probe in the report; webui's and the own key's are read for it.
  - { name: codex-view, type: mcp_catalog, target: litellm, key: codex, every: 1h }
`,
    );
    // A Codex config.toml: the codex key naming its server, the same key naming none (its grant decides), the master
    // key, and a key the gateway does not know.
    codex = writeConfig(
      dir,
      `[mcp_servers.codex]
url = "${gw.url}/mcp/"
bearer_token_env_var = "CODEX_KEY"
http_headers = { "x-mcp-servers" = "${FS_SERVER}" }

[mcp_servers.codex-all]
url = "${gw.url}/mcp/"
bearer_token_env_var = "CODEX_KEY"

[mcp_servers.admin]
url = "${gw.url}/mcp/"
bearer_token_env_var = "MASTER_KEY"
http_headers = { "x-mcp-servers" = "${FS_SERVER},${EVERYTHING_SERVER}" }

[mcp_servers.stranger]
url = "${gw.url}/mcp/"
bearer_token_env_var = "STRANGER_KEY"
http_headers = { "x-mcp-servers" = "${FS_SERVER}" }
`,
      'config.toml',
    );
  }, 300_000);
  afterAll(async () => {
    await scoped?.gw.stop();
  });

  const env = { CODEX_KEY, MASTER_KEY, STRANGER_KEY, WEBUI_KEY };
  const cli = (args: string[]): Promise<CliResult> => runCli(args, { env, timeoutMs: 240_000 });

  it("check-clients names each entry's key; --live shows what the key sees and what it does not", async () => {
    scoped.grant(grants);
    const offline = await cli(['check-clients', '--config', configPath, codex]);
    const lines = offline.stdout.split('\n');
    expect(lines).toContain(`${codex}:1: key: codex: uses key codex of target litellm`);
    expect(lines).toContain(`${codex}:6: key: codex-all: uses key codex of target litellm`);
    expect(
      lines.find((l) => l.startsWith(`${codex}:10: key: admin: uses the master key (target litellm's own key)`)),
    ).toBeDefined();
    expect(
      lines.find((l) => l.startsWith(`${codex}:15: key: stranger: uses a key mcpwatch does not know`)),
    ).toBeDefined();

    const r = await cli(['check-clients', '--config', configPath, '--live', codex]);
    noKeys(offline.stdout, offline.stderr, r.stdout, r.stderr);
    const live = r.stdout.split('\n');
    expect(live).toContain(`${codex}: codex: key codex sees ${FS_SERVER} (14 tools)`);
    // Naming no server, the key gets all its grant allows: the everything server, which the own key sees, is not.
    expect(live).toContain(
      `${codex}: codex-all: key codex sees ${FS_SERVER} (14 tools); not ${EVERYTHING_SERVER}, which the target's own key sees`,
    );
    expect(
      live.find((l) =>
        l.startsWith(`${codex}: admin: the master key sees ${FS_SERVER} (14 tools), ${EVERYTHING_SERVER} (`),
      ),
    ).toBeDefined();
    // custom_auth refuses the key it does not know.
    expect(live.find((l) => l.startsWith(`${codex}: stranger: live: auth_rejected — `))).toBeDefined();

    const json = await cli(['check-clients', '--config', configPath, '--live', '--json', codex]);
    noKeys(json.stdout, json.stderr);
    const doc = JSON.parse(json.stdout) as ChecksJson;
    expect(doc.keys.map((k) => [k.server, k.which, k.key])).toEqual([
      ['codex', 'named', 'codex'],
      ['codex-all', 'named', 'codex'],
      ['admin', 'main', undefined],
      ['stranger', 'unknown', undefined],
    ]);
    expect(doc.views).toEqual([
      { file: codex, server: 'codex', key: 'key codex', sees: { [FS_SERVER]: 14 }, unseen: [] },
      { file: codex, server: 'codex-all', key: 'key codex', sees: { [FS_SERVER]: 14 }, unseen: [EVERYTHING_SERVER] },
      {
        file: codex,
        server: 'admin',
        key: 'the master key',
        sees: { [FS_SERVER]: 14, [EVERYTHING_SERVER]: expect.any(Number) as number },
      },
    ]);
  }, 300_000);

  it('a key that lost its server: the entry naming it is refused for it, the entry naming none shows what is left', async () => {
    scoped.grant({ ...grants, [CODEX_KEY]: [EVERYTHING_SERVER] });
    try {
      const r = await cli(['check-clients', '--config', configPath, '--live', '--json', codex]);
      noKeys(r.stdout, r.stderr);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout) as ChecksJson;
      expect(doc.live.find((l) => l.server === 'codex')).toMatchObject({ outcome: 'auth_rejected' });
      expect(doc.findings.find((f) => f.server === 'codex' && f.code === 'unknown_server')?.message).toContain(
        `x-mcp-servers names ${FS_SERVER}, which the gateway does not have for this key`,
      );
      // From the client's side: codex lost the filesystem server.
      expect(doc.views.find((v) => v.server === 'codex-all')).toEqual({
        file: codex,
        server: 'codex-all',
        key: 'key codex',
        sees: { [EVERYTHING_SERVER]: expect.any(Number) as number },
        unseen: [FS_SERVER],
      });
    } finally {
      scoped.grant(grants);
    }
  }, 300_000);

  it("the report lists each key's servers per target, reusing a key's probe; no key in any file", async () => {
    scoped.grant(grants);
    const out = join(dir, 'reports');
    const r = await cli(['report', '--config', configPath, '--clients', codex, '--out', out]);
    const names = readdirSync(out).sort();
    expect(names).toHaveLength(2);
    const md = readFileSync(join(out, names[1]!), 'utf8');
    const jsonText = readFileSync(join(out, names[0]!), 'utf8');
    noKeys(r.stdout, r.stderr, md, jsonText);
    const json = JSON.parse(jsonText) as Report;
    const views = (json.keyViews ?? []).map((v: KeyView) => [v.target, v.key, v.outcome, v.toolsPerServer, v.probe]);
    expect(views).toEqual([
      ['litellm', undefined, 'ok', { [FS_SERVER]: 14, [EVERYTHING_SERVER]: expect.any(Number) as number }, undefined],
      ['litellm', 'codex', 'ok', { [FS_SERVER]: 14 }, 'codex-view'],
      ['litellm', 'webui', 'ok', { [EVERYTHING_SERVER]: expect.any(Number) as number }, undefined],
    ]);
    expect(md).toContain("## Each key's view");
    expect(md).toContain(`| \`codex\` | ${FS_SERVER} (14) | ${EVERYTHING_SERVER} | \`codex-view\` |`);
    expect(md).toMatch(
      new RegExp(`\\| \`webui\` \\| ${EVERYTHING_SERVER} \\(\\d+\\) \\| ${FS_SERVER} \\| read for the report \\|`),
    );
    // The client entries' keys and views are in the report too.
    expect(json.clients.keys?.map((k) => [k.server, k.which])).toEqual([
      ['codex', 'named'],
      ['codex-all', 'named'],
      ['admin', 'main'],
      ['stranger', 'unknown'],
    ]);
    expect(md).toContain(
      `key codex sees ${FS_SERVER} (14 tools); not ${EVERYTHING_SERVER}, which the target's own key sees`,
    );
  }, 300_000);
});

describe(`a client allowlist (mcp_allowed_clients) in front of scoped keys, LiteLLM ${SCOPED_VERSION}`, () => {
  let scoped: ScopedLiteLLM;
  let dir: string;
  let configPath: string;

  beforeAll(async () => {
    scoped = await startScopedLiteLLM(
      { [CODEX_KEY]: [FS_SERVER] },
      {
        config: {
          general_settings: {
            mcp_allowed_clients: [
              { alias: 'mcpwatch', value: 'mcpwatch-probe' },
              { alias: 'codex', value: 'codex-cli' },
            ],
            mcp_client_id_header: 'x-mcp-client',
          },
        },
      },
    );
    dir = tempDir('mcpwatch-key-views-allowlist-');
    configPath = writeConfig(
      dir,
      `targets:
  litellm:
    url: ${scoped.gw.url}
    apiKey: ${scoped.gw.masterKey}
    clientId: mcpwatch-probe
    timeout: 60s
    keys:
      codex: { apiKey: "\${CODEX_KEY}" }
probes: []
`,
    );
  }, 300_000);
  afterAll(async () => {
    await scoped?.gw.stop();
  });

  it("a client is tried with its own headers only: without the allowlist's header refused and told how to fix it", async () => {
    const codex = writeConfig(
      dir,
      `[mcp_servers.no-id]
url = "${scoped.gw.url}/mcp/"
bearer_token_env_var = "CODEX_KEY"

[mcp_servers.with-id]
url = "${scoped.gw.url}/mcp/"
bearer_token_env_var = "CODEX_KEY"
http_headers = { "x-mcp-client" = "codex-cli" }
`,
      'config.toml',
    );
    const r = await runCli(['check-clients', '--config', configPath, '--live', codex], {
      env: { CODEX_KEY },
      timeoutMs: 180_000,
    });
    noKeys(r.stdout, r.stderr);
    const lines = r.stdout.split('\n');
    // mcpwatch's own clientId (mcpwatch-probe, listed) is not sent for the client: the gateway refuses the entry.
    expect(lines).toContain(
      `${codex}: no-id: live: auth_rejected — 403 Forbidden from no-id (Codex CLI) — refused by the gateway's client ` +
        'allowlist (general_settings.mcp_allowed_clients): it reads the client application from the x-mcp-client ' +
        'header (its mcp_client_id_header), and this Codex CLI entry sends none: add a x-mcp-client header with a ' +
        "value listed in mcp_allowed_clients to the entry (mcpwatch's clientId is not sent for a client)",
    );
    expect(lines).toContain(`${codex}: with-id: live: ok — 14 tools (${FS_SERVER}: 14)`);
    expect(lines).toContain(
      `${codex}: with-id: key codex sees ${FS_SERVER} (14 tools); not ${EVERYTHING_SERVER}, which the target's own key sees`,
    );

    // The report's key views go as mcpwatch, with its clientId.
    const out = join(dir, 'reports');
    const rep = await runCli(['report', '--config', configPath, '--out', out], {
      env: { CODEX_KEY },
      timeoutMs: 180_000,
    });
    const jsonName = readdirSync(out).find((n) => n.endsWith('.json'))!;
    const jsonText = readFileSync(join(out, jsonName), 'utf8');
    noKeys(rep.stdout, rep.stderr, jsonText);
    const json = JSON.parse(jsonText) as Report;
    expect(json.keyViews?.map((v) => [v.key, v.outcome, v.toolsPerServer])).toEqual([
      [undefined, 'ok', expect.objectContaining({ [FS_SERVER]: 14 }) as Record<string, number>],
      ['codex', 'ok', { [FS_SERVER]: 14 }],
    ]);
  }, 300_000);
});
