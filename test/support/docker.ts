import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Docker for integration tests: the local engine (started by scripts/ensure-dockerd.sh when
 * needed) and the local test image, built from busybox-static with `docker import` since no
 * registry can be pulled from. Containers get `--network none` (or host); nothing is published.
 */

const REPO = resolve(import.meta.dirname, '../..');
/** The test image: a static busybox with its applets in /bin (sh, echo, sleep, ...). */
export const TEST_IMAGE = 'mcpwatch-test/busybox:latest';
/** Label put on every container these helpers create, to find leftovers. */
export const TEST_LABEL = 'mcpwatch-test=1';
export const DOCKER_SOCKET = '/var/run/docker.sock';

let ensured = false;

/**
 * Makes sure dockerd answers and TEST_IMAGE exists (runs scripts/ensure-dockerd.sh, which is
 * quick when all is in place). Throws a loud Error when dockerd cannot be reached.
 */
export function ensureDocker(): void {
  if (ensured) return;
  try {
    execFileSync('bash', [join(REPO, 'scripts/ensure-dockerd.sh')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
  } catch (e) {
    const err = e as Error & { stderr?: Buffer; stdout?: Buffer };
    throw new Error(
      `Docker is not usable: scripts/ensure-dockerd.sh failed (${err.message.split('\n')[0]}).\n` +
        `${err.stderr?.toString() ?? ''}\n` +
        `socket ${DOCKER_SOCKET} ${existsSync(DOCKER_SOCKET) ? 'exists' : 'is missing'}; run 'bash scripts/ensure-dockerd.sh' as root to see why.`,
      { cause: e },
    );
  }
  ensured = true;
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `docker ...args` (the CLI) and resolves with its output. Rejects when it exits non-zero
 * (unless `allowFail`) or takes longer than `timeoutMs` (default 60 s; the CLI is then killed).
 */
export function docker(
  args: readonly string[],
  opts: { timeoutMs?: number; allowFail?: boolean; input?: string } = {},
): Promise<DockerResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((res, rej) => {
    const child = execFile(
      'docker',
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
        if (e?.killed) return rej(new Error(`docker ${args.join(' ')}: timed out after ${timeoutMs} ms\n${stderr}`));
        if (e && typeof e.code !== 'number') return rej(new Error(`docker ${args.join(' ')}: ${e.message}`));
        if (code !== 0 && !opts.allowFail)
          return rej(new Error(`docker ${args.join(' ')} exited ${code}\n${stderr.trim()}`));
        res({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A container name unique to this run: `${prefix}-<random>`. */
export function uniqueName(prefix = 'mcpwatch-test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface RunContainerOptions {
  /** Container name (default: uniqueName()). */
  name?: string;
  image?: string;
  /** Command and arguments after the image, e.g. ['sh', '-c', 'echo hi']. */
  cmd?: readonly string[];
  /** 'none' (default) or 'host'; this machine has no bridge network. */
  network?: 'none' | 'host';
  /** Run in the background (default true); otherwise wait for the container to finish. */
  detach?: boolean;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  /** More `docker run` options, placed before the image. */
  extraArgs?: readonly string[];
  timeoutMs?: number;
}

/**
 * `docker run` (detached by default) of TEST_IMAGE or `opts.image`; resolves with the container's
 * name and id. With detach: false it also waits for the end and gives its stdout/stderr.
 */
export async function runContainer(
  opts: RunContainerOptions = {},
): Promise<{ name: string; id: string; result: DockerResult }> {
  const name = opts.name ?? uniqueName();
  const detach = opts.detach ?? true;
  const args = ['run', '--name', name, '--network', opts.network ?? 'none', '--label', TEST_LABEL];
  if (detach) args.push('--detach');
  for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
  args.push(...(opts.extraArgs ?? []), opts.image ?? TEST_IMAGE, ...(opts.cmd ?? []));
  const result = await docker(args, { timeoutMs: opts.timeoutMs ?? 60_000 });
  const id = detach ? result.stdout.trim() : (await docker(['inspect', '--format', '{{.Id}}', name])).stdout.trim();
  return { name, id, result };
}

/** `docker rm -f` by name or id; no error when there is no such container. */
export async function removeContainer(nameOrId: string): Promise<void> {
  const r = await docker(['rm', '-f', nameOrId], { allowFail: true, timeoutMs: 30_000 });
  if (r.code !== 0 && !/No such container/i.test(r.stderr))
    throw new Error(`docker rm -f ${nameOrId} exited ${r.code}: ${r.stderr.trim()}`);
}

/** Removes every container these helpers created (label TEST_LABEL). */
export async function removeTestContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}`])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await docker(['rm', '-f', ...ids], { allowFail: true });
}

/** How many runs of the container's script have finished: the DONE lines on its stdout. */
export async function doneCount(name: string): Promise<number> {
  const r = await docker(['logs', name], { allowFail: true });
  return (r.stdout.match(/^DONE$/gm) ?? []).length;
}

/** Waits until the container's script has finished `times` runs (DONE lines on its stdout). */
export async function waitDone(name: string, times = 1, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await doneCount(name)) >= times) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not finish writing`);
}

/** A container's output so far, each stream apart (`docker logs`). */
export async function containerLogs(
  nameOrId: string,
  opts: { timestamps?: boolean } = {},
): Promise<{ stdout: string; stderr: string }> {
  const r = await docker(['logs', ...(opts.timestamps ? ['--timestamps'] : []), nameOrId]);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Waits for a container to stop (`docker wait`) and resolves with its exit code. */
export async function waitContainer(nameOrId: string, timeoutMs = 30_000): Promise<number> {
  const r = await docker(['wait', nameOrId], { timeoutMs });
  return Number(r.stdout.trim());
}

/** Polls `docker logs` until `pattern` shows up in stdout or stderr; throws with the logs on timeout. */
export async function waitForLogs(
  nameOrId: string,
  pattern: RegExp | string,
  timeoutMs = 15_000,
): Promise<{ stdout: string; stderr: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logs = await containerLogs(nameOrId);
    const hit = (s: string): boolean => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
    if (hit(logs.stdout) || hit(logs.stderr)) return logs;
    if (Date.now() > deadline)
      throw new Error(
        `container ${nameOrId}: ${pattern} not in its logs within ${timeoutMs} ms\nstdout: ${logs.stdout}\nstderr: ${logs.stderr}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
