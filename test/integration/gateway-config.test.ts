import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, runCli, tempDir, writeConfig } from '../support/agent-proc.js';
import {
  ensureMcpServers,
  LITELLM_EDGE_VERSIONS,
  MASTER_KEY,
  startLiteLLM,
  type LiteLLM,
  type McpServerConfig,
} from '../support/litellm.js';

// Ground truth for check-gateway (issue 29): REAL LiteLLM, the oldest and the newest tested (1.77.1, 1.110.2) started
// from the shipped config/litellm.yaml, adapted (its commands replaced by the npm servers here: mcp_postgres runs the
// everything server, keeping its env entry, since there is no PostgreSQL; mcp_filesystem runs the filesystem server
// on a scratch folder), and from broken copies. What LiteLLM does with each copy (does not start, starts without the
// server, serves without a key) is asserted beside what check-gateway says of it: docs/gateway-config.md.

// The oldest and the newest: 1.109.1 does with each copy what 1.110.2 does (both were tried: docs/gateway-config.md).
const VERSIONS = LITELLM_EDGE_VERSIONS;
/** The versions with the stdio gate (the flag and the command allowlist). */
const gated = (v: string): boolean => v !== '1.77.1';

const DB_PASSWORD = 'Db-Password-Not-Printed-31';
const DATABASE_URI = `postgresql://mcp:${DB_PASSWORD}@127.0.0.1:1/mcp`;
const BASE_ENV = { LITELLM_MASTER_KEY: MASTER_KEY, DATABASE_URI, LITELLM_ENABLE_MCP_STDIO: 'true' };

interface Out {
  findings: Array<{ line: number; server: string; code: string; severity: string; message: string }>;
  live?: { target: string; version?: string; servers: Array<{ name: string }> };
}

/** The shipped servers, adapted to what runs here. */
function shippedServers(): Record<string, McpServerConfig> {
  const shipped = parse(readFileSync(join(REPO, 'config/litellm.yaml'), 'utf8')) as {
    mcp_servers: Record<string, McpServerConfig>;
  };
  const s = ensureMcpServers();
  const scratch = tempDir('mcpwatch-gwcfg-fs-');
  return {
    mcp_postgres: { ...shipped.mcp_servers.mcp_postgres, command: 'node', args: [s.everything, 'stdio'] },
    mcp_filesystem: { ...shipped.mcp_servers.mcp_filesystem, command: 'node', args: [s.filesystem, scratch] },
  };
}

const KEY_REF = { general_settings: { master_key: 'os.environ/LITELLM_MASTER_KEY' } };

/** Tools per server, as the gateway lists them to its master key. */
async function toolsPerServer(ll: LiteLLM): Promise<Record<string, number>> {
  const c = new Client({ name: 'gwcfg-test', version: '1' });
  const headers = { authorization: `Bearer ${ll.masterKey}` };
  await c.connect(new StreamableHTTPClientTransport(new URL(`${ll.url}/mcp/`), { requestInit: { headers } }));
  try {
    const per: Record<string, number> = {};
    for (const t of (await c.listTools()).tools) {
      const server = t.name.split('-')[0]!;
      per[server] = (per[server] ?? 0) + 1;
    }
    return per;
  } finally {
    await c.close();
  }
}

/** The gateway's server list (read here, with its env: what the server gets; never printed). */
async function serverList(ll: LiteLLM, key?: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${ll.url}/v1/mcp/server`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: r.status, body: (await r.json()) as unknown };
}

/** check-gateway on `file` with an env file of `env`; `--live` against `ll` when given. */
async function checkGateway(
  file: string,
  env: Record<string, string>,
  ll?: LiteLLM,
): Promise<Out & { code: number | null }> {
  const dir = tempDir('mcpwatch-gwcfg-check-');
  const envFile = writeConfig(
    dir,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    'litellm.env',
  );
  const live = ll
    ? ['--live', '--config', writeConfig(dir, `targets:\n  lan: { url: "${ll.url}", apiKey: "${ll.masterKey}" }\n`)]
    : [];
  const r = await runCli(['check-gateway', ...live, '--json', file, '--env-file', envFile], { timeoutMs: 60_000 });
  const text = r.stdout + r.stderr;
  expect(text).not.toContain(MASTER_KEY);
  expect(text).not.toContain(DB_PASSWORD);
  expect(r.stderr, text).toBe('');
  return { code: r.code, ...(JSON.parse(r.stdout) as Out) };
}

/** The line of the first line of `file` that holds `text`. */
function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} is not in ${file}`);
  return i + 1;
}

