import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { docker, ensureDocker, freePort, Mcpwatch, rssBytes, sleep, stats, sumMetric, tempDir, type BenchResult } from './lib.js';

/**
 * Scale: 500 probes (every second, against a local HTTP server) and 20 tailed containers in one
 * mcpwatch: scheduling jitter (how far each run's start is from its cadence), /metrics scrape time
 * and size, RSS.
 */
export async function scale(): Promise<BenchResult> {
  ensureDocker();
  const probes = Number(process.env.BENCH_SCALE_PROBES ?? 500);
  const containers = Number(process.env.BENCH_SCALE_CONTAINERS ?? 20);
  const seconds = Number(process.env.BENCH_SCALE_SECONDS ?? 60);
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const gw = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const names = Array.from({ length: containers }, (_, i) => `bench-scale-${i}`);
  for (const n of names) {
    try {
      docker(['rm', '-f', n]);
    } catch {
      // none
    }
    docker(['run', '-d', '--name', n, '--network', 'none', '--label', 'mcpwatch-bench=1', 'mcpwatch-test/busybox:latest', 'sh', '-c', 'while true; do echo "INFO:     10.0.0.1:5 - \\"POST /mcp/ HTTP/1.1\\" 401 Unauthorized"; usleep 100000; done']);
  }
  const port = await freePort();
  const yaml = [
    `listen: 127.0.0.1:${port}`,
    'logLevel: warn',
    `stateDir: ${tempDir()}`,
    'maxConcurrentProbes: 64',
    'targets:',
    `  gw: { url: "${gw}" }`,
    'probes:',
    ...Array.from({ length: probes }, (_, i) => `  - { name: p${i}, type: http, target: gw, auth: false, every: 1s, timeout: 5s }`),
    'logs:',
    '  containers:',
    ...names.map((n) => `    - { name: ${n} }`),
  ].join('\n');
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_NODE_FLAGS: extra V8/Node flags for the mcpwatch process (e.g. to compare heap settings).
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const mw = await Mcpwatch.start(yaml, port, [...flags, ...prof]);
  await sleep(seconds * 1000);

  // Jitter: within each probe's history, how far apart consecutive scheduled starts are from 1 s.
  const status = (await (await fetch(`${mw.url}/status`)).json()) as { probes: Array<{ history: Array<{ startedAt: string; trigger: string }> }> };
  const jitter: number[] = [];
  for (const p of status.probes) {
    // The first run is right after start, the next at the probe's phase in the interval: the
    // cadence starts with the second run.
    const starts = p.history.filter((h) => h.trigger === 'schedule').map((h) => Date.parse(h.startedAt)).slice(1);
    for (let i = 1; i < starts.length; i++) jitter.push(Math.abs(starts[i]! - starts[i - 1]! - 1000));
  }
  const scrape: number[] = [];
  let size = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const text = await mw.metrics();
    scrape.push(performance.now() - t);
    size = Buffer.byteLength(text);
    await sleep(100);
  }
  const text = await mw.metrics();
  const tailsUp = sumMetric(text, 'mcpwatch_log_tail_up');
  const rss = rssBytes(mw.pid);
  await mw.stop();
  server.close();
  for (const n of names) docker(['rm', '-f', n]);
  const j = stats(jitter);
  const s = stats(scrape);
  return {
    name: 'scale',
    figures: {
      probes,
      containers,
      'tails up': tailsUp,
      'runs measured': jitter.length + status.probes.length,
      'jitter p50 ms': j.p50,
      'jitter p99 ms': j.p99,
      'scrape p50 ms': s.p50,
      'scrape p99 ms': s.p99,
      'scrape size KiB': Math.round(size / 1024),
      'RSS MiB': Math.round(rss / 1024 / 1024),
    },
    goal: 'p99 jitter < 50 ms, scrape < 50 ms, RSS < 150 MB',
    met: j.p99 < 50 && s.p99 < 50 && rss < 150 * 1024 * 1024 && tailsUp === containers,
  };
}
