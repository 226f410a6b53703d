import { processEras } from '../../../src/probes/mcp/eras.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/probes/client-config/run.js';
import { tempDir } from '../../support/agent-proc.js';
import { FakeMcpGateway } from '../../support/fake-mcp.js';
import { probeHarness, withEnv } from '../../support/run-harness.js';

// The client_config probe's run: a client's own config file (a temp Codex config.toml, an mcpServers
// JSON) read and checked, and its entry's own request sent, as that client sends it, to the MCP SDK's
// own server (test/support/fake-mcp.ts), which takes only the client's key.

/** mcpwatch's own key for the target: the entry's request must not carry it. */
const OWN_KEY = 'sk-mcpwatch-own-0123456789abcdef';
/** The key the client's file names (through a variable of the environment). */
const CLIENT_KEY = 'sk-client-entry-0123456789abcdef';
const VAR = 'MCPWATCH_TEST_CLIENT_KEY';

const harness = probeHarness('client_config', run, OWN_KEY);
/** The probe on entry `server` of `file` (`more`: more of its YAML), run once in the scheduler's context. */
const runOnce = (url: string, file: string, server: string, more = '') =>
  harness(url, `{ name: cc, type: client_config, target: gw, file: "${file}", server: ${server}${more} }`);

/** What a run against the SDK 1.x fake speaks: the 2025 handshake after its refused server/discover. */
const LEGACY = { era: 'legacy', version: '2025-11-25', via: 'initialize' };

// Each test negotiates afresh (the agent's memory of a target's era is the process's).
beforeEach(() => processEras.clear());

