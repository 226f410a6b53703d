import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOfName } from '../../src/config/shard.js';
import { AgentProcess, freePort, tempDir, writeConfig } from '../support/agent-proc.js';
import { TestHttpServer } from '../support/http-server.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';

// Three mcpwatch replicas (real processes) share 100 http probes against a local HTTP server:
// replicas 0 and 1 by the config's shard, replica 2 by --shard 2/3. Every probe is in exactly
// one replica's /metrics and /status, after a restart and after reloads (one that adds a probe,
// one that changes the shard itself), and a real Prometheus scraping all three (each target
// labelled with its shard, as the scrape config in docs/deployment.md has it) sees each probe exactly once.
// A fourth replica makes shard 0 an HA pair: its probes come twice, once per instance, one
// series without (instance); stopping it is MCPWatchReplicaDown, not MCPWatchDown.

const TOTAL = 3;
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `shard-probe-${String(i).padStart(3, '0')}`);

function configYaml(port: number, gwUrl: string, probes: string[], shard?: { index: number; total: number }): string {
  return `listen: 127.0.0.1:${port}
logLevel: warn
maxConcurrentProbes: 50
targets:
  gw: { url: "${gwUrl}", apiKey: sk-shards-test-0123456789abcdef }
probes:
${probes.map((n) => `  - { name: ${n}, type: http, target: gw, every: 2s, timeout: 1s }\n`).join('')}${shard ? `shard: { index: ${shard.index}, total: ${shard.total} }\n` : ''}`;
}

interface Status {
  shard: { index: number; total: number; probes: number; ofProbes: number; tailsLogs: boolean };
  probes: Array<{ name: string }>;
}

