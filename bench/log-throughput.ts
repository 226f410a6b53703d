import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cpuSeconds,
  docker,
  ensureDocker,
  freePort,
  litellmLines,
  Mcpwatch,
  sleep,
  sumMetric,
  tempDir,
  type BenchResult,
  benchContainer,
} from './lib.js';

/**
 * Log throughput: a container writes N lines (mixed LiteLLM records, 5 % auth errors) as fast as it
 * can. The ceiling is the same Docker log stream followed with no processing (`docker logs -f`);
 * then mcpwatch follows an identical container: its lines/s and CPU seconds per million lines.
 */
export async function logThroughput(): Promise<BenchResult> {
  ensureDocker();
  const n = Number(process.env.BENCH_LINES ?? 1_000_000);
  const { text, authRecords } = litellmLines(n, 0.05);
  const dir = tempDir();
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'lines.txt'), text);
  const run = (name: string): void => {
    try {
      docker(['rm', '-f', name]);
    } catch {
      // not there
    }
    benchContainer(name, 'sleep 3; cat /data/lines.txt; sleep 3600', ['-v', `${dir}:/data:ro`]);
  };
  const cleanup = (): void => {
    for (const n of ['bench-raw', 'bench-mcpwatch']) {
      try {
        docker(['rm', '-f', n]);
      } catch {
        // gone already
      }
    }
  };
  cleanup();

  // 1. The ceiling: docker logs -f, counting newlines and nothing else.
  run('bench-raw');
  const raw = await new Promise<{ seconds: number }>((resolve, reject) => {
    const p = spawn('docker', ['logs', '-f', '--timestamps', 'bench-raw'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let count = 0;
    let first = 0;
    p.stdout.on('data', (b: Buffer) => {
      if (!first) first = performance.now();
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) count++;
      if (count >= n) {
        const seconds = (performance.now() - first) / 1000;
        p.kill();
        resolve({ seconds });
      }
    });
    p.on('error', reject);
  });

  // 2. mcpwatch following an identical container.
  const port = await freePort();
  const mw = await Mcpwatch.start(
    `listen: 127.0.0.1:${port}\nlogLevel: warn\nstateDir: ${tempDir()}\nlogs:\n  containers:\n    - { name: bench-mcpwatch, from: beginning }\n`,
    port,
  );
  run('bench-mcpwatch');
  let first = 0;
  let cpu0 = 0;
  for (;;) {
    const text2 = await mw.metrics();
    const lines = sumMetric(text2, 'mcpwatch_log_lines_total', { container: 'bench-mcpwatch' });
    if (lines > 0 && !first) {
      first = performance.now();
      cpu0 = cpuSeconds(mw.pid);
    }
    if (lines >= n) break;
    await sleep(first ? 200 : 5); // scraping costs mcpwatch CPU too: not too often
  }
  const seconds = (performance.now() - first) / 1000;
  const cpu = cpuSeconds(mw.pid) - cpu0;
  await sleep(300);
  const auth = sumMetric(await mw.metrics(), 'mcpwatch_log_matches_total', {
    container: 'bench-mcpwatch',
    category: 'auth',
  });
  await mw.stop();
  cleanup();

  const rawRate = n / raw.seconds;
  const rate = n / seconds;
  return {
    name: 'log-throughput',
    figures: {
      lines: n,
      'raw docker logs -f, lines/s': Math.round(rawRate),
      'mcpwatch, lines/s': Math.round(rate),
      'mcpwatch / raw': Math.round((rate / rawRate) * 1000) / 10 + ' %',
      'mcpwatch CPU s per million lines': Math.round((cpu / n) * 1e6 * 100) / 100,
      'auth records written': authRecords,
      'auth records counted': auth,
    },
    goal: '≥ 90 % of the raw stream rate',
    met: rate >= 0.9 * rawRate && auth === authRecords,
  };
}