describe('client_config run against the SDK MCP server', () => {
  let fake: FakeMcpGateway;
  let dir: string;
  withEnv(VAR, CLIENT_KEY);

  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const mcpJson = (entries: Record<string, unknown>): string => JSON.stringify({ mcpServers: entries }, null, 2);
  /** An mcpServers JSON file `name` whose one entry, gw, sends `authorization` and asks for mcp_fs. */
  const gwEntry = (name: string, authorization: string): string =>
    write(
      name,
      mcpJson({
        gw: { url: `${fake.url}/mcp/`, headers: { Authorization: authorization, 'x-mcp-servers': 'mcp_fs' } },
      }),
    );

  beforeAll(async () => {
    fake = await new FakeMcpGateway({ auth: 'enforce', key: CLIENT_KEY }).start();
    fake.tools = [{ name: 'mcp_fs-read' }, { name: 'mcp_fs-write' }, { name: 'mcp_db-query' }];
    dir = tempDir();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it("an mcpServers JSON entry that is right: ok, its request sent with the client's headers, not mcpwatch's key", async () => {
    const file = gwEntry('servers.json', `Bearer \${${VAR}}`);
    const { out, redactor } = await runOnce(fake.url, file, 'gw');
    expect(out).toEqual({
      outcome: 'ok',
      reason: 'as mcpServers JSON sends it: 3 tools (mcp_fs: 2, mcp_db: 1)',
      details: {
        client: 'mcpServers JSON',
        file,
        server: 'gw',
        line: 3,
        findings: [],
        live: { outcome: 'ok', reason: '3 tools (mcp_fs: 2, mcp_db: 1)', toolsPerServer: { mcp_fs: 2, mcp_db: 1 } },
        protocol: LEGACY,
      },
    });
    const init = fake.requests.find((r) => r.rpc === 'initialize')!;
    expect(init.headers.authorization).toBe(`Bearer ${CLIENT_KEY}`);
    expect(init.headers['x-mcp-servers']).toBe('mcp_fs');
    expect(JSON.stringify(fake.requests.map((r) => r.headers))).not.toContain(OWN_KEY);
    // The client's key is masked from then on.
    expect(redactor.mask(`key ${CLIENT_KEY}`)).not.toContain(CLIENT_KEY);
    expect(fake.sessionsClosed).toBe(fake.sessionsOpened);
  });

  it('a Codex config.toml naming a server the catalog lacks: an unknown_server finding fails the run', async () => {
    const file = write(
      'config.toml',
      `[mcp_servers.litellm]\nurl = "${fake.url}/mcp/"\nbearer_token_env_var = "${VAR}"\n` +
        'http_headers = { "x-mcp-servers" = "mcp_fs,mcp_nope" }\n',
    );
    const { out } = await runOnce(fake.url, file, 'litellm');
    expect(out.outcome).toBe('expectation_failed');
    expect(out.reason).toBe(`1 error in ${file}: [unknown_server] line 4`);
    expect(out.details).toMatchObject({
      client: 'Codex CLI',
      line: 1,
      live: { outcome: 'ok', toolsPerServer: { mcp_fs: 2, mcp_nope: 0 } },
      findings: [
        {
          line: 4,
          code: 'unknown_server',
          severity: 'error',
          message: expect.stringMatching(/^x-mcp-servers names mcp_nope, which the gateway does not have for this key/),
        },
      ],
    });
    // Its server list could not be read (mcpwatch's key is not this gateway's): said, and the name stays unknown.
    const [finding] = (out.details as { findings: Array<{ message: string }> }).findings;
    expect(finding!.message).toBe(
      "x-mcp-servers names mcp_nope, which the gateway does not have for this key: the gateway's catalog for this " +
        "key lists nothing of it (it has: mcp_fs, mcp_db); could not read the gateway's server list: /v1/mcp/server answered " +
        '401, so an outage cannot be told apart',
    );
  });

  it('a key the gateway refuses: the live outcome is the run\'s, "as <client> sends it"', async () => {
    const file = gwEntry('wrong.json', 'Bearer sk-typo-0000000000000');
    const { out } = await runOnce(fake.url, file, 'gw');
    expect(out.outcome).toBe('auth_rejected');
    expect(out.reason).toMatch(/^as mcpServers JSON sends it: 401 Unauthorized from gw \(mcpServers JSON\) — /);
    // The key written in the file is a warning, not an error.
    expect(out.details).toMatchObject({ findings: [{ code: 'plaintext_key', severity: 'warning' }] });
  });

  it('a variable not set here: not tried, said so, the rest of the entry checked', async () => {
    const file = gwEntry('unset.json', 'Bearer ${MCPWATCH_TEST_UNSET_VAR}');
    const { out, msgs: steps } = await runOnce(fake.url, file, 'gw');
    expect(out.outcome).toBe('ok');
    expect(out.reason).toMatch(/^the entry is right; 1 warning: \[unresolved_variable\] line \d+$/);
    expect(out.details).toMatchObject({ notSent: 'not tried: MCPWATCH_TEST_UNSET_VAR is not known here' });
    expect(out.details).not.toHaveProperty('live');
    expect(steps).toContain('not tried: MCPWATCH_TEST_UNSET_VAR is not known here');
    expect(fake.requests).toEqual([]);
  });

  it('live: false checks the file only; a missing header is an error of the file', async () => {
    const file = write(
      'nolive.json',
      mcpJson({ gw: { url: `${fake.url}/mcp/`, headers: { Authorization: `Bearer \${${VAR}}` } } }),
    );
    const { out } = await runOnce(fake.url, file, 'gw', ', live: false');
    expect(out.outcome).toBe('expectation_failed');
    expect(out.reason).toMatch(
      new RegExp(`^1 error in ${file.replace(/[.]/g, '\\.')}: \\[missing_servers_header\\] line 3$`),
    );
    expect(fake.requests).toEqual([]);
  });

  it('an entry not in the file, a file that is not there, a URL of another gateway: expectation_failed saying which', async () => {
    const file = write(
      'other.json',
      mcpJson({
        gw: { url: `${fake.url}/mcp/`, headers: { 'x-mcp-servers': 'mcp_fs' } },
        elsewhere: { url: 'http://elsewhere.example:4000/mcp/', headers: { 'x-mcp-servers': 'mcp_fs' } },
      }),
    );
    expect((await runOnce(fake.url, file, 'nope')).out).toEqual({
      outcome: 'expectation_failed',
      reason: `${file} has no entry "nope" (entries: gw, elsewhere)`,
    });
    const missing = join(dir, 'missing.json');
    expect((await runOnce(fake.url, missing, 'gw')).out).toEqual({
      outcome: 'expectation_failed',
      reason: `${missing}: cannot read it (no such file)`,
    });
    const { out } = await runOnce(fake.url, file, 'elsewhere');
    expect(out.outcome).toBe('expectation_failed');
    expect(out.reason).toBe(`the entry's URL http://elsewhere.example:4000/mcp/ is not target gw (${fake.url})`);
    expect(fake.requests).toEqual([]);
  });
});

describe("client_config run: a server the entry names that listed nothing, told apart by the gateway's server list", () => {
  // A gateway that takes any key (LiteLLM's /v1/mcp/server is read with mcpwatch's own key, the entry's request with
  // the client's), whose server list has mcp_down: it lists no tool, as LiteLLM 1.77 shows a server that fails to
  // start.
  let fake: FakeMcpGateway;
  let dir: string;
  withEnv(VAR, CLIENT_KEY);

  beforeAll(async () => {
    fake = await new FakeMcpGateway({ auth: 'any_bearer' }).start();
    fake.tools = [{ name: 'mcp_fs-read' }, { name: 'mcp_fs-write' }];
    // Each entry holds the server's env in LiteLLM's answer: never read, never shown.
    fake.rest['/v1/mcp/server'] = [
      { server_id: 'id-fs', server_name: 'mcp_fs', env: { DATABASE_URL: 'postgres://u:pw-in-env@db/x' } },
      { server_id: 'id-down', server_name: 'mcp_down', env: {} },
    ];
    dir = tempDir();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  const codex = (name: string, servers: string): string => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `[mcp_servers.litellm]\nurl = "${fake.url}/mcp/"\nbearer_token_env_var = "${VAR}"\n` +
        `http_headers = { "x-mcp-servers" = "${servers}" }\n`,
    );
    return path;
  };

  it('a server the gateway has that is down: a server_down warning pointing at the catalog, the run ok', async () => {
    const file = codex('down.toml', 'mcp_fs,mcp_down');
    const { out, msgs: steps } = await runOnce(fake.url, file, 'litellm');
    expect(out).toEqual({
      outcome: 'ok',
      reason: 'as Codex CLI sends it: 2 tools (mcp_fs: 2, mcp_down: 0); 1 warning: [server_down] line 4',
      details: {
        client: 'Codex CLI',
        file,
        server: 'litellm',
        line: 1,
        findings: [
          {
            line: 4,
            code: 'server_down',
            severity: 'warning',
            message:
              "mcp_down is down at the gateway (in the gateway's server list, but it listed no tools and the gateway " +
              'gave no reason (LiteLLM 1.77: an upstream that fails to start lists nothing)): see the mcp_catalog ' +
              'probes of target gw',
            fix: "nothing in this file: it names the server as the gateway calls it; the outage is the gateway's",
          },
        ],
        live: { outcome: 'ok', reason: '2 tools (mcp_fs: 2, mcp_down: 0)', toolsPerServer: { mcp_fs: 2, mcp_down: 0 } },
        protocol: LEGACY,
      },
    });
    // The list was read with mcpwatch's own key, the entry's request sent with the client's.
    const list = fake.requests.find((r) => r.url === '/v1/mcp/server')!;
    expect(list.headers.authorization).toBe(`Bearer ${OWN_KEY}`);
    expect(fake.requests.find((r) => r.rpc === 'initialize')!.headers.authorization).toBe(`Bearer ${CLIENT_KEY}`);
    expect(steps).toContain(`GET ${fake.url}/v1/mcp/server  (the gateway's own server list)`);
    expect(JSON.stringify({ out, steps })).not.toContain('pw-in-env');
  });

  it('a name the gateway never had is still unknown_server, naming the servers it has', async () => {
    const file = codex('typo.toml', 'mcp_fs,mcp_down,mcp_nope');
    const { out } = await runOnce(fake.url, file, 'litellm');
    expect(out.outcome).toBe('expectation_failed');
    expect(out.reason).toBe(`1 error in ${file}: [unknown_server] line 4`);
    expect(out.details).toMatchObject({
      findings: [
        {
          code: 'server_down',
          severity: 'warning',
          message: expect.stringMatching(/^mcp_down is down at the gateway/),
        },
        {
          code: 'unknown_server',
          severity: 'error',
          message:
            "x-mcp-servers names mcp_nope, which the gateway does not have for this key: the gateway's catalog for " +
            'this key lists nothing of it, and its server list has: mcp_fs, mcp_down',
        },
      ],
    });
  });

  it('every named server listed its tools: the list is not read', async () => {
    const { out } = await runOnce(fake.url, codex('fine.toml', 'mcp_fs'), 'litellm');
    expect(out).toMatchObject({ outcome: 'ok', reason: 'as Codex CLI sends it: 2 tools (mcp_fs: 2)' });
    expect(fake.requests.map((r) => r.url)).not.toContain('/v1/mcp/server');
  });
});
