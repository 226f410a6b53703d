import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryStatus } from '../../src/discovery/status.js';
import type { StatusDocument } from '../../src/runtime/status-view.js';
import { AgentProcess, freePort, REPO, sampleValue, sumSamples, tempDir, writeConfig } from '../support/agent-proc.js';
import {
  defaultServers,
  ensureMcpServers,
  EVERYTHING_SERVER,
  FS_SERVER,
  startLiteLLM,
  versionsUnderTest,
  type LiteLLM,
  type McpServerConfig,
} from '../support/litellm.js';
import { restartLiteLLM } from '../support/litellm-restart.js';

// Discovery (a target's `discover` block) against real LiteLLM, whose mcp_servers change between restarts as a
// redeployed gateway's do: a server added is probed within one discovery interval and its series appear; one removed
// has its probes stopped and every series of theirs deleted, the change counted; a reload that leaves the target
// alone keeps them; LiteLLM stopped is a failed discovery that keeps the probes; mcpwatch restarted while the gateway
// is down probes the list it kept. Then the shipped default config, unedited, as a real agent process against a real
// LiteLLM with three servers: every one probed, and the gateway's auth guard; and with no LiteLLM at all, healthy.

const VERSIONS = versionsUnderTest(['1.109.1', '1.110.2']);

/** Another filesystem server, on a folder of its own: the server the gateway gains. */
const FS2_SERVER = 'mcp_fs2';

function fs2Server(): Record<string, McpServerConfig> {
  return {
    [FS2_SERVER]: { transport: 'stdio', command: process.execPath, args: [ensureMcpServers().filesystem, tempDir()] },
  };
}

/** The gateway's mcp_servers: the default two (fs on its scratch folder, everything) and fs2, by name. */
function serversOf(ll: Pick<LiteLLM, 'scratchDir'>, names: readonly string[]): Record<string, McpServerConfig> {
  const all: Record<string, McpServerConfig> = { ...defaultServers(ll.scratchDir), ...fs2Server() };
  return Object.fromEntries(names.map((n) => [n, all[n]!]));
}

/** Every sample line of /metrics about `probe`. */
function seriesOf(metrics: string, probe: string): string[] {
  return metrics.split('\n').filter((l) => !l.startsWith('#') && l.includes(`probe="${probe}"`));
}

async function status(agent: AgentProcess): Promise<StatusDocument> {
  return (await (await agent.get('/status')).json()) as StatusDocument;
}

async function discoveryOf(agent: AgentProcess, target: string): Promise<DiscoveryStatus | undefined> {
  return (await status(agent)).discovery?.find((d) => d.target === target);
}

const names = (s: StatusDocument): string[] => s.probes.map((p) => p.name);

/** LiteLLM is slow on a busy machine (1.109+ starts a stdio server per request): generous waits, short intervals. */
const WAIT_MS = 120_000;