const brief = (o: Out): string[] => o.findings.map((f) => `${f.line}: ${f.severity}: ${f.server}: [${f.code}]`);

describe.each(VERSIONS)('LiteLLM %s', (version) => {
  it('the shipped config (adapted) with a server through `env` and a ${VAR}: what LiteLLM runs, and --live', async () => {
    const servers = shippedServers();
    const s = ensureMcpServers();
    const ll = await startLiteLLM({
      version,
      servers: {
        ...servers,
        // `env` is not in 1.109's allowlist; the placeholder is never replaced.
        mcp_env: {
          transport: 'stdio',
          command: 'env',
          args: ['node', s.everything, 'stdio'],
          env: { DSN: '${DATABASE_URI}' },
        },
      },
      config: KEY_REF,
      env: BASE_ENV,
    });
    try {
      const tools = await toolsPerServer(ll);
      expect(tools.mcp_postgres).toBeGreaterThan(0);
      expect(tools.mcp_filesystem).toBeGreaterThan(0);
      // 1.77.1 runs `env`; 1.109+ keep the server in their list and run nothing (403 from the allowlist).
      if (gated(version)) expect(tools.mcp_env).toBeUndefined();
      else expect(tools.mcp_env).toBeGreaterThan(0);
      const list = (await serverList(ll, ll.masterKey)).body as Array<{
        server_name: string;
        env?: Record<string, string>;
      }>;
      expect(list.map((e) => e.server_name).sort()).toEqual(['mcp_env', 'mcp_filesystem', 'mcp_postgres']);
      // What the server gets: the placeholder itself, not the variable's value.
      expect(list.find((e) => e.server_name === 'mcp_env')!.env!.DSN).toBe('${DATABASE_URI}');

      // The shipped file (without mcp_env) against this gateway: no error; mcp_env is the gateway's, not the file's.
      const dir = tempDir('mcpwatch-gwcfg-files-');
      const shipped = writeConfig(
        dir,
        readFileSync(ll.configPath, 'utf8').replace(/\n {2}mcp_env:[\s\S]*?(?=\n\S|$)/, ''),
        'shipped.yaml',
      );
      expect(readFileSync(shipped, 'utf8')).not.toContain('mcp_env');
      expect(readFileSync(shipped, 'utf8')).toContain('mcp_filesystem');
      const a = await checkGateway(shipped, BASE_ENV, ll);
      expect(a.code, JSON.stringify(a)).toBe(0);
      expect(brief(a)).toEqual([`${lineOf(shipped, 'mcp_servers:')}: warning: mcp_env: [undeclared_at_gateway]`]);
      expect(a.live!.version).toBe(version);
      expect(a.live!.servers.map((x) => x.name).sort()).toEqual(['mcp_env', 'mcp_filesystem', 'mcp_postgres']);

      // The file the gateway runs: the command outside the allowlist (a warning where it is not enforced), the ${VAR}.
      const b = await checkGateway(ll.configPath, BASE_ENV, ll);
      expect(b.code).toBe(1);
      expect(brief(b)).toEqual(
        [
          `${lineOf(ll.configPath, 'command: env')}: ${gated(version) ? 'error' : 'warning'}: mcp_env: [command_not_allowed]`,
          `${lineOf(ll.configPath, 'DSN:')}: error: mcp_env: [placeholder_not_replaced]`,
        ].sort((x, y) => parseInt(x) - parseInt(y)),
      );

      // A server the file declares that the gateway does not have.
      const gone = writeConfig(
        dir,
        `${readFileSync(shipped, 'utf8').trimEnd()}\n  mcp_gone:\n    transport: http\n    url: http://127.0.0.1:9/mcp\n`,
        'gone.yaml',
      );
      const c = await checkGateway(gone, BASE_ENV, ll);
      expect(c.code).toBe(1);
      expect(brief(c)).toContain(`${lineOf(gone, 'mcp_gone:')}: error: mcp_gone: [missing_at_gateway]`);
    } finally {
      await ll.stop();
    }
  }, 300_000);

  it('LITELLM_ENABLE_MCP_STDIO not set: 1.109+ start with no stdio server running; 1.77.1 runs them', async () => {
    const env = { LITELLM_MASTER_KEY: MASTER_KEY, DATABASE_URI };
    const ll = await startLiteLLM({
      version,
      servers: shippedServers(),
      config: KEY_REF,
      env: { ...env, LITELLM_ENABLE_MCP_STDIO: '' },
    });
    try {
      const tools = await toolsPerServer(ll);
      expect(tools).toEqual(
        gated(version) ? {} : { mcp_postgres: expect.any(Number), mcp_filesystem: expect.any(Number) },
      );
      const r = await checkGateway(ll.configPath, env, ll);
      const severity = gated(version) ? 'error' : 'warning';
      expect(r.code).toBe(gated(version) ? 1 : 0);
      expect(brief(r)).toEqual(
        ['mcp_postgres', 'mcp_filesystem']
          .map((s) => `${lineOf(ll.configPath, `${s}:`) + 1}: ${severity}: ${s}: [stdio_disabled]`)
          .sort((x, y) => parseInt(x) - parseInt(y)),
      );
    } finally {
      await ll.stop();
    }
  }, 300_000);

  it('DATABASE_URI unset: LiteLLM does not start (the env value is None); check-gateway says so at its line', async () => {
    const env = { LITELLM_MASTER_KEY: MASTER_KEY, LITELLM_ENABLE_MCP_STDIO: 'true' };
    const err = await startLiteLLM({
      version,
      servers: shippedServers(),
      config: KEY_REF,
      env,
      readyTimeoutMs: 90_000,
      // 1.109+ exit on it; 1.77.1's workers die and its manager stays up, never ready.
      failOn: /env\.DATABASE_URI\s+Input should be a valid string/,
    }).then(
      async (ll) => {
        await ll.stop();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/env\.DATABASE_URI\s+Input should be a valid string/);
    const dir = tempDir('mcpwatch-gwcfg-unset-');
    const file = writeConfig(
      dir,
      `general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n${shippedYaml()}`,
      'litellm.yaml',
    );
    const r = await checkGateway(file, env);
    expect(r.code).toBe(1);
    expect(brief(r)).toEqual([`${lineOf(file, 'DATABASE_URI:')}: error: mcp_postgres: [unset_variable]`]);
    expect(r.findings[0]!.message).toContain("LiteLLM does not start (the server's env value is None)");
  }, 300_000);

  it('the master key unset: 1.77.1 serves every request without a key, 1.109+ do not start', async () => {
    const env = { DATABASE_URI, LITELLM_ENABLE_MCP_STDIO: 'true' };
    const started = await startLiteLLM({
      version,
      servers: shippedServers(),
      config: KEY_REF,
      env,
      readyTimeoutMs: 90_000,
    }).then(
      (ll) => ll,
      (e: Error) => e,
    );
    if (gated(version)) {
      expect(started).toBeInstanceOf(Error);
      expect((started as Error).message).toContain('LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY');
    } else {
      const ll = started as LiteLLM;
      try {
        expect((await serverList(ll)).status).toBe(200); // no key at all
      } finally {
        await ll.stop();
      }
    }
    const dir = tempDir('mcpwatch-gwcfg-nokey-');
    const file = writeConfig(
      dir,
      `general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n${shippedYaml()}`,
      'litellm.yaml',
    );
    const r = await checkGateway(file, env);
    expect(r.code).toBe(1);
    expect(brief(r)).toEqual(['2: error: general_settings.master_key: [unset_variable]']);
  }, 300_000);
});

/** The shipped mcp_servers section as YAML text. */
function shippedYaml(): string {
  const text = readFileSync(join(REPO, 'config/litellm.yaml'), 'utf8');
  return text.slice(text.indexOf('mcp_servers:'));
}