/** The probes whose series a replica exports (declared at start, before any run). */
async function exported(agent: AgentProcess): Promise<string[]> {
  const text = await agent.text('/metrics');
  return [...new Set([...text.matchAll(/^mcp_probe_runs_total\{probe="([^"]+)"/gm)].map((m) => m[1]!))].sort();
}

/** Until Prometheus `p` sees `n` probes, each once (`what`: the wait, as a failure names it). */
async function eachProbeOnce(p: Prometheus, n: number, what: string): Promise<void> {
  await until(what, 45_000, async () => {
    const counts = await p.query('count by (probe) (mcp_probe_success)');
    return counts.length === n && counts.every((c) => c.value[1] === '1') ? true : undefined;
  });
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('shards: three replicas share the probes', () => {
  let gw: TestHttpServer;
  const ports: number[] = [];
  const configs: string[] = [];
  const replicas: AgentProcess[] = [];
  let haPort: number;
  let ha: AgentProcess | undefined;
  let prom: Prometheus | undefined;
  const dir = tempDir('mcpwatch-shards-');
  let probes = names(100);
  /** Replica 2 takes its shard from --shard, whatever its config says. */
  // (--web.enable-lifecycle: the reloads below are POST /-/reload)
  const argsOf = (i: number): string[] => ['--web.enable-lifecycle', ...(i === 2 ? ['--shard', `2/${TOTAL}`] : [])];
  const write = (i: number, shard: { index: number; total: number } | undefined): void => {
    writeFileSync(configs[i]!, configYaml(ports[i]!, gw.url, probes, shard));
  };

  beforeAll(async () => {
    gw = await new TestHttpServer().start();
    for (let i = 0; i < TOTAL; i++) {
      ports.push(await freePort());
      configs.push(writeConfig(dir, '', `replica-${i}.yaml`));
      write(i, i === 2 ? undefined : { index: i, total: TOTAL });
    }
    for (let i = 0; i < TOTAL; i++) replicas.push(await AgentProcess.start(configs[i]!, ports[i]!, {}, argsOf(i)));
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    await ha?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    await gw?.stop();
  });

  /** Each probe in exactly one replica's /status and /metrics: the one its name hashes to. */
  async function expectPartition(shardOfReplica: (i: number) => number): Promise<void> {
    const seenStatus = new Map<string, number[]>();
    const seenMetrics = new Map<string, number[]>();
    for (let i = 0; i < TOTAL; i++) {
      const index = shardOfReplica(i);
      const mine = probes.filter((n) => shardOfName(n, TOTAL) === index);
      const status = (await (await replicas[i]!.get('/status')).json()) as Status;
      expect(status.shard, `replica ${i}`).toEqual({
        index,
        total: TOTAL,
        probes: mine.length,
        ofProbes: probes.length,
        tailsLogs: false,
      });
      expect(
        status.probes.map((p) => p.name),
        `replica ${i}`,
      ).toEqual(mine);
      expect(await exported(replicas[i]!), `replica ${i}`).toEqual([...mine].sort());
      expect(
        await replicas[i]!.metric('mcpwatch_shard_info', { index: String(index), total: String(TOTAL) }),
        `replica ${i}`,
      ).toBe(1);
      for (const p of status.probes) seenStatus.set(p.name, [...(seenStatus.get(p.name) ?? []), i]);
      for (const p of await exported(replicas[i]!)) seenMetrics.set(p, [...(seenMetrics.get(p) ?? []), i]);
    }
    for (const seen of [seenStatus, seenMetrics]) {
      expect([...seen.keys()].sort()).toEqual([...probes].sort());
      expect([...seen.entries()].filter(([, where]) => where.length !== 1)).toEqual([]);
    }
  }

  it('every probe runs on exactly one replica: its /status and its /metrics', async () => {
    // A fair split: none of the three is empty or has nearly all.
    const sizes = [0, 1, 2].map((i) => probes.filter((n) => shardOfName(n, TOTAL) === i).length);
    for (const n of sizes) expect(n).toBeGreaterThan(15);
    await expectPartition((i) => i);
    // And they run: every probe succeeds somewhere, within a few of its 2 s intervals.
    await until('every probe ran once', 30_000, async () => {
      const ran = await Promise.all(
        replicas.map(async (r) =>
          ((await r.get('/status').then((x) => x.json())) as { probes: Array<{ runs: number }> }).probes.every(
            (p) => p.runs > 0,
          ),
        ),
      );
      return ran.every(Boolean) ? true : undefined;
    });
  }, 60_000);

  it("/probe of another shard's probe is 409 naming the shard that runs it; its own runs", async () => {
    const far = probes.find((n) => shardOfName(n, TOTAL) === 1)!;
    const res = await replicas[0]!.get(`/probe?name=${far}`);
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: string; shard: unknown };
    expect(body.error).toBe(
      `probe "${far}" runs on shard 1 of 3, not on this replica (shard 0 of 3): ask the replica of shard 1`,
    );
    expect(body.shard).toEqual({ index: 1, total: 3 });
    const own = await replicas[1]!.get(`/probe?name=${far}`);
    expect(own.status).toBe(200);
    expect(((await own.json()) as { outcome: string }).outcome).toBe('ok');
    expect((await replicas[0]!.get('/probe?name=not-a-probe')).status).toBe(404);
  }, 30_000);

  it('a real Prometheus scraping the three sees every probe exactly once', async () => {
    haPort = await freePort();
    prom = await startPrometheus({
      groups: [
        { targets: [`127.0.0.1:${ports[0]}`, `127.0.0.1:${haPort}`], labels: { shard: '0' } },
        { targets: [`127.0.0.1:${ports[1]}`], labels: { shard: '1' } },
        { targets: [`127.0.0.1:${ports[2]}`], labels: { shard: '2' } },
      ],
      forSeconds: 3,
    });
    const p = prom;
    // The HA partner of shard 0 is not started yet: its target is down, the shard is not.
    await eachProbeOnce(p, 100, '100 probes, each once');
    expect((await p.query('count(mcp_probe_success == 1)'))[0]?.value[1]).toBe('100');
    expect(
      (await p.query('count by (shard) (mcp_probe_success)')).map((r) => [r.metric.shard, r.value[1]]).sort(),
    ).toEqual([0, 1, 2].map((i) => [String(i), String(probes.filter((n) => shardOfName(n, TOTAL) === i).length)]));
    expect(
      (await p.query('mcpwatch_shard_info')).map((r) => `${r.metric.shard}:${r.metric.index}/${r.metric.total}`).sort(),
    ).toEqual(['0:0/3', '1:1/3', '2:2/3']);
  }, 90_000);

  it('the same after a restart of one replica', async () => {
    await replicas[1]!.stop();
    replicas[1] = await AgentProcess.start(configs[1]!, ports[1]!, {}, argsOf(1));
    await expectPartition((i) => i);
    await eachProbeOnce(prom!, 100, '100 probes, each once, after the restart');
  }, 90_000);

  it('the same after a reload that adds probes (each lands on one replica)', async () => {
    probes = names(110);
    for (let i = 0; i < TOTAL; i++) write(i, i === 2 ? undefined : { index: i, total: TOTAL });
    for (const r of replicas) {
      const res = await r.get('/-/reload', { method: 'POST' });
      expect(res.status).toBe(200);
    }
    await expectPartition((i) => i);
    await eachProbeOnce(prom!, 110, '110 probes, each once, after the reload');
  }, 90_000);

  it('a reload that changes the shard itself: replicas 0 and 1 swap; --shard wins over the config on reload', async () => {
    write(0, { index: 1, total: TOTAL });
    write(1, { index: 0, total: TOTAL });
    write(2, { index: 0, total: TOTAL }); // ignored: replica 2 runs --shard 2/3
    for (const r of replicas) expect((await r.get('/-/reload', { method: 'POST' })).status).toBe(200);
    await expectPartition((i) => [1, 0, 2][i]!);
    // Swap back for the HA check (targets are labelled by replica).
    write(0, { index: 0, total: TOTAL });
    write(1, { index: 1, total: TOTAL });
    for (const r of replicas.slice(0, 2)) expect((await r.get('/-/reload', { method: 'POST' })).status).toBe(200);
    await expectPartition((i) => i);
  }, 60_000);

  it('an HA pair for shard 0: its probes twice, once without (instance); one partner stopped is MCPWatchReplicaDown, not MCPWatchDown', async () => {
    const p = prom!;
    const haConfig = writeConfig(
      dir,
      configYaml(haPort, gw.url, probes, { index: 0, total: TOTAL }),
      'replica-0b.yaml',
    );
    ha = await AgentProcess.start(haConfig, haPort);
    const shard0 = probes.filter((n) => shardOfName(n, TOTAL) === 0).length;
    await until('shard 0 probes from both partners', 45_000, async () => {
      const counts = await p.query('count by (probe) (mcp_probe_success{shard="0"})');
      return counts.length === shard0 && counts.every((c) => c.value[1] === '2') ? true : undefined;
    });
    // Every probe once without (instance), the other shards' too: the swap back just before moved
    // probes between replicas 0 and 1, and a moved probe's success gauge appears with its first run.
    const dedup = await until('110 probes, each once without (instance)', 45_000, async () => {
      const counts = await p.query('count by (probe) (max without (instance) (mcp_probe_success))');
      return counts.length === 110 ? counts : undefined;
    });
    expect(dedup.every((c) => c.value[1] === '1')).toBe(true);

    await ha.stop();
    ha = undefined;
    const down = await until('MCPWatchReplicaDown firing', 45_000, async () =>
      (await p.alerts()).find((a) => a.labels.alertname === 'MCPWatchReplicaDown' && a.state === 'firing'),
    );
    expect(down.labels).toMatchObject({ instance: `127.0.0.1:${haPort}`, shard: '0', severity: 'warning' });
    const alerts = await p.alerts();
    expect(alerts.filter((a) => a.labels.alertname === 'MCPWatchDown')).toEqual([]);
    expect(
      alerts.filter(
        (a) => a.labels.alertname === 'MCPProbeFailing' || a.labels.alertname === 'MCPNoRecentSuccessfulProbe',
      ),
    ).toEqual([]);
    // Shard 0 is still watched, each probe once now.
    await until('shard 0 probes once again', 30_000, async () => {
      const counts = await p.query('count by (probe) (mcp_probe_success{shard="0"})');
      return counts.length === shard0 && counts.every((c) => c.value[1] === '1') ? true : undefined;
    });
  }, 120_000);
});
