import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  docker,
  ensureDocker,
  freePort,
  Mcpwatch,
  openFds,
  rssBytes,
  sleep,
  sumMetric,
  tempDir,
  type BenchResult,
  benchContainer,
} from './lib.js';

/**
 * Soak: probes every second (http, mcp_catalog and auth_guard against mcpwatch's own /mcp) and a
 * steady log stream, for BENCH_SOAK_MINUTES (default 30): RSS, heap, file descriptors and active
 * handles sampled every minute; growth judged on the second half's trend.
 */
export async function soak(): Promise<BenchResult> {
  ensureDocker();
  const minutes = Number(process.env.BENCH_SOAK_MINUTES ?? 30);
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const gw = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const name = 'bench-soak';
  try {
    docker(['rm', '-f', name]);
  } catch {
    // none
  }
  benchContainer(
    name,
    'i=0; while true; do echo "INFO:     10.0.0.1:5 - \\"POST /mcp/ HTTP/1.1\\" 401 Unauthorized $i"; i=$((i+1)); usleep 20000; done',
  );
  const port = await freePort();
  const token = 'soak-token-0123456789';
  const yaml = `listen: 127.0.0.1:${port}
logLevel: warn
stateDir: ${tempDir()}
targets:
  gw: { url: "${gw}" }
  self: { url: "http://127.0.0.1:${port}", apiKey: "${token}", mcpPath: /mcp }
probes:
${Array.from({ length: 10 }, (_, i) => `  - { name: http-${i}, type: http, target: gw, auth: false, every: 1s }`).join('\n')}
  - { name: catalog, type: mcp_catalog, target: self, every: 1s }
  - { name: guard, type: auth_guard, target: self, every: 1s }
logs:
  containers:
    - { name: ${name} }
mcpServer: { enabled: true, token: "${token}" }
`;
  const mw = await Mcpwatch.start(yaml, port);
  const sample = async () => {
    const m = await mw.metrics();
    return {
      rss: rssBytes(mw.pid),
      heap: sumMetric(m, 'nodejs_heap_size_used_bytes'),
      fds: openFds(mw.pid),
      handles: sumMetric(m, 'nodejs_active_handles_total'),
      runs: sumMetric(m, 'mcp_probe_runs_total'),
      lines: sumMetric(m, 'mcpwatch_log_lines_total'),
    };
  };
  // A sample a minute: growth is judged on the trend of the second half (after warm-up, V8's heap
  // and the allocator settle), not on two points.
  const samples: Array<Awaited<ReturnType<typeof sample>>> = [];
  for (let i = 0; i < Math.max(2, minutes); i++) {
    await sleep(60_000);
    samples.push(await sample());
  }
  const half = Math.floor(samples.length / 2);
  const start = samples[0]!;
  const mid = samples[half]!;
  const end = samples[samples.length - 1]!;
  const secondHalf = samples.slice(half);
  const maxRss = Math.max(...samples.map((x) => x.rss));
  // Least-squares slope of RSS over the second half, per hour.
  const xs = secondHalf.map((_, i) => i / 60);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = secondHalf.reduce((a, b) => a + b.rss, 0) / secondHalf.length;
  const slope =
    xs.reduce((a, x, i) => a + (x - mx) * (secondHalf[i]!.rss - my), 0) /
    (xs.reduce((a, x) => a + (x - mx) ** 2, 0) || 1);
  await mw.stop();
  server.close();
  docker(['rm', '-f', name]);
  const mb = (b: number): number => Math.round((b / 1024 / 1024) * 10) / 10;
  return {
    name: 'soak',
    figures: {
      minutes,
      'probe runs': end.runs,
      'log lines': end.lines,
      'RSS MiB at 1 min': mb(start.rss),
      'RSS MiB at half': mb(mid.rss),
      'RSS MiB at end': mb(end.rss),
      'RSS MiB max': mb(maxRss),
      'RSS MiB/h, second half': mb(slope),
      'heap used MiB at 1 min / half / end': `${mb(start.heap)} / ${mb(mid.heap)} / ${mb(end.heap)}`,
      'fds at 1 min': start.fds,
      'fds at end': end.fds,
      'active handles at 1 min': start.handles,
      'active handles at end': end.handles,
    },
    goal: 'no growth beyond noise',
    met:
      end.rss < mid.rss * 1.1 + 5 * 1024 * 1024 &&
      slope < 10 * 1024 * 1024 &&
      end.fds <= start.fds + 5 &&
      end.handles <= start.handles + 5,
  };
}
