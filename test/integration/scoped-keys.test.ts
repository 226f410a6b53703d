import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/agent-proc.js';
import { EVERYTHING_SERVER, FS_SERVER, type LiteLLM } from '../support/litellm.js';
import { asFrames, runPipeline } from '../support/log-pipeline.js';
import { ProbeRunner } from '../support/probe-runner.js';
import { SCOPED_VERSION, startScopedLiteLLM } from '../support/scoped-litellm.js';

// Each key's view of the gateway (issue 27): probes that run as a named key of their target (`key`), the catalog's
// serversAbsent / toolsAbsent and the auth guard's out_of_scope check, against REAL LiteLLM 1.110.2 with no database.
// The keys' grants come from LiteLLM's own `custom_auth` hook (general_settings.custom_auth), a Python module written
// here that answers each key with a UserAPIKeyAuth whose object_permission lists the MCP servers the key may use, as a
// virtual key's does in the database (test/support/scoped-litellm.ts). The grants are read from a file on every
// request, so the test changes them between runs: the right scoping, a grant too wide (a leak), a grant that lost a
// server.

const VERSION = SCOPED_VERSION;
/** The scoped key (fake, test-only): mcpwatch reads it from a file, as from a compose secret. */
const CODEX_KEY = 'sk-test-codex-scoped-0123456789';
const OUTSIDE_TOOL = `${EVERYTHING_SERVER}-echo`;

describe(`scoped keys through real LiteLLM ${VERSION} (custom_auth grants)`, () => {
  let gw: LiteLLM;
  let runner: ProbeRunner;
  let grant: (servers: string[]) => void;

  beforeAll(async () => {
    const scoped = await startScopedLiteLLM({ [CODEX_KEY]: [FS_SERVER] });
    gw = scoped.gw;
    const dir = scoped.dir;
    grant = (servers) => scoped.grant({ [CODEX_KEY]: servers });
    const keyFile = scoped.keyFile('key_codex', CODEX_KEY);
    const cfg = writeConfig(
      dir,
      `targets:
  litellm:
    url: ${gw.url}
    apiKey: ${gw.masterKey}
    timeout: 60s
    keys:
      codex: { apiKeyFile: ${keyFile} }
probes:
  # No servers: the key's grant decides what it sees.
  - name: codex-view
    type: mcp_catalog
    target: litellm
    key: codex
    expect: { tools: [${FS_SERVER}-read_text_file], serversAbsent: [${EVERYTHING_SERVER}], toolsAbsent: [${OUTSIDE_TOOL}] }
  - { name: codex-fs, type: mcp_catalog, target: litellm, key: codex, servers: [${FS_SERVER}] }
  - name: guard
    type: auth_guard
    target: litellm
    checks: [wrong_key, out_of_scope]
    outOfScope: { key: codex, tool: ${OUTSIDE_TOOL}, arguments: { message: hi } }
  - { name: master-view, type: mcp_catalog, target: litellm, expect: { tools: [${OUTSIDE_TOOL}] } }
`,
    );
    runner = await ProbeRunner.load(cfg);
  });

  afterAll(async () => {
    await gw?.stop();
  });

  /** No result shows a key's value (the named key's, the master's). */
  const noKeys = (r: unknown): void => {
    const text = JSON.stringify(r);
    expect(text).not.toContain(CODEX_KEY);
    expect(text).not.toContain(gw.masterKey);
  };

  it('the right scoping: the key sees its server only, the master key sees both, a call outside the grant refused', async () => {
    grant([FS_SERVER]);
    const view = await runner.run('codex-view');
    expect(view.outcome, view.reason).toBe('ok');
    expect(view.details.key).toBe('codex');
    expect(view.details.catalog.toolsPerServer).toEqual({ [FS_SERVER]: expect.any(Number) as number });
    const fs = await runner.run('codex-fs');
    expect(fs.outcome, fs.reason).toBe('ok');
    const master = await runner.run('master-view');
    expect(master.outcome, master.reason).toBe('ok');
    expect(master.details.key).toBeUndefined();

    const guard = await runner.run('guard');
    expect(guard.outcome, guard.reason).toBe('ok');
    // LiteLLM 1.110.2 refuses in an error result, in its own words.
    expect(guard.details.authChecks.out_of_scope).toEqual({
      enforced: true,
      reason: 'refused: Error: User not allowed to call this tool.',
    });
    expect(guard.reason).toBe('all 2 rejected (wrong_key 401, out_of_scope refused); the real key is accepted');
    for (const r of [view, fs, master, guard]) noKeys(r);
    // The refusal in LiteLLM's own log ("HTTPException in MCP tool call: 403: User not allowed to call this tool."),
    // as the log tailing reads it: an auth error of its own kind.
    const logged = runPipeline([asFrames(gw.stderr(), 2)]).matches.map((m) => `${m.category}/${m.kind}`);
    expect(logged).toContain('auth/tool_not_allowed');
  });

  it('a grant too wide: the catalog names the leaked server and tool and the key; out_of_scope is auth_not_enforced', async () => {
    grant([FS_SERVER, EVERYTHING_SERVER]);
    const view = await runner.run('codex-view');
    expect(view.outcome).toBe('expectation_failed');
    expect(view.reason).toContain(
      `key codex sees ${EVERYTHING_SERVER}, ${OUTSIDE_TOOL}, which it must not: the gateway's scoping leaks`,
    );
    const guard = await runner.run('guard');
    expect(guard.outcome, guard.reason).toBe('auth_not_enforced');
    // The everything server's echo answered: the call reached the tool.
    expect(guard.reason).toBe(
      `litellm (/mcp/) let key codex call ${OUTSIDE_TOOL}, a tool outside its grant (check out_of_scope; ` +
        "the tool answered: Echo: hi): the gateway's per-key scoping does not hold: whoever holds that key can use " +
        'every tool',
    );
    expect(guard.details.authChecks.out_of_scope).toEqual({
      enforced: false,
      reason: `key codex called ${OUTSIDE_TOOL}, outside its grant: the tool answered: Echo: hi`,
    });
    expect(guard.details.authChecks.wrong_key).toMatchObject({ enforced: true });
    for (const r of [view, guard]) noKeys(r);
  });

  it('a grant that lost a server: a probe asking for it is refused naming it, the expected tool is missing', async () => {
    grant([EVERYTHING_SERVER]);
    // LiteLLM 1.108+ refuses the whole request when x-mcp-servers names a server the key may not use: the catalog
    // never gets as far as serversPresent, and the refusal names the server.
    const fs = await runner.run('codex-fs');
    expect(fs.outcome).toBe('auth_rejected');
    expect(fs.reason).toContain(`the key may not use MCP server ${FS_SERVER}`);
    expect(fs.reason).toContain(`The key is not allowed to access the requested MCP servers: ${FS_SERVER}`);
    const view = await runner.run('codex-view');
    expect(view.outcome).toBe('expectation_failed');
    expect(view.reason).toContain(`expected tool missing: ${FS_SERVER}-read_text_file`);
    for (const r of [fs, view]) noKeys(r);
  });
});