describe.each(VERSIONS)('discovery behind a real LiteLLM %s', (version) => {
  let ll: LiteLLM;
  let agent: AgentProcess;
  let configPath: string;
  let port: number;
  const dir = tempDir('mcpwatch-discovery-');
  const ev = `gw/${EVERYTHING_SERVER}/mcp_catalog`;
  const fs2 = `gw/${FS2_SERVER}/mcp_catalog`;

  const config = (extra = ''): string => `listen: 127.0.0.1:${port}
stateDir: ${join(dir, 'state')}
targets:
  gw:
    url: ${ll.url}
    apiKey: ${ll.masterKey}
    discover:
      every: 2s
      timeout: 60s
      probes:
        - { type: mcp_catalog, every: 10s, timeout: 60s }
probes:
  # A configured catalog of fs: it wins over a discovered one (no gw/mcp_fs/mcp_catalog).
  - { name: fs-catalog, type: mcp_catalog, target: gw, servers: [${FS_SERVER}], every: 1m, timeout: 60s }
${extra}`;

  const metrics = (): Promise<string> => agent.text('/metrics');
  const waitMetrics = (what: string, cond: (m: string) => boolean): Promise<void> =>
    agent.waitFor(async () => cond(await metrics()), WAIT_MS, what);

  beforeAll(async () => {
    ll = await startLiteLLM({ version }); // the two default servers
    port = await freePort();
    configPath = writeConfig(dir, config());
    agent = await AgentProcess.start(configPath, port);
  }, 300_000);

  afterAll(async () => {
    await agent?.stop();
    await ll?.stop();
  });

  it('each server the gateway lists gets its probe, but the one a configured probe asks for', async () => {
    await waitMetrics(
      `${ev} ran`,
      (m) => sampleValue(m, 'mcp_probe_last_run_timestamp_seconds', { probe: ev }) !== undefined,
    );
    const m = await metrics();
    expect(sampleValue(m, 'mcp_discovery_success', { target: 'gw' })).toBe(1);
    expect(sampleValue(m, 'mcp_discovery_servers', { target: 'gw' })).toBe(2);
    for (const server of [FS_SERVER, EVERYTHING_SERVER])
      expect(sampleValue(m, 'mcp_discovery_server_info', { target: 'gw', server })).toBe(1);
    for (const change of ['added', 'removed'])
      expect(sampleValue(m, 'mcp_discovery_changes_total', { target: 'gw', change })).toBe(0);
    // Labels and series as any configured probe's: the catalog's own families too.
    expect(sampleValue(m, 'mcp_probe_success', { probe: ev, target: 'gw', type: 'mcp_catalog' })).toBe(1);
    expect(sampleValue(m, 'mcp_catalog_server_up', { probe: ev, server: EVERYTHING_SERVER })).toBe(1);
    expect(seriesOf(m, `gw/${FS_SERVER}/mcp_catalog`)).toEqual([]);

    const s = await status(agent);
    expect(names(s)).toEqual(['fs-catalog', ev]);
    const d = s.discovery?.find((x) => x.target === 'gw');
    expect(d).toMatchObject({
      every: '2s',
      list: {
        source: 'server_list',
        servers: [
          { name: EVERYTHING_SERVER, probes: [ev] },
          { name: FS_SERVER, probes: [], configured: { mcp_catalog: 'fs-catalog' } },
        ],
      },
      lastAttempt: { ok: true, source: 'server_list' },
    });
    // Nothing of the server list but the names: no key, no env.
    expect(JSON.stringify(s)).not.toContain(ll.masterKey);
    expect(agent.stdout + agent.stderr).not.toContain(ll.masterKey);
  }, 300_000);

  it('a server added at run time, with no restart: LiteLLM without a database refuses to add one (the only run-time way)', async () => {
    // LiteLLM adds MCP servers at run time only through its database (POST /v1/mcp/server, the UI); its config's
    // mcp_servers are read at start. With no database (none can run here: Prisma's engine is downloaded from a host
    // these machines cannot reach) the endpoint refuses, so the servers below change by restarts.
    const res = await fetch(`${ll.url}/v1/mcp/server`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ll.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ server_name: 'mcp_runtime', transport: 'http', url: 'http://127.0.0.1:9/mcp' }),
    });
    expect(res.ok).toBe(false);
    expect(await res.text()).toMatch(/Database not connected|No connected db|prisma/i);
    expect(sampleValue(await metrics(), 'mcp_discovery_servers', { target: 'gw' })).toBe(2);
  });

  it('a server added: probed within one discovery interval of the gateway listing it, the change counted', async () => {
    const runsBefore = sumSamples(await metrics(), 'mcp_probe_runs_total', { probe: ev });
    ll = await restartLiteLLM(ll, serversOf(ll, [FS_SERVER, EVERYTHING_SERVER, FS2_SERVER]));
    await waitMetrics(
      `${fs2} ran`,
      (m) => sampleValue(m, 'mcp_probe_last_run_timestamp_seconds', { probe: fs2 }) !== undefined,
    );
    const m = await metrics();
    expect(sampleValue(m, 'mcp_discovery_changes_total', { target: 'gw', change: 'added' })).toBe(1);
    expect(sampleValue(m, 'mcp_discovery_server_info', { target: 'gw', server: FS2_SERVER })).toBe(1);
    expect(sampleValue(m, 'mcp_discovery_servers', { target: 'gw' })).toBe(3);
    // The probes that stayed kept their series (their run counts go on, not from 0).
    expect(sumSamples(m, 'mcp_probe_runs_total', { probe: ev })).toBeGreaterThanOrEqual(runsBefore);
    await waitMetrics(`${fs2} succeeded`, (x) => sampleValue(x, 'mcp_probe_success', { probe: fs2 }) === 1);
  }, 300_000);

  it('a server removed: its probes stop and every series of theirs is gone from /metrics, the change counted', async () => {
    expect(seriesOf(await metrics(), ev).length).toBeGreaterThan(0);
    ll = await restartLiteLLM(ll, serversOf(ll, [FS_SERVER, FS2_SERVER]));
    await waitMetrics(`no series of ${ev}`, (m) => seriesOf(m, ev).length === 0);
    const m = await metrics();
    expect(sampleValue(m, 'mcp_discovery_changes_total', { target: 'gw', change: 'removed' })).toBe(1);
    expect(sampleValue(m, 'mcp_discovery_server_info', { target: 'gw', server: EVERYTHING_SERVER })).toBeUndefined();
    expect(sampleValue(m, 'mcp_discovery_servers', { target: 'gw' })).toBe(2);
    expect(names(await status(agent))).toEqual(['fs-catalog', fs2]);
    // It stays gone through the next reads.
    const seen = (await discoveryOf(agent, 'gw'))?.lastAttempt?.at;
    await agent.waitFor(
      async () => (await discoveryOf(agent, 'gw'))?.lastAttempt?.at !== seen,
      WAIT_MS,
      'another read',
    );
    expect(seriesOf(await metrics(), ev)).toEqual([]);
  }, 300_000);

  it('a reload that leaves the target alone keeps the discovered probes, their cadence and their series', async () => {
    const runsBefore = sumSamples(await metrics(), 'mcp_probe_runs_total', { probe: fs2 });
    writeFileSync(
      configPath,
      config('  - { name: readiness, type: http, target: gw, path: /health/readiness, auth: false, every: 1m }\n'),
    );
    agent.child.kill('SIGHUP');
    await agent.waitFor(async () => names(await status(agent)).includes('readiness'), WAIT_MS, 'the reload');
    expect(names(await status(agent))).toEqual(['fs-catalog', 'readiness', fs2]);
    expect(sumSamples(await metrics(), 'mcp_probe_runs_total', { probe: fs2 })).toBeGreaterThanOrEqual(runsBefore);
    expect(sampleValue(await metrics(), 'mcp_discovery_changes_total', { target: 'gw', change: 'added' })).toBe(1);
  }, 120_000);

  it('LiteLLM stopped: discovery fails and keeps the list, the probes stay (and fail)', async () => {
    await ll.stop();
    await waitMetrics('discovery failing', (m) => sampleValue(m, 'mcp_discovery_success', { target: 'gw' }) === 0);
    await waitMetrics(`${fs2} failing`, (m) => sampleValue(m, 'mcp_probe_success', { probe: fs2 }) === 0);
    // A run the stop caught in the middle of its tools/list (1.109+ end the answer's stream cleanly, without the answer
    // and with no event id to resume it from) fails then, not at its 60 s timeout; later runs cannot connect.
    const last = (await status(agent)).probes.find((p) => p.name === fs2)?.last;
    expect(last?.outcome, last?.reason).not.toBe('timeout');
    const m = await metrics();
    expect(sampleValue(m, 'mcp_discovery_servers', { target: 'gw' })).toBe(2);
    expect(sampleValue(m, 'mcp_discovery_changes_total', { target: 'gw', change: 'removed' })).toBe(1);
    const d = await discoveryOf(agent, 'gw');
    expect(d?.lastAttempt).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED|connect/) });
    expect(d?.list?.servers.map((x) => x.name)).toEqual([FS_SERVER, FS2_SERVER]);
    expect(names(await status(agent))).toContain(fs2);
    // /health stays 200: a gateway down is a finding, not mcpwatch failing.
    expect((await agent.get('/health')).status).toBe(200);
  }, 120_000);

  it('mcpwatch restarted while the gateway is down: the list kept in stateDir is probed from the start', async () => {
    expect(await agent.stop()).toBe(0);
    agent = await AgentProcess.start(configPath, port);
    const s = await status(agent);
    expect(names(s)).toContain(fs2);
    expect(s.discovery?.find((d) => d.target === 'gw')?.list).toMatchObject({ source: 'server_list', restored: true });
    // The discovered catalog's memory is kept by its name, as a configured probe's is.
    expect(existsSync(join(dir, 'state', 'catalogs', 'seen', `${encodeURIComponent(fs2)}.json`))).toBe(true);
    // The series of the kept list are there before any read succeeds (a failed one is no removal).
    await waitMetrics('a failed read', (m) => sampleValue(m, 'mcp_discovery_success', { target: 'gw' }) === 0);
    expect(sampleValue(await metrics(), 'mcp_discovery_server_info', { target: 'gw', server: FS2_SERVER })).toBe(1);
  }, 120_000);
});

