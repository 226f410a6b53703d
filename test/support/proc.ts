import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * Small process helpers for integration tests: a child process whose output is kept (byte-exact,
 * in a bounded ring buffer per stream), waiting for a URL to answer, a free loopback port, and
 * kill-and-wait. Processes are started in their own process group so that stopping one also ends
 * what it spawned (LiteLLM's stdio MCP servers), and every group still running when the test
 * worker exits is killed.
 */

/** The last `limit` bytes written to a stream, with absolute offsets so callers can take "what was written since". */
export class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes ever written; `since(mark)` takes an earlier value of this. */
  total = 0;

  constructor(readonly limit = 8 * 1024 * 1024) {}

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.total += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
    if (this.size > this.limit) {
      const only = this.chunks[0]!;
      this.chunks[0] = only.subarray(only.length - this.limit);
      this.size = this.limit;
    }
  }

  /** Everything still kept. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  /** The bytes written after absolute offset `mark` (a former `total`), as far as they are still kept. */
  since(mark: number): Buffer {
    const all = this.bytes();
    const start = this.total - all.length;
    return all.subarray(Math.max(0, mark - start));
  }

  /** The last `chars` characters. */
  tail(chars = 4_000): string {
    return this.text().slice(-chars);
  }
}

const live = new Set<Proc>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort: a failed or interrupted test must not leave LiteLLM behind.
  process.on('exit', () => {
    for (const p of live) p.signal('SIGKILL');
  });
}

export interface ProcOptions extends Omit<SpawnOptions, 'stdio' | 'detached'> {
  /** Bytes kept per stream (default 8 MiB). */
  keepBytes?: number;
  /** Label used in error messages (default: the command). */
  name?: string;
}

/** A running child process with its stdout and stderr captured. Create with `spawnProc`. */
export class Proc {
  readonly out: OutputBuffer;
  readonly err: OutputBuffer;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  readonly name: string;

  constructor(
    readonly child: ChildProcess,
    name: string,
    keepBytes = 8 * 1024 * 1024,
  ) {
    this.name = name;
    this.out = new OutputBuffer(keepBytes);
    this.err = new OutputBuffer(keepBytes);
    child.stdout?.on('data', (d: Buffer) => this.out.append(d));
    child.stderr?.on('data', (d: Buffer) => this.err.append(d));
    this.exited = new Promise((resolve) => {
      child.on('error', (e) => {
        this.err.append(Buffer.from(`[spawn error] ${e.message}\n`));
        live.delete(this);
        resolve(null);
      });
      child.on('exit', (code) => {
        live.delete(this);
        resolve(code);
      });
    });
    live.add(this);
    installExitHook();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Captured stdout / stderr (as far as kept) as text. */
  get stdout(): string {
    return this.out.text();
  }

  get stderr(): string {
    return this.err.text();
  }

  /** Absolute offsets of both streams, for `since`. */
  mark(): { out: number; err: number } {
    return { out: this.out.total, err: this.err.total };
  }

  /** What each stream received after `mark` (raw bytes, byte-exact). */
  since(mark: { out: number; err: number }): { stdout: Buffer; stderr: Buffer } {
    return { stdout: this.out.since(mark.out), stderr: this.err.since(mark.err) };
  }

  /** The last output of both streams, labelled, for error messages. */
  tail(chars = 4_000): string {
    const status = this.running ? 'running' : `exited ${this.child.exitCode ?? this.child.signalCode}`;
    return `--- ${this.name} (pid ${this.pid}, ${status}) stdout, last ${chars} chars:\n${this.out.tail(chars)}\n--- stderr, last ${chars} chars:\n${this.err.tail(chars)}`;
  }

  /** Sends `sig` to the whole process group (falls back to the child alone). */
  signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
        // already gone
      }
    }
  }

  /** Same as `spawnProc` (kept for earlier callers). */
  static start(cmd: string, args: readonly string[], opts: ProcOptions = {}): Proc {
    return spawnProc(cmd, args, opts);
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs = 10_000): Promise<number | null> {
    return killAndWait(this, { graceMs });
  }
}

/** Spawns `cmd args` in its own process group with stdout/stderr captured (stdin closed). */
export function spawnProc(cmd: string, args: readonly string[], opts: ProcOptions = {}): Proc {
  const { keepBytes, name, ...spawnOpts } = opts;
  const child = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Proc(child, name ?? cmd, keepBytes);
}

/**
 * Ends a process (and its group): `signal` (default SIGTERM), then SIGKILL after `graceMs`
 * (default 10 s). Resolves with the exit code once it has exited; at once when it already has.
 */
