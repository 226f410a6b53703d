import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { docker, ensureDocker, freePort, Mcpwatch, openFds, rssBytes, sleep, sumMetric, tempDir, type BenchResult } from './lib.js';

/**
 * Soak: probes every second (http, mcp_catalog and auth_guard against mcpwatch's own /mcp) and a
 * steady log stream, for BENCH_SOAK_MINUTES (default 30): RSS, file descriptors and active handles
 * after a warm-up minute and at the end.
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
  docker(['run', '-d', '--name', name, '--network', 'none', '--label', 'mcpwatch-bench=1', 'mcpwatch-test/busybox:latest', 'sh', '-c', 'i=0; while true; do echo "INFO:     10.0.0.1:5 - \\"POST /mcp/ HTTP/1.1\\" 401 Unauthorized $i"; i=$((i+1)); usleep 20000; done']);
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
    return { rss: rssBytes(mw.pid), fds: openFds(mw.pid), handles: sumMetric(m, 'nodejs_active_handles_total'), runs: sumMetric(m, 'mcp_probe_runs_total'), lines: sumMetric(m, 'mcpwatch_log_lines_total') };
  };
  await sleep(60_000);
  const start = await sample();
  await sleep(Math.max(0, minutes - 1) * 60_000);
  const end = await sample();
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
      'RSS MiB at end': mb(end.rss),
      'fds at 1 min': start.fds,
      'fds at end': end.fds,
      'active handles at 1 min': start.handles,
      'active handles at end': end.handles,
    },
    goal: 'no growth beyond noise',
    met: end.rss < start.rss * 1.25 + 10 * 1024 * 1024 && end.fds <= start.fds + 5 && end.handles <= start.handles + 5,
  };
}
