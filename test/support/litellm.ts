import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort, killAndWait, spawnProc, waitForUrl, type Proc } from './proc.js';

/**
 * A real LiteLLM proxy for integration tests: a venv from PyPI (made by scripts/ensure-litellm.sh,
 * cached in ${MCPWATCH_CACHE:-~/.cache/mcpwatch}), real upstream MCP servers from npm that LiteLLM
 * spawns over stdio, no database, listening on a free loopback port. Never skips: when something
 * is missing it throws an Error that says how to fix it.
 */

const REPO = resolve(import.meta.dirname, '../..');
export const CACHE = process.env.MCPWATCH_CACHE ?? join(homedir(), '.cache/mcpwatch');

/** The deployment's version, used when neither `opts.version` nor env LITELLM_VERSION says otherwise. */
export const DEFAULT_LITELLM_VERSION = '1.77.1';
/** Master key of every test proxy (fake, test-only). */
export const MASTER_KEY = 'sk-test-master-1234567890abcdef';
/** A well-formed key that the proxy does not know (fake). */
export const WRONG_KEY = 'sk-test-wrongkey-1234567890abcdef';

/** Names (aliases) of the default upstream servers in LiteLLM's config; tools appear as `${name}-${tool}`. */
export const FS_SERVER = 'mcp_fs';
export const EVERYTHING_SERVER = 'mcp_everything';
export const DEFAULT_SERVERS = [FS_SERVER, EVERYTHING_SERVER] as const;

/** Exact versions of the upstream servers, installed once into `${CACHE}/mcp-servers`. */
export const SERVER_PACKAGES = {
  '@modelcontextprotocol/server-filesystem': '2026.8.31',
  '@modelcontextprotocol/server-everything': '2026.8.31',
} as const;

/** Files the filesystem server's scratch folder starts with (path relative to it → content). */
export const SCRATCH_FILES: Readonly<Record<string, string>> = {
  'hello.txt': 'hello from the scratch folder\n',
  'notes/readme.md': '# mcpwatch test scratch\n\nA known file for read_text_file probes.\n',
};

/**
 * `VERSION[@DATE]` specs from test/support/litellm-versions.txt (when present): the date pins the
 * dependency resolution of an old release (see scripts/ensure-litellm.sh).
 */
function versionSpecs(): string[] {
  const file = join(REPO, 'test/support/litellm-versions.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean) : [];
}
/** Versions under test, from test/support/litellm-versions.txt (deployment's first, the newest last). */
export const LITELLM_VERSIONS: string[] = versionSpecs().map((s) => s.split('@')[0]!);
/**
 * The oldest and the newest of them: for the suites that repeat a behaviour every version already showed in the
 * per-version suites (mcp-probes-litellm, mcp-postgres-litellm). 1.110.2 answers as 1.109.1 does, byte for byte
 * (tools/list, tools/call, the server list, the refusals, the log's words: checked 2026-12-05).
 */
export const LITELLM_EDGE_VERSIONS: string[] = [...new Set([LITELLM_VERSIONS[0], LITELLM_VERSIONS.at(-1)])].filter(
  (v): v is string => v !== undefined,
);

/**
 * The versions a suite runs on: env MCPWATCH_LITELLM_VERSIONS (comma-separated) when set, else `fallback`
 * (LITELLM_VERSIONS or LITELLM_EDGE_VERSIONS). None at all is an error, not a suite that runs nothing.
 */
export function versionsUnderTest(fallback: string[]): string[] {
  const env = process.env.MCPWATCH_LITELLM_VERSIONS;
  const versions =
    env === undefined
      ? fallback
      : env
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean);
  if (versions.length === 0)
    throw new Error(
      'no LiteLLM versions to test: MCPWATCH_LITELLM_VERSIONS is empty or test/support/litellm-versions.txt is missing',
    );
  return versions;
}

/** A server entry of LiteLLM's `mcp_servers` config (passed through to YAML as is). */
export interface McpServerConfig {
  transport?: 'stdio' | 'http' | 'sse';
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  [key: string]: unknown;
}

export interface StartLiteLLMOptions {
  /** LiteLLM version (a venv must exist for it); default env LITELLM_VERSION, else 1.77.1. */
  version?: string;
  /** The `mcp_servers` of the config; default: the two default servers (see `defaultServers`). */
  servers?: Record<string, McpServerConfig>;
  /** More servers on top of `servers` (or of the defaults). */
  extraServers?: Record<string, McpServerConfig>;
  /** Default MASTER_KEY. */
  masterKey?: string;
  /** Extra environment for LiteLLM (e.g. JSON_LOGS: 'True'). */
  env?: Record<string, string>;
  /** More top-level config sections merged into litellm.yaml (e.g. litellm_settings). */
  config?: Record<string, unknown>;
  /**
   * `--num_workers` (uvicorn worker processes). Default: the version's own default, as a deployment
   * runs it: 4 in 1.77 (each worker spawns its own stdio servers and logs on its own), 1 in 1.109.
   */
  workers?: number;
  /** How long to wait for /health/readiness (default 120 s: the first start compiles bytecode). */
  readyTimeoutMs?: number;
  /** Output that means LiteLLM will never be ready (1.77's workers die on a config error, its manager stays up). */
  failOn?: RegExp;
}

