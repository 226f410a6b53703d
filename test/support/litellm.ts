import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, REPO } from './agent-proc.js';
import { Proc, waitForHttp } from './proc.js';

/**
 * A real LiteLLM proxy for tests: a venv from PyPI (scripts/ensure-litellm.sh, cached in
 * ~/.cache/mcpwatch), two real upstream MCP servers from npm spawned by LiteLLM over stdio,
 * listening on loopback. Fails loudly when it cannot start.
 */

export const CACHE = process.env.MCPWATCH_CACHE ?? join(homedir(), '.cache/mcpwatch');
export const MASTER_KEY = 'sk-test-master-1234567890abcdef';
export const FS_SERVER = 'mcp_fs';
export const EVERYTHING_SERVER = 'mcp_everything';
/** Exact versions of the upstream servers (the filesystem server has write tools: it gets a scratch folder). */
export const SERVER_PACKAGES = {
  '@modelcontextprotocol/server-filesystem': '2026.8.31',
  '@modelcontextprotocol/server-everything': '2026.8.31',
} as const;

/** `VERSION[@DATE]` entries of test/support/litellm-versions.txt: the deployment's version, then the newest. */
const VERSION_SPECS = readFileSync(join(REPO, 'test/support/litellm-versions.txt'), 'utf8').trim().split(/\s+/);
export const LITELLM_VERSIONS = VERSION_SPECS.map((s) => s.split('@')[0]!);

export interface LiteLLM {
  url: string;
  version: string;
  masterKey: string;
  scratchDir: string;
  proc: Proc;
  stop(): Promise<void>;
}

export interface StartOptions {
  version?: string;
  /** More entries for `mcp_servers` in LiteLLM's config. */
  extraServers?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Include the two default upstream servers (default true). */
  defaultServers?: boolean;
}

function ensureVenv(version: string): string {
  const spec = VERSION_SPECS.find((s) => s.split('@')[0] === version) ?? version;
  try {
    return execFileSync('bash', [join(REPO, 'scripts/ensure-litellm.sh'), spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (err) {
    throw new Error(`cannot create the LiteLLM ${version} venv (bash scripts/ensure-litellm.sh ${spec}): ${(err as Error).message}`);
  }
}

/** Installs the upstream MCP servers from npm once into the cache; returns their entry points. */
export function ensureServers(): { filesystem: string; everything: string } {
  const dir = join(CACHE, 'mcp-servers');
  const marker = join(dir, `.ok-${Object.values(SERVER_PACKAGES).join('-')}`);
  if (!existsSync(marker)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"mcpwatch-test-mcp-servers","private":true}\n');
    const specs = Object.entries(SERVER_PACKAGES).map(([n, v]) => `${n}@${v}`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, ...specs], { stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(marker, '');
  }
  const base = join(dir, 'node_modules/@modelcontextprotocol');
  return { filesystem: join(base, 'server-filesystem/dist/index.js'), everything: join(base, 'server-everything/dist/index.js') };
}

export async function startLiteLLM(opts: StartOptions = {}): Promise<LiteLLM> {
  const version = opts.version ?? process.env.LITELLM_VERSION ?? LITELLM_VERSIONS[0]!;
  const venv = ensureVenv(version);
  const servers = ensureServers();
  const dir = mkdtempSync(join(tmpdir(), `litellm-${version}-`));
  const scratchDir = join(dir, 'scratch');
  mkdirSync(scratchDir);
  writeFileSync(join(scratchDir, 'hello.txt'), 'hello from the scratch folder\n');

  const mcpServers: Record<string, unknown> = {
    ...(opts.defaultServers !== false && {
      [FS_SERVER]: { transport: 'stdio', command: process.execPath, args: [servers.filesystem, scratchDir] },
      [EVERYTHING_SERVER]: { transport: 'stdio', command: process.execPath, args: [servers.everything, 'stdio'] },
    }),
    ...opts.extraServers,
  };
  const configPath = join(dir, 'litellm.yaml');
  writeFileSync(configPath, stringify({ general_settings: { master_key: MASTER_KEY }, mcp_servers: mcpServers }));

  const port = await freePort();
  const proc = Proc.start(join(venv, 'bin/litellm'), ['--config', configPath, '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      // Newer releases refuse stdio MCP servers unless told otherwise.
      LITELLM_ENABLE_MCP_STDIO: 'true',
      ...opts.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health/readiness`, 180_000, proc, `LiteLLM ${version}`);
  } catch (err) {
    await proc.stop(2_000);
    throw err;
  }
  return { url, version, masterKey: MASTER_KEY, scratchDir, proc, stop: () => proc.stop() };
}
