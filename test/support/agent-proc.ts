import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'dist/bin.js');

export function tempDir(prefix = 'mcpwatch-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, yaml: string, name = 'mcpwatch.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

// One free-port helper for the tests and the benchmarks.
import { freePort } from './proc.js';
export { freePort };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion. */
export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { PATH: process.env.PATH ?? '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`mcpwatch ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** The agent running as a process (`mcpwatch run`), with its output captured. */
export class AgentProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly baseUrl: string;
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly configPath: string,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((res) => child.on('exit', (code) => res(code)));
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  /** `args`: more arguments for `mcpwatch run` (e.g. `--shard 1/3`). */
  static async start(
    configPath: string,
    port: number,
    env: Record<string, string> = {},
    args: string[] = [],
  ): Promise<AgentProcess> {
    const child = spawn(process.execPath, [BIN, 'run', '--config', configPath, ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agent = new AgentProcess(child, port, configPath);
    await agent.waitFor(
      async () => (await fetch(`${agent.baseUrl}/health`).catch(() => undefined))?.ok === true,
      15_000,
      'agent /health',
    );
    return agent;
  }

  async get(path: string, init?: RequestInit): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, init);
  }

  async text(path: string): Promise<string> {
    return (await this.get(path)).text();
  }

  /** The value of one sample in /metrics, or undefined. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    return sampleValue(await this.text('/metrics'), name, labels);
  }

  async waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null)
        throw new Error(
          `agent exited (${this.child.exitCode}) while waiting for ${what}\n${this.stdout}\n${this.stderr}`,
        );
      if (await cond()) return;
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}\nstdout:\n${this.stdout.slice(-4000)}\nstderr:\n${this.stderr.slice(-2000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Until its tail of `container` is up (mcpwatch_log_tail_up 1). */
  async waitForTail(container: string, timeoutMs = 20_000, what = 'tail up'): Promise<void> {
    await this.waitFor(async () => (await this.metric('mcpwatch_log_tail_up', { container })) === 1, timeoutMs, what);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/**
 * `mcpwatch run` on a free port, its config in a new folder: the listen line, then `yaml` (given the port, for a
 * config that names the agent itself). `env` and `args` as for AgentProcess.start.
 */
export async function startAgentWith(
  yaml: string | ((port: number) => string),
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<AgentProcess> {
  const port = await freePort();
  const body = typeof yaml === 'string' ? yaml : yaml(port);
  return AgentProcess.start(writeConfig(tempDir(), `listen: 127.0.0.1:${port}\n${body}`), port, env, args);
}

/** The agent of the running test, one at a time: `start` as startAgentWith, `kill` (after each test) ends it. */
export class AgentSlot {
  current: AgentProcess | undefined;

  async start(...args: Parameters<typeof startAgentWith>): Promise<AgentProcess> {
    this.current = await startAgentWith(...args);
    return this.current;
  }

  async kill(): Promise<void> {
    await this.current?.stop('SIGKILL');
    this.current = undefined;
  }
}

/** Finds a sample in Prometheus text format by name and a subset of its labels. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labelText = rest[0] === '{' ? rest.slice(1, rest.indexOf('}')) : '';
    const ok = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** The sum of the samples of `name` (with labels) whose labels include `labels`, in Prometheus text format. */
export function sumSamples(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
