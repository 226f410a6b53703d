import { rmSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { sampleValue, tempDir } from '../support/agent-proc.js';
import {
  ensureMcpServers,
  LITELLM_EDGE_VERSIONS,
  startLiteLLM,
  versionsUnderTest,
  type LiteLLM,
  type McpServerConfig,
} from '../support/litellm.js';
import { restartLiteLLM } from '../support/litellm-restart.js';
import { ProbeRunner, type LooseResult } from '../support/probe-runner.js';

// One outage, one alarm (issue 30): a real LiteLLM with two stdio servers, fs (filesystem) and ev
// (everything), restarted with a wrong command for ev (a typo in its path: the server fails to start), then
// restarted with the right one. Through it, a catalog of both servers: ev's state goes down and up, and the
// catalog never counts a change (its tools missing while it is down are not removed, their return is not
// added); and a call of ev's tool while it is down says the server is down, in the gateway's words.

/** Versions under test: env MCPWATCH_LITELLM_VERSIONS (comma-separated), else the oldest and newest. */
const VERSIONS = versionsUnderTest(LITELLM_EDGE_VERSIONS);

interface DownBehaviour {
  /** ev's state in the catalog while it is down. */
  state: object;
  /** The reason of a call of ev-echo while ev is down, by the call probe (servers [ev], or [fs, ev]). */
  callReason: Record<'call-ev' | 'call-ev-both', string>;
}

const NO_SESSION =
  'ev-echo failed: server ev is down: the gateway has no session to it (its words: MCP client session is not initialized)';
const NOT_LISTED =
  'ev-echo failed: server ev is down: the gateway could not list its tools (internal), so it does not know the tool';

/** 1.109.1's answers, which 1.110.2 gives too (byte for byte: tools/list, tools/call, the server list). */
const SINCE_1_109: DownBehaviour = {
  // tools/list reports ev internal; tools/call answers as for an unknown tool, which the probe's tools/list resolves.
  state: { up: false, tools: 0, reason: 'internal', said: 'internal' },
  callReason: {
    'call-ev': `${NOT_LISTED} (its words: Error: Tool echo not found)`,
    // With another server in x-mcp-servers, it quotes the tool's name.
    'call-ev-both': `${NOT_LISTED} (its words: Error: Tool 'echo' not found)`,
  },
};

/** What each version says of ev while it does not start (docs/litellm-observed.md, "upstream stdio exits at once"). */
const DOWN: Record<string, DownBehaviour> = {
  '1.77.1': {
    // tools/list simply lacks ev's tools; tools/call answers isError: false with its own words.
    state: { up: false, tools: 0, reason: 'no_tools' },
    callReason: {
      'call-ev': NO_SESSION,
      'call-ev-both': NO_SESSION,
    },
  },
  '1.109.1': SINCE_1_109,
  '1.110.2': SINCE_1_109,
};

function probes(ll: LiteLLM): string {
  return `targets:
  lan: { url: "${ll.url}", apiKey: "${ll.masterKey}", timeout: 45s }
probes:
  - { name: cat, type: mcp_catalog, target: lan, servers: [fs, ev] }
  - { name: call-ev, type: mcp_call, target: lan, servers: [ev], tool: ev-echo, arguments: { message: hi }, expect: { matches: "^Echo: hi$" } }
  - { name: call-ev-both, type: mcp_call, target: lan, servers: [fs, ev], tool: ev-echo, arguments: { message: hi }, expect: { matches: "^Echo: hi$" } }
`;
}

describe.each(VERSIONS)('an upstream server down and back behind a real LiteLLM %s', (version) => {
  const down = DOWN[version];
  let ll: LiteLLM;
  let r: ProbeRunner;
  const results: LooseResult[] = [];
  const run = async (name: string): Promise<LooseResult> => {
    const res = await r.run(name);
    results.push(res);
    return res;
  };
  const fsDir = tempDir('mcpwatch-outage-');
  /** The servers: fs on a folder of its own, ev on its right command or (`broken`) on a path that is not there. */
  const servers = (broken: boolean): Record<string, McpServerConfig> => {
    const s = ensureMcpServers();
    return {
      fs: { transport: 'stdio', command: process.execPath, args: [s.filesystem, fsDir] },
      ev: { transport: 'stdio', command: process.execPath, args: [broken ? `${s.everything}.typo` : s.everything] },
    };
  };
  /** Every catalog run's state of ev, in order. */
  const evStates = (): boolean[] =>
    results.filter((x) => x.probe === 'cat').map((x) => (x.details.servers?.ev as { up: boolean }).up);

  beforeAll(async () => {
    if (!down)
      throw new Error(`no behaviour written down for LiteLLM ${version} (known: ${Object.keys(DOWN).join(', ')})`);
    ll = await startLiteLLM({ version, servers: servers(false) });
    r = new ProbeRunner(probes(ll));
  }, 180_000);
  afterAll(async () => {
    await ll?.stop();
    rmSync(fsDir, { recursive: true, force: true });
  });

  it('both up: the catalog is the baseline, the call works', async () => {
    const cat = await run('cat');
    expect(cat.outcome, `${cat.reason}\n${ll.logs().slice(-3000)}`).toBe('ok');
    expect(cat.details.servers).toEqual({
      fs: { up: true, tools: expect.any(Number) },
      ev: { up: true, tools: expect.any(Number) },
    });
    expect(cat.details.servers!.ev!.tools).toBeGreaterThanOrEqual(5);
    expect(cat.details.catalog).toMatchObject({ changed: false });
    const call = await run('call-ev');
    expect(call.outcome, call.reason).toBe('ok');
  }, 120_000);

  it('ev broken by a restart with a wrong command: down in the catalog, no change; a call of its tool says it is down', async () => {
    ll = await restartLiteLLM(ll, servers(true));
    for (let i = 0; i < 2; i++) {
      const cat = await run('cat');
      expect(cat.outcome, cat.reason).toBe('expectation_failed');
      expect(cat.reason).toMatch(/^server down: ev: (no_tools|internal) — /);
      expect(cat.details.servers, cat.reason).toEqual({ fs: { up: true, tools: expect.any(Number) }, ev: down!.state });
      expect(cat.details.catalog, cat.reason).toMatchObject({
        changed: false,
        added: [],
        removed: [],
        changedSchemas: [],
        toolsPerServer: { ev: 0 },
      });
      // /status shows the catalog seen last; ev's baseline is the one from before the outage.
      expect(r.state('cat')?.catalog?.tools?.some((t) => t.startsWith('ev-'))).toBe(false);
      expect(Object.keys(r.state('cat')?.catalog?.servers?.ev?.tools ?? {})).toContain('ev-echo');
    }
    for (const name of ['call-ev', 'call-ev-both'] as const) {
      const call = await run(name);
      expect(call.outcome, `${name}: ${call.reason}`).toBe('tool_error');
      expect(call.reason, name).toBe(down!.callReason[name]);
    }
  }, 240_000);

  it('ev fixed by another restart: up again, still no change; the call works again', async () => {
    ll = await restartLiteLLM(ll, servers(false));
    const cat = await run('cat');
    expect(cat.outcome, `${cat.reason}\n${ll.logs().slice(-3000)}`).toBe('ok');
    expect(cat.details.servers?.ev).toMatchObject({ up: true });
    expect(cat.details.catalog).toMatchObject({ changed: false, added: [], removed: [], changedSchemas: [] });
    expect(r.state('cat')?.catalog).not.toHaveProperty('lastChange');
    const call = await run('call-ev');
    expect(call.outcome, call.reason).toBe('ok');
    expect(evStates()).toEqual([true, false, false, true]);
  }, 240_000);

  it('the metrics: no catalog change over the outage and the recovery; ev down twice, up at the end', async () => {
    const m = createMetrics(new Registry(), { defaultMetrics: false });
    const rec = new ProbeRecorder(m);
    rec.declare(r.config.probes);
    for (const res of results) rec.record(res);
    const text = await m.registry.metrics();
    const cat = { probe: 'cat' };
    expect(sampleValue(text, 'mcp_catalog_changes_total', cat)).toBe(0);
    expect(sampleValue(text, 'mcp_catalog_server_up', { ...cat, server: 'ev' })).toBe(1);
    expect(sampleValue(text, 'mcp_catalog_server_up', { ...cat, server: 'fs' })).toBe(1);
    const reason = (down!.state as { reason: string }).reason;
    expect(sampleValue(text, 'mcp_catalog_server_failures_total', { ...cat, server: 'ev', reason })).toBe(2);
    expect(sampleValue(text, 'mcp_probe_runs_total', { probe: 'call-ev', outcome: 'tool_error' })).toBe(1);
  });
});