export interface LiteLLM {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  masterKey: string;
  version: string;
  /** The filesystem server's folder, holding SCRATCH_FILES. */
  scratchDir: string;
  /** The temp folder holding litellm.yaml (removed by stop()). */
  dir: string;
  configPath: string;
  /** The process, for byte-exact stdout/stderr (`proc.out`, `proc.err`, `mark()`/`since()`). */
  proc: Proc;
  /** Everything LiteLLM wrote so far, stdout then stderr, labelled. */
  logs(): string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** The venv of `version`, or a loud Error saying which command creates it. */
export function litellmVenv(version: string): string {
  const venv = join(CACHE, `venv-${version}`);
  if (existsSync(join(venv, '.mcpwatch-ok')) && existsSync(join(venv, 'bin/litellm'))) return venv;
  const spec = versionSpecs().find((s) => s.split('@')[0] === version) ?? version;
  throw new Error(
    `LiteLLM ${version} is not installed: no finished venv at ${venv}.\n` +
      `Create it with:  bash scripts/ensure-litellm.sh ${spec}\n` +
      `(or install everything the tests need with: bash scripts/setup-test-env.sh)`,
  );
}

/** Paths of the upstream servers' entry points, after installing them from npm once (exact versions). */
export function ensureMcpServers(): { filesystem: string; everything: string } {
  const dir = join(CACHE, 'mcp-servers');
  const base = join(dir, 'node_modules/@modelcontextprotocol');
  const paths = {
    filesystem: join(base, 'server-filesystem/dist/index.js'),
    everything: join(base, 'server-everything/dist/index.js'),
  };
  const marker = join(dir, `.ok-${Object.values(SERVER_PACKAGES).join('-')}`);
  if (existsSync(marker) && existsSync(paths.filesystem) && existsSync(paths.everything)) return paths;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"name":"mcpwatch-test-mcp-servers","private":true}\n');
  const specs = Object.entries(SERVER_PACKAGES).map(([n, v]) => `${n}@${v}`);
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', '--prefix', dir, ...specs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    throw new Error(
      `could not install the upstream MCP servers (npm install --prefix ${dir} ${specs.join(' ')}): ${err.message}\n${err.stderr?.toString() ?? ''}`,
      { cause: e },
    );
  }
  for (const p of Object.values(paths)) if (!existsSync(p)) throw new Error(`npm install finished but ${p} is missing`);
  writeFileSync(marker, `${specs.join('\n')}\n`);
  return paths;
}

/** Former names, kept for earlier callers. */
export const ensureServers = ensureMcpServers;
export type StartOptions = StartLiteLLMOptions;

/** The default `mcp_servers` entries: filesystem server on `scratchDir`, everything server on stdio. */
export function defaultServers(scratchDir: string): Record<string, McpServerConfig> {
  const s = ensureMcpServers();
  return {
    [FS_SERVER]: { transport: 'stdio', command: process.execPath, args: [s.filesystem, scratchDir] },
    [EVERYTHING_SERVER]: { transport: 'stdio', command: process.execPath, args: [s.everything, 'stdio'] },
  };
}

/**
 * Starts LiteLLM `opts.version` (default env LITELLM_VERSION, else 1.77.1) with the given MCP
 * servers on a free loopback port, and resolves once /health/readiness answers 200. Throws with
 * LiteLLM's last output when it does not come up.
 */
/** The environment LiteLLM runs with (started or restarted): `home` its HOME unless one is set, then `extra`. */
export function litellmEnv(home: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? home,
    LANG: process.env.LANG ?? 'C.UTF-8',
    // No price-map download (no internet here); prints flushed at once, as logging records are.
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    PYTHONUNBUFFERED: '1',
    // Recent releases refuse stdio MCP servers unless told otherwise.
    LITELLM_ENABLE_MCP_STDIO: 'true',
    ...extra,
  };
}

export async function startLiteLLM(opts: StartLiteLLMOptions = {}): Promise<LiteLLM> {
  const version = opts.version ?? process.env.LITELLM_VERSION ?? DEFAULT_LITELLM_VERSION;
  const venv = litellmVenv(version);
  const masterKey = opts.masterKey ?? MASTER_KEY;
  const dir = mkdtempSync(join(tmpdir(), `mcpwatch-litellm-${version}-`));
  const scratchDir = join(dir, 'scratch');
  for (const [rel, content] of Object.entries(SCRATCH_FILES)) {
    const path = join(scratchDir, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
  const servers = { ...(opts.servers ?? defaultServers(scratchDir)), ...opts.extraServers };
  const configPath = join(dir, 'litellm.yaml');
  const config = {
    ...opts.config,
    general_settings: { master_key: masterKey, ...(opts.config?.general_settings as object | undefined) },
    ...(Object.keys(servers).length > 0 && { mcp_servers: servers }),
  };
  writeFileSync(`${configPath}.tmp`, stringify(config));
  renameSync(`${configPath}.tmp`, configPath);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    '--config',
    configPath,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    ...(opts.workers ? ['--num_workers', String(opts.workers)] : []),
  ];
  const proc = spawnProc(join(venv, 'bin/litellm'), args, {
    name: `LiteLLM ${version}`,
    cwd: dir,
    env: litellmEnv(dir, opts.env),
  });
  const stop = async (): Promise<void> => {
    await killAndWait(proc, { graceMs: 5_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForUrl(`${url}/health/readiness`, {
      timeoutMs: opts.readyTimeoutMs ?? 120_000,
      proc,
      ...(opts.failOn && { failOn: opts.failOn }),
      what: `LiteLLM ${version} (${configPath})`,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    masterKey,
    version,
    scratchDir,
    dir,
    configPath,
    proc,
    logs: () => `--- stdout\n${proc.stdout}\n--- stderr\n${proc.stderr}`,
    stdout: () => proc.stdout,
    stderr: () => proc.stderr,
    stop,
  };
}
