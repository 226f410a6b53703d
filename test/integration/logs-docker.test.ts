import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, AgentSlot, REPO, sumSamples, tempDir } from '../support/agent-proc.js';
import {
  docker,
  doneCount,
  ensureDocker,
  removeContainer,
  removeTestContainers,
  runContainer,
  uniqueName,
  waitDone,
} from '../support/docker.js';

// Log tailing against a real Docker engine: busybox containers that replay LiteLLM log lines at a
// known rate, restarted, stopped and started, re-created, a daemon killed and restarted, mcpwatch
// itself restarted. The oracle is Docker's own log of the container (`docker logs`): mcpwatch
// must count exactly those lines and those auth records, never one more, never one less.

const AUTH_LINE =
  '10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - Malformed API Key passed in. Ensure Key has `Bearer ` prefix. Passed in: sk-leak-0123456789abcdefghij';

/** A shell loop writing `n` access lines (stdout) and, every 10th, a two-line auth record (stderr). */
function writer(n: number, delayUs = 5_000, tail = 'sleep 3600'): string[] {
  const script = [
    'i=0',
    `while [ $i -lt ${n} ]; do`,
    '  echo "INFO:     10.0.0.1:5 - \\"POST /mcp/ HTTP/1.1\\" 200 OK line $i"',
    `  if [ $((i % 10)) -eq 0 ]; then echo '${AUTH_LINE.replace(/'/g, "'\\''")}' >&2; echo 'Requester IP Address:10.0.0.9' >&2; fi`,
    `  i=$((i+1)); usleep ${delayUs}`,
    'done',
    'echo DONE',
    tail,
  ].join('\n');
  return ['sh', '-c', script];
}

interface Truth {
  lines: number;
  auth: number;
  stdout?: number;
  stderr?: number;
}

/** What Docker itself holds for the container: every line, and the auth records among them. */
async function truth(name: string): Promise<Truth> {
  const r = await docker(['logs', name]);
  const count = (s: string): number => s.split('\n').length - 1;
  const all = `${r.stdout}${r.stderr}`;
  return {
    lines: count(r.stdout) + count(r.stderr),
    auth: all.split('Exception occured').length - 1,
    stdout: count(r.stdout),
    stderr: count(r.stderr),
  };
}

async function counted(agent: AgentProcess, container: string): Promise<Truth> {
  const text = await agent.text('/metrics');
  return {
    lines: sumSamples(text, 'mcpwatch_log_lines_total', { container }),
    auth: sumSamples(text, 'mcpwatch_log_matches_total', { container, category: 'auth', kind: 'malformed_key' }),
    stdout: sumSamples(text, 'mcpwatch_log_lines_total', { container, stream: 'stdout' }),
    stderr: sumSamples(text, 'mcpwatch_log_lines_total', { container, stream: 'stderr' }),
  };
}

