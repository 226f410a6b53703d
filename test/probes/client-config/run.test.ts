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
