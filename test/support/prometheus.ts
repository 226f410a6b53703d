import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort, REPO } from './agent-proc.js';
import { Proc, spawnProc, killAndWait, waitForUrl } from './proc.js';

/**
 * A real Prometheus (Debian's package) for tests: scrapes the given targets every second and
 * loads mcpwatch's alert rules with every `for:` shortened to `forSeconds`, so an alert goes
 * pending, then firing, within seconds.
 */
export interface Prometheus {
  url: string;
  proc: Proc;
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>>;
  stop(): Promise<void>;
}

/**
 * `targets`: one group of the mcpwatch job; or `groups`, each with its own target labels (a
 * `shard` label per replica, as the scrape config for shards in docs/deployment.md has it).
 * `scrapeConfigs`: more jobs, as written in prometheus.yml (e.g. one scraping `/probe`).
 */
export async function startPrometheus(opts: {
  targets?: string[];
  groups?: Array<{ targets: string[]; labels?: Record<string, string> }>;
  forSeconds?: number;
  scrapeConfigs?: Array<Record<string, unknown>>;
}): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const rules = parse(readFileSync(join(REPO, 'config/prometheus/alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ for?: string }> }>;
  };
  for (const g of rules.groups) for (const r of g.rules) if (r.for) r.for = `${opts.forSeconds ?? 3}s`;
  writeFileSync(join(dir, 'alerts.yml'), stringify(rules));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'alerts.yml')],
      scrape_configs: [
        { job_name: 'mcpwatch', static_configs: opts.groups ?? [{ targets: opts.targets ?? [] }] },
        ...(opts.scrapeConfigs ?? []),
      ],
    }),
  );
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    throw new Error(
      `cannot run prometheus (Debian package prometheus; scripts/setup-test-env.sh installs it): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: Proc;
  try {
    proc = spawnProc('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
  } catch (err) {
    throw new Error(
      `cannot start prometheus (Debian package prometheus; scripts/setup-test-env.sh installs it): ${(err as Error).message}`,
      { cause: err },
    );
  }
  await waitForUrl(`${url}/-/ready`, { timeoutMs: 30_000, proc, what: 'prometheus' });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    proc,
    query: async (expr) =>
      (
        await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
          `/api/v1/query?query=${encodeURIComponent(expr)}`,
        )
      ).result,
    alerts: async () =>
      (await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts')).alerts,
    stop: async () => {
      await killAndWait(proc);
    },
  };
}
