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
  // Every probe's interval: 1 s (500 runs a second, a stress test) unless BENCH_SCALE_EVERY says
  // otherwise (e.g. 15s, a usual Prometheus cadence).
  const every = process.env.BENCH_SCALE_EVERY ?? '1s';
  const everyMs = Number(/^(\d+)s$/.exec(every)?.[1] ?? NaN) * 1000;
  if (!Number.isFinite(everyMs)) throw new Error(`BENCH_SCALE_EVERY: expected whole seconds like 15s, got ${every}`);
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
    ...Array.from({ length: probes }, (_, i) => `  - { name: p${i}, type: http, target: gw, auth: false, every: ${every}, timeout: 5s }`),
    'logs:',
    '  containers:',
    ...names.map((n) => `    - { name: ${n} }`),
  ].join('\n');
  const mw = await Mcpwatch.start(yaml, port);
  await sleep(seconds * 1000);
  // RSS in the steady state of runs and tails, before the bench's own requests; then the same
  // after /metrics scrapes and one /status (25,000 history entries: a big answer).
  const rssSteady = rssBytes(mw.pid);
  const scrape: number[] = [];
  let size = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const text = await mw.metrics();
    scrape.push(performance.now() - t);
    size = Buffer.byteLength(text);
    await sleep(500);
  }
  const rssScraped = rssBytes(mw.pid);

  // Jitter: within each probe's history, how far apart consecutive scheduled starts are from the interval.
  const status = (await (await fetch(`${mw.url}/status`)).json()) as { probes: Array<{ history: Array<{ startedAt: string; trigger: string }> }> };
  const jitter: number[] = [];
  for (const p of status.probes) {
    // The first run is right after start, the next at the probe's phase in the interval: the
    // cadence starts with the second run.
    const starts = p.history.filter((h) => h.trigger === 'schedule').map((h) => Date.parse(h.startedAt)).slice(1);
    for (let i = 1; i < starts.length; i++) jitter.push(Math.abs(starts[i]! - starts[i - 1]! - everyMs));
  }
  const text = await mw.metrics();
  const tailsUp = sumMetric(text, 'mcpwatch_log_tail_up');
  // Where the RSS is: V8's heap (used of total) and memory outside it (buffers).
  const mib = (b: number): number => Math.round(b / 1024 / 1024);
  const heapUsed = mib(sumMetric(text, 'nodejs_heap_size_used_bytes'));
  const heapTotal = mib(sumMetric(text, 'nodejs_heap_size_total_bytes'));
  const external = mib(sumMetric(text, 'nodejs_external_memory_bytes'));
  const rssStatus = rssBytes(mw.pid);
  await mw.stop();
  server.close();
  for (const n of names) docker(['rm', '-f', n]);
  const j = stats(jitter);
  const s = stats(scrape);
  return {
    name: 'scale',
    figures: {
      probes,
      every,
      containers,
      'tails up': tailsUp,
      'runs measured': jitter.length + status.probes.length,
      'jitter p50 ms': j.p50,
      'jitter p99 ms': j.p99,
      'scrape p50 ms': s.p50,
      'scrape p99 ms': s.p99,
      'scrape size KiB': Math.round(size / 1024),
      'RSS MiB': mib(rssSteady),
      'RSS after scrapes MiB': mib(rssScraped),
      'RSS after /status MiB': mib(rssStatus),
      'heap used/total MiB': `${heapUsed}/${heapTotal}`,
      'external MiB': external,
    },
    goal: 'p99 jitter < 50 ms, scrape < 50 ms, RSS < 150 MB',
    met: j.p99 < 50 && s.p99 < 50 && rssSteady < 150 * 1024 * 1024 && tailsUp === containers,
  };
}
