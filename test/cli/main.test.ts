import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { freePort, REPO, tempDir, writeConfig } from '../support/agent-proc.js';

// Argument handling of the mcpwatch command, in-process: each case is refused (exit 2 with the
// usage) before anything starts, so no agent runs and nothing is read.

/** What each test of the block writes to stderr (kept from the terminal). */
function stderrOfEachTest(): { text: string } {
  const err = { text: '' };
  beforeEach(() => {
    err.text = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.text += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return err;
}

describe('mcpwatch --shard I/N', () => {
  const err = stderrOfEachTest();

  it.each([
    [
      ['run', '--shard', '3/3'],
      '--shard: expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "3/3": I must be less than N (shards are numbered 0 to 2)',
    ],
    [
      ['--shard', '0/0'],
      '--shard: expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "0/0": N must be at least 1',
    ],
    [
      ['run', '--shard', 'one/3'],
      '--shard: expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "one/3"',
    ],
    [
      ['run', '--shard=-1/3'],
      '--shard: expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "-1/3"',
    ],
    [['run', '--shard'], "Option '--shard <value>' argument missing"],
  ])('run %j is a usage error (exit 2)', async (argv, message) => {
    expect(await main(argv, { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(err.text.split('\n')[0]).toBe(`mcpwatch: ${message}`);
    expect(err.text).toContain('Usage:');
  });

  it.each([
    [
      ['check-config', '--shard', '0/2'],
      '--shard is for the run command (check-config uses every probe of the config)',
    ],
    [
      ['probe', 'lan-catalog', '--shard', '1/2'],
      '--shard is for the run command (probe uses every probe of the config)',
    ],
    [['report', '--shard', '1/2'], '--shard is for the run command (report uses every probe of the config)'],
    [
      ['check-clients', '--shard', '1/2', 'a.toml'],
      '--shard is for the run command (check-clients uses every probe of the config)',
    ],
    [['status', '--shard', '1/2'], '--shard is for the run command (status shows the shard of the agent it asks)'],
  ])('%j is refused: the other commands ignore no shard silently', async (argv, message) => {
    expect(await main(argv, { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(err.text.split('\n')[0]).toBe(`mcpwatch: ${message}`);
  });

  it('a valid --shard gets as far as the config (here: a file that is not there, exit 2 for the config)', async () => {
    expect(await main(['run', '--shard', '1/3'], { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(err.text).toContain('cannot read config file /nonexistent/mcpwatch.yaml');
    expect(err.text).not.toContain('Usage:');
  });

  it('--help names the flag', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain('mcpwatch [run] [--config FILE] [--shard I/N]');
  });
});

describe('mcpwatch run --web.enable-lifecycle', () => {
  const err = stderrOfEachTest();

  it.each([['check-config'], ['probe', 'p'], ['status'], ['report']])('%s refuses it', async (...argv) => {
    expect(await main([...argv, '--web.enable-lifecycle'], { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(err.text.split('\n')[0]).toBe('mcpwatch: --web.enable-lifecycle is for the run command');
  });

  it('run takes it (and gets as far as the config); it takes no value', async () => {
    expect(await main(['run', '--web.enable-lifecycle'], { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(err.text).toContain('cannot read config file /nonexistent/mcpwatch.yaml');
    err.text = '';
    expect(await main(['run', '--web.enable-lifecycle=yes'])).toBe(2);
    expect(err.text.split('\n')[0]).toMatch(/^mcpwatch: Option '--web.enable-lifecycle' does not take an argument/);
  });
});

describe('mcpwatch check-gateway and report --gateway-config arguments', () => {
  const err = stderrOfEachTest();

  it.each([
    [['check-gateway'], "check-gateway needs exactly one LITELLM_CONFIG (LiteLLM's config.yaml)"],
    [['check-gateway', 'a.yaml', 'b.yaml'], "check-gateway needs exactly one LITELLM_CONFIG (LiteLLM's config.yaml)"],
    [
      ['check-gateway', 'a.yaml', '--gateway-config', 'b.yaml'],
      '--gateway-config is for the report command (check-gateway takes the file itself)',
    ],
    [['check-clients', 'a.toml', '--env-file', 'x.env'], '--env-file is for the check-gateway and report commands'],
    [
      ['report', '--env-file', 'x.env'],
      '--env-file goes with --gateway-config (the env files of the LiteLLM config it checks)',
    ],
    [['report', '--live'], 'report always tries the client entries: --live is for check-clients and check-gateway'],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    expect(await main(argv, { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(err.text.split('\n')[0]).toBe(`mcpwatch: ${message}`);
    expect(err.text).toContain('Usage:');
  });

  it('--env-file may be given more than once, after the file', async () => {
    const dir = tempDir('mcpwatch-gw-args-');
    const yaml = join(dir, 'litellm.yaml');
    writeConfig(dir, 'mcp_servers: {}\n', 'litellm.yaml');
    writeConfig(dir, 'A=1\n', 'a.env');
    expect(
      await main(['check-gateway', yaml, '--env-file', join(dir, 'a.env'), '--env-file', join(dir, 'none.env')], {}),
    ).toBe(2);
    expect(err.text).toBe(`mcpwatch: ${join(dir, 'none.env')}: cannot read it (no such file)\n`);
  });

  it('--help lists the command', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain(
      'mcpwatch check-gateway [--config FILE] [--live] [--json] LITELLM_CONFIG [--env-file FILE]...',
    );
    expect(out).toContain('[--gateway-config FILE [--env-file FILE]...]');
  });
});

describe('mcpwatch status arguments', () => {
  const err = stderrOfEachTest();

  it.each([
    [['status', 'extra'], 'status takes no arguments, got: extra'],
    [['status', '--live'], '--live is for check-clients and check-gateway'],
    [['status', '--url', 'ftp://mon.lan'], '--url: expected an http or https URL, got ftp'],
    [['status', '--url', 'http://'], '--url: expected the agent\'s URL (e.g. http://127.0.0.1:9464), got "http://"'],
    [['probe', 'p', '--url', 'http://127.0.0.1:9464'], '--url is for the status command'],
    [['--url', 'http://127.0.0.1:9464'], '--url is for the status command'],
    [['run', '--json'], '--json is for the probe, check-clients, check-gateway, report and status commands'],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    expect(await main(argv, { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(err.text.split('\n')[0]).toBe(`mcpwatch: ${message}`);
    expect(err.text).toContain('Usage:');
  });

  it('a named config that is not there: exit 2 naming it, without the usage', async () => {
    expect(await main(['status'], { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(err.text).toBe(
      'mcpwatch status: cannot tell where the agent listens from /nonexistent/mcpwatch.yaml: no such file (give --url)\n',
    );
  });

  it('nothing listening at --url: exit 2, connection refused', async () => {
    const port = await freePort();
    expect(await main(['status', '--url', `127.0.0.1:${port}`], {})).toBe(2);
    expect(err.text).toContain(`cannot read mcpwatch at http://127.0.0.1:${port}: connection refused`);
  });
});

// Each command imports only what it uses (src/cli/main.ts imports a command's module when it runs): the
// packages of the agent's server, its metrics, its log tailing and its probes cost tens of MiB of memory
// and their load time. The source runs under tsx with a module hook that records every module resolved.
describe('what a command loads', () => {
  const AGENT = ['fastify', 'prom-client', 'dockerode'];
  const PROBES = ['@modelcontextprotocol/client', 'undici'];

  /** The packages under node_modules that `mcpwatch ARGS` resolved, and its exit code. */
  function packagesLoaded(args: string[]): { code: number | null; packages: Set<string>; modules: string[] } {
    const log = join(tempDir('mcpwatch-imports-'), 'imports.txt');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', './test/support/import-log.mjs', 'src/bin.ts', ...args],
      { cwd: REPO, env: { PATH: process.env.PATH ?? '', IMPORT_LOG: log }, encoding: 'utf8', timeout: 60_000 },
    );
    const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const packages = new Set(modules.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
    return { code: r.status, packages, modules };
  }

  it("--version and --help load none of the agent's or the probes' packages", () => {
    for (const flag of ['--version', '--help']) {
      const r = packagesLoaded([flag]);
      expect(r.code).toBe(0);
      // The hook saw the CLI itself: an empty list would prove nothing.
      expect(r.modules.some((u) => u.endsWith('/src/cli/main.ts'))).toBe(true);
      expect([...r.packages].filter((p) => [...AGENT, ...PROBES].includes(p))).toEqual([]);
    }
  });

  it("check-config loads the config's parser, and none of the agent's or the probes' packages", () => {
    const r = packagesLoaded(['check-config', '--config', 'config/mcpwatch.yaml']);
    expect(r.code).toBe(0);
    expect(r.packages).toContain('yaml');
    expect([...r.packages].filter((p) => [...AGENT, ...PROBES].includes(p))).toEqual([]);
  });

  it("check-clients without --live sends nothing: none of the probes' packages", () => {
    const r = packagesLoaded(['check-clients', '--config', 'config/mcpwatch.yaml', 'config/clients/codex-config.toml']);
    expect(r.code).toBe(0);
    expect(r.packages).toContain('smol-toml');
    expect([...r.packages].filter((p) => [...AGENT, ...PROBES].includes(p))).toEqual([]);
  });

  it("check-gateway without --live sends nothing: none of the probes' packages", () => {
    const r = packagesLoaded(['check-gateway', 'config/litellm.yaml', '--env-file', 'postgres.env.example']);
    expect(r.code).toBe(1); // LITELLM_MASTER_KEY and LITELLM_ENABLE_MCP_STDIO are not set here
    expect(r.modules.some((u) => u.endsWith('/src/gateway-config/checks.ts'))).toBe(true);
    expect(r.modules.some((u) => u.endsWith('/src/gateway-config/live.ts'))).toBe(false);
    expect([...r.packages].filter((p) => [...AGENT, ...PROBES].includes(p))).toEqual([]);
  });

  it("status loads none of the agent's or the probes' packages", async () => {
    const r = packagesLoaded(['status', '--url', `http://127.0.0.1:${await freePort()}`]);
    expect(r.code).toBe(2);
    expect(r.modules.some((u) => u.endsWith('/src/cli/status-render.ts'))).toBe(true);
    expect([...r.packages].filter((p) => [...AGENT, ...PROBES].includes(p))).toEqual([]);
  });

  it("probe loads the probes but not the agent's server, metrics or log tailing", () => {
    const cfg = writeConfig(
      tempDir(),
      'targets:\n  gw: { url: "http://127.0.0.1:9" }\nprobes:\n  - { name: p, type: http, target: gw, every: 30s, timeout: 2s }\n',
    );
    const r = packagesLoaded(['probe', 'p', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.modules.some((u) => u.includes('/src/probes/'))).toBe(true);
    expect([...r.packages].filter((p) => AGENT.includes(p))).toEqual([]);
  });
});
