import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
export const BIN = join(REPO, 'dist/bin.js');

export type Figures = Record<string, number | string | boolean>;

export interface BenchResult {
  name: string;
  figures: Figures;
  goal?: string;
  met?: boolean;
  notes?: string[];
  /** A table of rows (e.g. one per size), printed after the figures and as `rows` in the JSON line. */
  table?: { columns: string[]; rows: Array<Array<number | string>> };
}

/** Prints a result as a table and as one JSON line. */
export function report(r: BenchResult): void {
  const rows = Object.entries(r.figures).map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : String(v)]);
  const w = Math.max(...rows.map(([k]) => k!.length), 6);
  process.stdout.write(
    `\n== ${r.name}${r.goal ? ` (goal: ${r.goal}${r.met === undefined ? '' : r.met ? ' — met' : ' — MISSED'})` : ''}\n`,
  );
  for (const [k, v] of rows) process.stdout.write(`  ${k!.padEnd(w)}  ${v}\n`);
  if (r.table) {
    const cells = [r.table.columns, ...r.table.rows.map((row) => row.map((v) => (typeof v === 'number' ? fmt(v) : v)))];
    const widths = r.table.columns.map((_, i) => Math.max(...cells.map((row) => String(row[i] ?? '').length)));
    for (const row of cells)
      process.stdout.write(`  ${row.map((v, i) => String(v).padStart(widths[i]!)).join('  ')}\n`);
  }
  for (const n of r.notes ?? []) process.stdout.write(`  note: ${n}\n`);
  const tableRows = r.table?.rows.map((row) => Object.fromEntries(r.table!.columns.map((c, i) => [c, row[i]])));
  process.stdout.write(
    `${JSON.stringify({ bench: r.name, ...r.figures, ...(tableRows && { rows: tableRows }), ...(r.met !== undefined && { goalMet: r.met }) })}\n`,
  );
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function stats(values: number[]): { p50: number; p99: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
  };
}

// The tests' free-port helper (the benchmarks start the same processes the tests do).
export { freePort } from '../test/support/proc.js';

export function tempDir(prefix = 'mcpwatch-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function docker(args: string[], input?: Buffer): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    ...(input && { input }),
  });
}

/** A detached busybox container labelled as the benchmarks', running `script` under sh (`options` before the image). */
export function benchContainer(name: string, script: string, options: readonly string[] = []): void {
  const image = 'mcpwatch-test/busybox:latest';
  docker([
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'none',
    '--label',
    'mcpwatch-bench=1',
    ...options,
    image,
    'sh',
    '-c',
    script,
  ]);
}

export function ensureDocker(): void {
  execFileSync('bash', [join(REPO, 'scripts/ensure-dockerd.sh')], { stdio: 'ignore' });
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function openFds(pid: number): number {
  return Number(execFileSync('bash', ['-c', `ls /proc/${pid}/fd | wc -l`], { encoding: 'utf8' }).trim());
}

/**
 * The Node flags mcpwatch's own launchers (`npm start`, the image's entrypoint) give it. A
 * benchmark measures the agent as shipped; BENCH_NODE_FLAGS replaces them (`BENCH_NODE_FLAGS=
 * --heap-growing-percent=0` for V8's own heap sizing, the agent's heap tuning off).
 */
export const SHIPPED_NODE_FLAGS = '--max-semi-space-size=8';

/** mcpwatch as a process on a config; resolves once /health answers. */
export class Mcpwatch {
  readonly url: string;
  private constructor(
    readonly child: ChildProcess,
    port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /**
   * Starts mcpwatch on a config with SHIPPED_NODE_FLAGS, or BENCH_NODE_FLAGS instead (e.g. to
   * compare heap settings); BENCH_CPU_PROF=DIR writes a CPU profile of it there (node --cpu-prof).
   */
  static async start(configYaml: string, port: number): Promise<Mcpwatch> {
    const dir = tempDir();
    const cfg = join(dir, 'mcpwatch.yaml');
    writeFileSync(cfg, configYaml);
    const flags = (process.env.BENCH_NODE_FLAGS ?? SHIPPED_NODE_FLAGS).split(/\s+/).filter(Boolean);
    if (process.env.BENCH_CPU_PROF) flags.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`);
    const child = spawn(process.execPath, [...flags, BIN, 'run', '--config', cfg], {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: dir,
    });
    const m = new Mcpwatch(child, port);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(`${m.url}/health`)).ok) return m;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error('mcpwatch did not start');
      await sleep(100);
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await new Promise((r) => this.child.once('exit', r));
  }
}

export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const c = line[name.length];
    if (c !== '{' && c !== ' ') continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A mixed LiteLLM log, `n` lines: uvicorn access lines, LiteLLM records, and auth failures (a
 * two-line record: the error and its `Requester IP Address:` line) making `authShare` of the lines.
 */
export function litellmLines(n: number, authShare = 0.05): { text: string; authRecords: number; lines: number } {
  const out: string[] = [];
  let auth = 0;
  let i = 0;
  const every = Math.round(2 / authShare); // an auth record is 2 lines
  while (out.length < n) {
    if (i % every === 0 && out.length + 2 <= n) {
      out.push(
        `10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - Malformed API Key passed in. Ensure Key has \`Bearer \` prefix.`,
      );
      out.push('Requester IP Address:10.0.0.9');
      auth++;
    } else if (i % 7 === 0) {
      out.push(`10:00:00 - LiteLLM:INFO: utils.py:${i % 900} - LiteLLM completion() model= gpt-4o; provider = openai`);
    } else {
      out.push(`INFO:     10.0.0.${i % 250}:${40000 + (i % 20000)} - "POST /mcp/ HTTP/1.1" 200 OK`);
    }
    i++;
  }
  return { text: `${out.join('\n')}\n`, authRecords: auth, lines: out.length };
}
