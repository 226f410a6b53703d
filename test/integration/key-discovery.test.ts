import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusDocument } from '../../src/runtime/status-view.js';
import { AgentProcess, freePort, tempDir, writeConfig } from '../support/agent-proc.js';
import { EVERYTHING_SERVER, FS_SERVER, type LiteLLM } from '../support/litellm.js';
import { SCOPED_VERSION, startScopedLiteLLM } from '../support/scoped-litellm.js';

// A key's view against what the gateway lists (issue 27 with discovery): a real agent discovers the servers of a REAL
// LiteLLM 1.110.2 scoped by its custom_auth hook (test/support/scoped-litellm.ts), and runs a catalog as key codex
// with no `servers` (its grant decides) that expects the filesystem server's tools only. When the grant also gives it
// the everything server, which the gateway lists and the probe does not expect (a server added to the gateway, shown
// to every key), the run fails naming the server and the key; when the grant is put right, the next run passes.

const CODEX_KEY = 'sk-test-codex-discovery-0123456789';
const WAIT_MS = 120_000;

describe(`a key's view set against the discovered servers, real LiteLLM ${SCOPED_VERSION}`, () => {
  let gw: LiteLLM;
  let agent: AgentProcess;
  let grant: (servers: string[]) => void;

  beforeAll(async () => {
    const scoped = await startScopedLiteLLM({ [CODEX_KEY]: [FS_SERVER, EVERYTHING_SERVER] });
    gw = scoped.gw;
    grant = (servers) => scoped.grant({ [CODEX_KEY]: servers });
    const keyFile = scoped.keyFile('key_codex', CODEX_KEY);
    const port = await freePort();
    const dir = tempDir('mcpwatch-key-discovery-');
    const cfg = writeConfig(
      dir,
      `listen: 127.0.0.1:${port}
stateDir: ${join(dir, 'state')}
targets:
  litellm:
    url: ${gw.url}
    apiKey: ${gw.masterKey}
    keys:
      codex: { apiKeyFile: ${keyFile} }
    discover:
      every: 2s
      timeout: 60s
      probes:
        - { type: mcp_catalog, every: 1m, timeout: 60s }
probes:
  - name: codex-view
    type: mcp_catalog
    target: litellm
    key: codex
    every: 3s
    timeout: 60s
    expect: { tools: [${FS_SERVER}-read_text_file] }
`,
    );
    agent = await AgentProcess.start(cfg, port);
  }, 300_000);

  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
  });

  const status = async (): Promise<StatusDocument> => (await (await agent.get('/status')).json()) as StatusDocument;

  /** codex-view's first run that starts once the gateway's server list is known and `ready()` has been called. */
  async function nextRun(): Promise<NonNullable<StatusDocument['probes'][number]['last']>> {
    await agent.waitFor(
      async () => ((await status()).discovery?.[0]?.list?.servers.length ?? 0) === 2,
      WAIT_MS,
      'the server list read',
    );
    const since = Date.now();
    let last: StatusDocument['probes'][number]['last'];
    await agent.waitFor(
      async () => {
        last = (await status()).probes.find((p) => p.name === 'codex-view')?.last;
        return last !== undefined && Date.parse(last.startedAt) >= since;
      },
      WAIT_MS,
      'a run of codex-view',
    );
    return last!;
  }

  it('a server the key sees and its probe does not expect fails the run, naming the server and the key', async () => {
    const last = await nextRun();
    expect(last.outcome, last.reason).toBe('expectation_failed');
    expect(last.reason).toContain(
      `key codex sees ${EVERYTHING_SERVER}, which the gateway lists and its probe does not expect: ` +
        'if the key should see it, add one of its tools to expect.tools; if not, add it to expect.serversAbsent',
    );
  });

  it('the grant put right: the next run passes; no key in what the agent says', async () => {
    grant([FS_SERVER]);
    const last = await nextRun();
    expect(last.outcome, last.reason).toBe('ok');
    const said = (await agent.text('/status')) + (await agent.text('/metrics')) + agent.stdout + agent.stderr;
    expect(said).not.toContain(CODEX_KEY);
    expect(said).not.toContain(gw.masterKey);
  });
});
