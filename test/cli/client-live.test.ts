import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyViewOf, keyViewProbe, serversSeen, tryEntries, unseenServers } from '../../src/cli/client-live.js';
import { viewLine } from '../../src/clients/key-match.js';
import type { ProbeResult } from '../../src/probes/table.js';
import { readClientFile } from '../../src/clients/read.js';
import type { Config } from '../../src/config/parse.js';
import { Redactor } from '../../src/util/redact.js';
import { tempDir } from '../support/agent-proc.js';
import { FakeMcpGateway } from '../support/fake-mcp.js';
import { gatewayConfig, silentLogger as logger, withEnv } from '../support/run-harness.js';

// `check-clients --live`: every entry of a temp client file that points at a configured gateway, tried
// once as its client sends it, against the MCP SDK's own server (test/support/fake-mcp.ts).

const CLIENT_KEY = 'sk-client-live-0123456789abcdef';
const VAR = 'MCPWATCH_TEST_LIVE_KEY';

describe('tryEntries', () => {
  let fake: FakeMcpGateway;
  let config: Config;
  let dir: string;
  withEnv(VAR, CLIENT_KEY);

  beforeAll(async () => {
    fake = await new FakeMcpGateway({ auth: 'enforce', key: CLIENT_KEY }).start();
    fake.tools = [{ name: 'mcp_fs-read' }, { name: 'mcp_db-query' }];
    config = gatewayConfig(fake.url, 'sk-mcpwatch-own-0123456789abcdef');
    dir = tempDir();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('tries each entry of a gateway: its outcome and reason; servers the catalog lacks come back as findings', async () => {
    const json = join(dir, 'servers.json');
    writeFileSync(
      json,
      JSON.stringify(
        {
          mcpServers: {
            good: {
              url: `${fake.url}/mcp/`,
              headers: { Authorization: `Bearer \${${VAR}}`, 'x-mcp-servers': 'mcp_fs' },
            },
            typo: {
              url: `${fake.url}/mcp/`,
              headers: { Authorization: `Bearer \${${VAR}}`, 'x-mcp-servers': 'mcp_fs,mcp_nope' },
            },
            wrongkey: { url: `${fake.url}/mcp/`, headers: { Authorization: 'Bearer sk-typo-000000000000' } },
            unset: { url: `${fake.url}/mcp/`, headers: { Authorization: 'Bearer ${MCPWATCH_TEST_LIVE_UNSET}' } },
            // Neither is tried: another gateway, and a stdio server.
            elsewhere: { url: 'http://elsewhere.example:4000/mcp/' },
            local: { command: 'npx', args: ['some-mcp-server'] },
          },
        },
        null,
        2,
      ),
    );
    const toml = join(dir, 'config.toml');
    writeFileSync(toml, `[mcp_servers.codex]\nurl = "${fake.url}/mcp/"\nbearer_token_env_var = "${VAR}"\n`);
    const files = [await readClientFile(json), await readClientFile(toml)];

    const { live, findings } = await tryEntries(files, config, new Redactor(), logger);
    expect(live).toEqual([
      { file: json, server: 'good', outcome: 'ok', reason: '2 tools (mcp_fs: 1, mcp_db: 1)' },
      { file: json, server: 'typo', outcome: 'ok', reason: '2 tools (mcp_fs: 1, mcp_nope: 0, mcp_db: 1)' },
      {
        file: json,
        server: 'wrongkey',
        outcome: 'auth_rejected',
        reason: expect.stringMatching(/^401 Unauthorized from wrongkey \(mcpServers JSON\) — /),
      },
      {
        file: json,
        server: 'unset',
        outcome: 'not_tried',
        reason: 'not tried: MCPWATCH_TEST_LIVE_UNSET is not known here',
      },
      { file: toml, server: 'codex', outcome: 'ok', reason: '2 tools (mcp_fs: 1, mcp_db: 1)' },
    ]);
    expect(findings).toEqual([
      expect.objectContaining({
        file: json,
        client: 'mcp_json',
        server: 'typo',
        code: 'unknown_server',
        severity: 'error',
        message: expect.stringMatching(/^x-mcp-servers names mcp_nope, /),
      }),
    ]);
    // Only the gateway's entries with known values sent a request: good, typo, wrongkey, codex (each entry's first
    // request is its handshake, server/discover or initialize: protocol auto); wrongkey's was refused (401) there.
    const keys = (rpc: string) =>
      new Set(fake.requests.filter((r) => r.rpc === rpc).map((r) => String(r.headers.authorization)));
    expect(new Set([...keys('server/discover'), ...keys('initialize')]).size).toBe(2);
    expect([...keys('server/discover')].some((a) => a.includes('sk-typo-'))).toBe(true);
    expect(fake.requests.filter((r) => r.rpc === 'initialize')).toHaveLength(3);
  });

  it('no files, or no entry of a configured gateway: nothing tried', async () => {
    expect(await tryEntries([], config, new Redactor(), logger)).toEqual({ live: [], findings: [], views: [] });
    const other = join(dir, 'other.toml');
    writeFileSync(other, '[mcp_servers.x]\nurl = "http://elsewhere.example/mcp/"\n');
    expect(await tryEntries([await readClientFile(other)], config, new Redactor(), logger)).toEqual({
      live: [],
      findings: [],
      views: [],
    });
  });
});

describe('tryEntries: a server the gateway has that is down now', () => {
  let fake: FakeMcpGateway;
  withEnv(VAR, CLIENT_KEY);

  beforeAll(async () => {
    fake = await new FakeMcpGateway({ auth: 'any_bearer' }).start();
    fake.tools = [{ name: 'mcp_fs-read' }];
    // The gateway's own list (read with mcpwatch's key) has ev, which lists nothing: down, as 1.77 shows it.
    fake.rest['/v1/mcp/server'] = [
      { server_id: 'a', server_name: 'mcp_fs' },
      { server_id: 'b', server_name: 'ev' },
    ];
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('comes back as a server_down warning beside the live ok, not as unknown_server', async () => {
    const toml = join(tempDir(), 'config.toml');
    writeFileSync(
      toml,
      `[mcp_servers.codex]\nurl = "${fake.url}/mcp/"\nbearer_token_env_var = "${VAR}"\n` +
        'http_headers = { "x-mcp-servers" = "mcp_fs,ev" }\n',
    );
    const config = gatewayConfig(fake.url, 'sk-mcpwatch-own-0123456789abcdef');
    const { live, findings } = await tryEntries([await readClientFile(toml)], config, new Redactor(), logger);
    expect(live).toEqual([{ file: toml, server: 'codex', outcome: 'ok', reason: '1 tools (mcp_fs: 1, ev: 0)' }]);
    expect(findings).toEqual([
      {
        file: toml,
        line: 4,
        client: 'codex',
        server: 'codex',
        code: 'server_down',
        severity: 'warning',
        message: expect.stringMatching(/^ev is down at the gateway \(.*\): see the mcp_catalog probes of target gw$/),
        fix: expect.stringMatching(/^nothing in this file/),
      },
    ]);
  });
});

describe("a key's view (pure parts)", () => {
  it('the servers a key sees, and those the own key sees that it does not (of those it asks for, if it names any)', () => {
    const main = { mcp_fs: 14, mcp_postgres: 5, mcp_git: 3 };
    expect(serversSeen({ a: 1, b: 0, c: 2 })).toEqual(['a', 'c']);
    expect(unseenServers(main, { mcp_fs: 14 }, [])).toEqual(['mcp_git', 'mcp_postgres']);
    expect(unseenServers(main, { mcp_fs: 14, mcp_postgres: 0 }, ['mcp_fs', 'mcp_postgres'])).toEqual(['mcp_postgres']);
    expect(unseenServers(main, main, [])).toEqual([]);
  });

  it('one line: the key by name, each server with its tools, what it does not see', () => {
    const v = { file: 'c.toml', server: 'codex', key: 'key codex', sees: { mcp_fs: 14, ev: 1 } };
    expect(viewLine(v)).toBe('key codex sees mcp_fs (14 tools), ev (1 tool)');
    expect(viewLine({ ...v, unseen: ['mcp_postgres'] })).toBe(
      "key codex sees mcp_fs (14 tools), ev (1 tool); not mcp_postgres, which the target's own key sees",
    );
    expect(viewLine({ file: 'c.toml', server: 'x', sees: {} })).toBe('its key sees no server');
  });

  it("the view's probe: an mcp_catalog with no servers and no expectations, as the key; its catalog read back", () => {
    const target = gatewayConfig('http://gw.lan', 'sk-own-0123456789').targets.gw!;
    const p = keyViewProbe({ ...target, name: 'gw' }, 'codex', 5000);
    expect(p).toMatchObject({ type: 'mcp_catalog', target: 'gw', key: 'codex', servers: [], timeoutMs: 5000 });
    expect(p.type === 'mcp_catalog' && p.expect).toMatchObject({ tools: [], serversPresent: false, serversAbsent: [] });
    expect(keyViewProbe({ ...target, name: 'gw' }, undefined, 5000)).not.toHaveProperty('key');
    const ok = {
      type: 'mcp_catalog',
      outcome: 'ok',
      success: true,
      reason: '14 tools',
      details: { catalog: { toolsPerServer: { mcp_fs: 14 } } },
    } as unknown as ProbeResult;
    expect(keyViewOf('gw', 'codex', ok, 'codex-view')).toEqual({
      target: 'gw',
      key: 'codex',
      outcome: 'ok',
      reason: '14 tools',
      toolsPerServer: { mcp_fs: 14 },
      probe: 'codex-view',
    });
    const refused = { type: 'mcp_catalog', outcome: 'auth_rejected', success: false, reason: '401' } as ProbeResult;
    expect(keyViewOf('gw', undefined, refused)).toEqual({ target: 'gw', outcome: 'auth_rejected', reason: '401' });
  });
});