export async function killAndWait(
  p: Proc,
  opts: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<number | null> {
  if (!p.running) {
    // The leader may be gone while children of the group live on: make sure they go too.
    p.signal('SIGKILL');
    return p.exited;
  }
  p.signal(opts.signal ?? 'SIGTERM');
  const timer = setTimeout(() => p.signal('SIGKILL'), opts.graceMs ?? 10_000);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
    // Leftovers in the group (a stdio server that ignored SIGTERM) must not outlive the test.
    p.signal('SIGKILL');
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface WaitForUrlOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Time between attempts (default 250 ms). */
  intervalMs?: number;
  /** Timeout of each attempt (default 5 s). */
  attemptTimeoutMs?: number;
  /** Which statuses count as "up" (default 2xx). */
  accept?: (status: number) => boolean;
  /** A process whose death ends the wait early and whose output goes into the error. */
  proc?: Proc;
  /**
   * Output of `proc` that means it will never answer (a process that stays up after a fatal error, as LiteLLM 1.77's
   * worker manager does): seen, the wait ends at once with the output.
   */
  failOn?: RegExp;
  /** Name for the error message (default: the URL). */
  what?: string;
  init?: RequestInit;
}

/**
 * Polls `url` until it answers with an accepted status; returns that response's status and body.
 * Throws a clear Error (last status or network error, and the process's last output) on timeout
 * or when `proc` exits first.
 */
export async function waitForUrl(url: string, opts: WaitForUrlOptions = {}): Promise<{ status: number; body: string }> {
  const {
    timeoutMs = 30_000,
    intervalMs = 250,
    attemptTimeoutMs = 5_000,
    accept = (s) => s >= 200 && s < 300,
    proc,
    failOn,
    what = url,
  } = opts;
  const started = Date.now();
  for (;;) {
    const said = proc && failOn ? (failOn.exec(proc.out.text()) ?? failOn.exec(proc.err.text())) : null;
    if (proc && said) throw new Error(`${what}: the process said "${said[0]}" before ${url} answered\n${proc.tail()}`);
    if (proc && !proc.running) {
      const code = await proc.exited;
      throw new Error(
        `${what}: the process exited (code ${code ?? proc.child.signalCode}) before ${url} answered\n${proc.tail()}`,
      );
    }
    let last: string;
    try {
      const res = await fetch(url, { ...opts.init, signal: AbortSignal.timeout(attemptTimeoutMs) });
      const body = await res.text();
      if (accept(res.status)) return { status: res.status, body };
      last = `HTTP ${res.status} ${body.slice(0, 300)}`;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      last = err.cause?.code ?? err.cause?.message ?? err.message;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `${what}: ${url} did not answer within ${Math.round(timeoutMs / 1000)} s (last: ${last})${proc ? `\n${proc.tail()}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `waitForUrl` with positional arguments (kept for earlier callers). */
export async function waitForHttp(url: string, timeoutMs: number, proc?: Proc, what = url): Promise<void> {
  await waitForUrl(url, { timeoutMs, ...(proc && { proc }), what });
}

/**
 * Runs `scripts/<script>` (an ensure-*.sh installer) and returns what it printed, trimmed; throws with its stderr when
 * it fails.
 */
export function runScript(script: string, args: string[], timeoutMs: number): string {
  try {
    return execFileSync('bash', [join(resolve(import.meta.dirname, '../..'), 'scripts', script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: timeoutMs,
    }).trim();
  } catch (e) {
    const err = e as Error & { stderr?: string; status?: number | null };
    throw new Error(
      `scripts/${script} ${args.join(' ')} failed (exit ${err.status ?? 'n/a'}): ${err.message}\n${err.stderr ?? ''}`,
      { cause: e },
    );
  }
}

const scriptOutputs = new Map<string, string>();

/**
 * What an ensure-*.sh of scripts/ installed: the `NAME=value` lines it prints, one for each of `names`; throws when
 * one is missing. The script runs once per test process (until it has printed them all).
 */
export function scriptPaths<N extends string>(
  script: string,
  names: readonly N[],
  timeoutMs: number,
): Record<N, string> {
  const out = scriptOutputs.get(script) ?? runScript(script, [], timeoutMs);
  const found = Object.fromEntries(names.map((n) => [n, new RegExp(`^${n}=(.+)$`, 'm').exec(out)?.[1]]));
  if (names.some((n) => !found[n]))
    throw new Error(`scripts/${script} printed no ${names.map((n) => `${n}=`).join('/')} lines (got: ${out})`);
  scriptOutputs.set(script, out);
  return found as Record<N, string>;
}
