import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './agent-proc.js';
import { docker, runContainer, uniqueName } from './docker.js';
import { CACHE, litellmVenv, MASTER_KEY } from './litellm.js';
import { waitForUrl } from './proc.js';

/**
 * The real LiteLLM proxy as a Docker container, so its log goes through Docker as in the
 * deployment (mcpwatch tails it by name). No registry pull is possible here, so the container is
 * the local busybox image with this machine's Python, the LiteLLM venv and the system libraries
 * bind-mounted read-only, on the host network (loopback).
 */
export interface LiteLLMContainer {
  name: string;
  url: string;
  version: string;
  masterKey: string;
  stop(): Promise<void>;
}

export async function startLiteLLMContainer(opts: {
  version: string;
  name?: string;
  env?: Record<string, string>;
  mcpServers?: Record<string, unknown>;
}): Promise<LiteLLMContainer> {
  const venv = litellmVenv(opts.version);
  const name = opts.name ?? uniqueName('litellm');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'litellm-ctr-'));
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, 'litellm.yaml'),
    stringify({
      general_settings: { master_key: MASTER_KEY },
      ...(opts.mcpServers && { mcp_servers: opts.mcpServers }),
    }),
  );
  const pyenv = process.env.PYENV_ROOT ?? join(process.env.HOME ?? '/root', '.pyenv');
  const env = {
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    LITELLM_ENABLE_MCP_STDIO: 'true',
    HOME: '/tmp',
    PYTHONDONTWRITEBYTECODE: '1',
    ...opts.env,
  };
  const mounts = [pyenv, CACHE, '/lib', '/lib64', '/usr', '/etc/ssl'].flatMap((p) => ['-v', `${p}:${p}:ro`]);
  await runContainer({
    name,
    network: 'host',
    env,
    extraArgs: [...mounts, '-v', `${dir}:/cfg:ro`],
    cmd: [join(venv, 'bin/litellm'), '--config', '/cfg/litellm.yaml', '--host', '127.0.0.1', '--port', String(port)],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForUrl(`${url}/health/readiness`, {
      timeoutMs: 120_000,
      what: `LiteLLM ${opts.version} in container ${name}`,
    });
  } catch (err) {
    const logs = await docker(['logs', '--tail', '40', name], { allowFail: true });
    await docker(['rm', '-f', name], { allowFail: true });
    throw new Error(`${(err as Error).message}\n${logs.stdout}${logs.stderr}`, { cause: err });
  }
  return {
    name,
    url,
    version: opts.version,
    masterKey: MASTER_KEY,
    stop: async () => void (await docker(['rm', '-f', name], { allowFail: true })),
  };
}