/** Waits until mcpwatch's counts equal `want`, then checks that they stay there (no late duplicates). */
async function expectCounts(
  agent: AgentProcess,
  container: string,
  want: () => Promise<Truth>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let got: Truth = { lines: -1, auth: -1 };
  let w: Truth = await want();
  while (Date.now() < deadline) {
    w = await want();
    got = await counted(agent, container);
    if (got.lines === w.lines && got.auth === w.auth) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const pick = (t: Truth): Truth => ({
    lines: t.lines,
    auth: t.auth,
    ...(w.stdout !== undefined && { stdout: t.stdout, stderr: t.stderr }),
  });
  expect(pick(got), `mcpwatch's counts for ${container} (want Docker's)`).toEqual(pick(w));
  await new Promise((r) => setTimeout(r, 700));
  expect(pick(await counted(agent, container))).toEqual(pick(await want()));
}

async function waitMetric(
  agent: AgentProcess,
  name: string,
  labels: Record<string, string>,
  value: number,
  timeoutMs = 10_000,
): Promise<number> {
  const t0 = Date.now();
  await agent.waitFor(
    async () => (await agent.metric(name, labels)) === value,
    timeoutMs,
    `${name}${JSON.stringify(labels)} == ${value}`,
  );
  return Date.now() - t0;
}

/** Waits until the container's log has not grown for `quietMs`. */
async function waitQuiet(name: string, quietMs = 1_500, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const n = (await truth(name)).lines;
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name}: its log kept growing for ${timeoutMs} ms`);
}

describe('log tailing against a real Docker engine', () => {
  const agent = new AgentSlot();
  let stateDir: string;
  const startAgent = (containers: string, extraYaml = ''): Promise<AgentProcess> =>
    agent.start(`logLevel: debug\nstateDir: ${stateDir}\nlogs:\n  containers:\n${containers}${extraYaml}`);

  /** A container writing `lines` lines 10 ms apart (`extraArgs` for docker run), tailed from its start: the tail up. */
  async function tailedWriter(prefix: string, lines: number, extraArgs: string[]) {
    const name = uniqueName(prefix);
    await runContainer({ name, cmd: writer(lines, 10_000), extraArgs });
    const a = await startAgent(`    - { name: ${name}, from: beginning }\n`);
    await waitMetric(a, 'mcpwatch_log_tail_up', { container: name }, 1);
    return { name, a };
  }

  beforeAll(() => ensureDocker());
  beforeEach(() => {
    stateDir = tempDir();
  });
  afterEach(async () => {
    await agent.kill();
    await removeTestContainers();
  });
  afterAll(async () => {
    await removeTestContainers();
  });

  it('counts every line and auth record of a running container, and masks keys in /status', async () => {
    const name = uniqueName('ll-steady');
    await runContainer({ name, cmd: writer(300) });
    const a = await startAgent(`    - { name: ${name}, from: beginning }\n`);
    await waitDone(name);
    await expectCounts(a, name, () => truth(name));
    const status = await a.text('/status');
    expect(status).not.toContain('sk-leak-0123456789abcdefghij');
    const recent = JSON.parse(status).logs.recentMatches as Array<{
      kind: string;
      requesterIp: string;
      line: string;
      origin: string;
    }>;
    expect(recent[0]).toMatchObject({ kind: 'malformed_key', requesterIp: '10.0.0.9', origin: 'external' });
    expect(recent[0]!.line).toContain('Passed in: sk-…ghij');
  });

  it('follows the container through docker restart, stop + start, and rm -f + run (new id)', async () => {
    const { name, a } = await tailedWriter('ll-restart', 200, ['--stop-timeout', '1']);

    // restart mid-stream (the script starts over; Docker keeps one log for the container). When
    // mcpwatch took long to start, the first run may have ended before the restart: what is
    // awaited is the end of the run the restart began (it takes 2 s, so counting the DONE lines
    // right after the restart counts only earlier runs'), never an earlier one.
    await new Promise((r) => setTimeout(r, 800));
    await docker(['restart', '-t', '0', name]);
    await waitDone(name, (await doneCount(name)) + 1);
    await expectCounts(a, name, () => truth(name));

    // stop, then start: re-attached within 2 s of the start
    await docker(['stop', '-t', '0', name]);
    await waitMetric(a, 'mcpwatch_log_tail_up', { container: name }, 0);
    await docker(['start', name]);
    const runsBefore = await doneCount(name);
    expect(await waitMetric(a, 'mcpwatch_log_tail_up', { container: name }, 1)).toBeLessThan(2_000);
    await waitDone(name, runsBefore + 1);
    await expectCounts(a, name, () => truth(name));

    // removed and re-created under the same name: a new log, counted from its first line
    const before = await truth(name);
    await removeContainer(name);
    await runContainer({ name, cmd: writer(100, 5_000) });
    expect(await waitMetric(a, 'mcpwatch_log_tail_up', { container: name }, 1)).toBeLessThan(2_000);
    await waitDone(name);
    const after = await truth(name);
    await expectCounts(a, name, async () => ({
      lines: before.lines + after.lines,
      auth: before.auth + after.auth,
      stdout: before.stdout! + after.stdout!,
      stderr: before.stderr! + after.stderr!,
    }));
  }, 120_000);

  it('waits for a container that does not exist yet (degraded, not failing), then follows it', async () => {
    const name = uniqueName('ll-later');
    const a = await startAgent(`    - { name: ${name} }\n`);
    await waitMetric(a, 'mcpwatch_docker_up', {}, 1);
    const health = await a.get('/health');
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; checks: { logs: { status: string; message: string } } };
    expect(body.checks.logs).toMatchObject({
      status: 'degraded',
      message: `not following: ${name} (no container by that name yet)`,
    });
    // First start of a tail: it begins with the container's log (new container, nothing seen).
    await runContainer({ name, cmd: writer(50) });
    expect(await waitMetric(a, 'mcpwatch_log_tail_up', { container: name }, 1)).toBeLessThan(2_000);
    await waitDone(name);
    await expectCounts(a, name, () => truth(name));
  });

  it('begins at the end of the log on the very first start, unless from: beginning', async () => {
    const name = uniqueName('ll-end');
    await runContainer({ name, cmd: writer(30, 1_000, 'while true; do read x; done') });
    await waitDone(name);
    const a = await startAgent(`    - { name: ${name} }\n`);
    await waitMetric(a, 'mcpwatch_log_tail_up', { container: name }, 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await counted(a, name)).toEqual({ lines: 0, auth: 0, stdout: 0, stderr: 0 });
  });

  it('survives mcpwatch being stopped and restarted mid-stream: no line recounted, none missed', async () => {
    const name = uniqueName('ll-self');
    await runContainer({ name, cmd: writer(400, 10_000) });
    let a = await startAgent(`    - { name: ${name}, from: beginning }\n`);
    await new Promise((r) => setTimeout(r, 1_000));
    // Freeze the writer so the first run's count is exact, then stop mcpwatch (its cursor is saved).
    await docker(['pause', name]);
    await expectCounts(a, name, () => truth(name));
    const first = await counted(a, name);
    expect(await a.stop('SIGTERM')).toBe(0);
    await docker(['unpause', name]);
    await new Promise((r) => setTimeout(r, 1_000)); // lines written while mcpwatch is down
    a = await startAgent(`    - { name: ${name}, from: beginning }\n`);
    await waitDone(name);
    await expectCounts(a, name, async () => {
      const t = await truth(name);
      return {
        lines: t.lines - first.lines,
        auth: t.auth - first.auth,
        stdout: t.stdout! - first.stdout!,
        stderr: t.stderr! - first.stderr!,
      };
    });
    expect(first.lines).toBeGreaterThan(0);
  }, 90_000);

  it('reads a TTY container (raw stream, \\r\\n) and a 1 MB line', async () => {
    const tty = uniqueName('ll-tty');
    const big = uniqueName('ll-big');
    await runContainer({ name: tty, cmd: writer(100), extraArgs: ['-t'] });
    await runContainer({
      name: big,
      cmd: ['sh', '-c', 'echo before; head -c 1048576 /dev/zero | tr "\\0" x; echo; echo after; echo DONE; sleep 3600'],
    });
    const a = await startAgent(`    - { name: ${tty}, from: beginning }\n    - { name: ${big}, from: beginning }\n`);
    await waitDone(tty);
    await waitDone(big);
    // With a TTY Docker merges stderr into stdout: the auth records come on one stream.
    await expectCounts(a, tty, () => truth(tty));
    await expectCounts(a, big, async () => ({ lines: 4, auth: 0, stdout: 4, stderr: 0 }));
    expect(await a.metric('mcpwatch_log_tail_up', { container: big })).toBe(1);
  });

  it('survives the Docker daemon being killed and restarted while lines keep coming', async () => {
    const { name, a } = await tailedWriter('ll-daemon', 600, ['--restart', 'always']);
    await new Promise((r) => setTimeout(r, 1_000));

    const pid = execFileSync('pgrep', ['-xo', 'dockerd'], { encoding: 'utf8' }).trim();
    process.kill(Number(pid), 'SIGKILL');
    await waitMetric(a, 'mcpwatch_docker_up', {}, 0, 15_000);
    const health = (await (await a.get('/health')).json()) as { status: string; checks: { logs: { status: string } } };
    expect(health.status).toBe('degraded');
    expect(health.checks.logs.status).toBe('degraded');
    await new Promise((r) => setTimeout(r, 1_500));
    execFileSync('bash', [`${REPO}/scripts/ensure-dockerd.sh`], { stdio: 'ignore', timeout: 120_000 });

    await waitMetric(a, 'mcpwatch_docker_up', {}, 1, 30_000);
    await waitMetric(a, 'mcpwatch_log_tail_up', { container: name }, 1, 30_000);
    await waitDone(name, 1, 60_000);
    // The first DONE may be the old run's (written while the daemon was away, read on its return)
    // while the restarted run still writes: compare once the log has stopped growing.
    await waitQuiet(name);
    await expectCounts(a, name, () => truth(name), 30_000);
  }, 180_000);
});