describe('the shipped default config (config/mcpwatch.yaml, unedited)', () => {
  const version = VERSIONS.at(-1)!;
  let ll: LiteLLM | undefined;
  let agent: AgentProcess | undefined;

  afterAll(async () => {
    await agent?.stop();
    await ll?.stop();
  });

  /** The agent on the shipped config, on a free port, its state in a folder of its own. */
  async function startDefault(litellmUrl: string, key?: string): Promise<AgentProcess> {
    const port = await freePort();
    return AgentProcess.start(join(REPO, 'config/mcpwatch.yaml'), port, {
      LITELLM_URL: litellmUrl,
      ...(key && { LITELLM_MASTER_KEY: key }),
      MCPWATCH_LISTEN: `127.0.0.1:${port}`,
      MCPWATCH_SELF_URL: `http://127.0.0.1:${port}`,
      MCPWATCH_STATE_DIR: join(tempDir('mcpwatch-default-'), 'state'),
    });
  }

  it(`with LITELLM_URL and LITELLM_MASTER_KEY: every server of a LiteLLM ${version} probed, and its auth guard`, async () => {
    ll = await startLiteLLM({ version, extraServers: fs2Server() });
    const a = (agent = await startDefault(ll.url, ll.masterKey));
    const catalogs = [FS_SERVER, EVERYTHING_SERVER, FS2_SERVER].map((s) => `litellm/${s}/mcp_catalog`);
    await a.waitFor(
      async () => {
        const m = await a.text('/metrics');
        return [...catalogs, 'litellm-auth-guard'].every(
          (p) => sampleValue(m, 'mcp_probe_success', { probe: p }) === 1,
        );
      },
      240_000,
      'every discovered catalog and the auth guard succeeding',
    );
    const s = await status(a);
    expect(
      names(s)
        .filter((n) => n.startsWith('litellm/'))
        .sort(),
    ).toEqual([...catalogs].sort());
    // The catalogs read the gateway's own health too (the template's gatewayHealth), and agree with it; each asks
    // about its own server alone (?server_ids=), not about all three.
    const m = await a.text('/metrics');
    for (const server of [FS_SERVER, EVERYTHING_SERVER, FS2_SERVER]) {
      const probe = `litellm/${server}/mcp_catalog`;
      expect(sampleValue(m, 'mcp_gateway_health_mismatch', { probe, server }), probe).toBe(0);
      const healthSeries = m
        .split('\n')
        .filter((l) => l.startsWith('mcp_gateway_server_healthy{') && l.includes(`probe="${probe}"`));
      expect(healthSeries, probe).toHaveLength(1);
      expect(healthSeries[0], probe).toContain(`server="${server}"`);
    }
    expect(s.discovery?.[0]).toMatchObject({ target: 'litellm', every: '5m', list: { source: 'server_list' } });
    expect(a.stdout + a.stderr).not.toContain(ll.masterKey);
    await a.stop();
    agent = undefined;
  }, 600_000);

  it('with no LiteLLM running: it starts and stays healthy, discovery failing is a finding', async () => {
    const closed = await freePort();
    const a = (agent = await startDefault(`http://127.0.0.1:${closed}`));
    await a.waitFor(
      async () => sampleValue(await a.text('/metrics'), 'mcp_discovery_success', { target: 'litellm' }) === 0,
      60_000,
      'a failed discovery',
    );
    expect((await a.get('/health')).status).toBe(200);
    const d = (await status(a)).discovery?.[0];
    expect(d?.lastAttempt).toMatchObject({ ok: false });
    expect(d?.list).toBeUndefined();
    expect(sampleValue(await a.text('/metrics'), 'mcp_discovery_servers', { target: 'litellm' })).toBeUndefined();
  }, 120_000);
});
