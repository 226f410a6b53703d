import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { litellmEnv, type LiteLLM, type McpServerConfig } from './litellm.js';
import { killAndWait, spawnProc, waitForUrl } from './proc.js';

/**
 * A LiteLLM from startLiteLLM restarted with other `mcp_servers`, as a gateway is redeployed with an edited
 * config: the process (and the stdio servers it spawned: its process group) ended, `mcp_servers` of its
 * litellm.yaml replaced (the rest kept), and the same command started again with the same arguments, so on the
 * same port: the URL a probe uses stays. Resolves once /health/readiness answers; the LiteLLM given is spent
 * (its process is gone), stop() the one returned. `env`: the environment startLiteLLM set for it (its
 * defaults are set again here; pass what was given as `env` to startLiteLLM).
 */
export async function restartLiteLLM(
  ll: LiteLLM,
  servers: Record<string, McpServerConfig>,
  opts: { env?: Record<string, string>; readyTimeoutMs?: number } = {},
): Promise<LiteLLM> {
  const [cmd, ...args] = ll.proc.child.spawnargs;
  if (!cmd) throw new Error(`no command line known for ${ll.proc.name}`);
  await killAndWait(ll.proc, { graceMs: 5_000 });
  const config = (parse(readFileSync(ll.configPath, 'utf8')) ?? {}) as Record<string, unknown>;
  config.mcp_servers = servers;
  writeFileSync(`${ll.configPath}.tmp`, stringify(config));
  renameSync(`${ll.configPath}.tmp`, ll.configPath);
  const proc = spawnProc(cmd, args, {
    name: ll.proc.name,
    cwd: ll.dir,
    // As startLiteLLM starts it.
    env: litellmEnv(ll.dir, opts.env),
  });
  const stop = async (): Promise<void> => {
    await killAndWait(proc, { graceMs: 5_000 });
    rmSync(ll.dir, { recursive: true, force: true });
  };
  try {
    await waitForUrl(`${ll.url}/health/readiness`, {
      timeoutMs: opts.readyTimeoutMs ?? 120_000,
      proc,
      what: `LiteLLM ${ll.version} restarted (${ll.configPath})`,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ...ll,
    proc,
    logs: () => `--- stdout\n${proc.stdout}\n--- stderr\n${proc.stderr}`,
    stdout: () => proc.stdout,
    stderr: () => proc.stderr,
    stop,
  };
}
