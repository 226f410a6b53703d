import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, killAndWait, runScript, spawnProc, waitForUrl, type Proc } from './proc.js';

/**
 * A real MCP server made with the official Python SDK (PyPI `mcp` 2.x, venv made by scripts/ensure-python-mcp.sh,
 * cached in ${MCPWATCH_CACHE:-~/.cache/mcpwatch}): test/support/python-mcp-server.py, an `echo` tool on
 * streamable HTTP at /mcp, on a free loopback port. Never skips: when it cannot be installed or started it throws
 * an Error with the reason and the server's last output.
 */

/** The server's name, as its discover result and initialize answer give it. */
export const PYTHON_MCP_SERVER_NAME = 'mcpwatch-python-test';

export interface PythonMcpServer {
  /** The origin (a target's url); the MCP endpoint is at /mcp. */
  url: string;
  /** The `mcp` version of the venv (the server reports it as its own version). */
  mcpVersion: string;
  stateless: boolean;
  proc: Proc;
  stop(): Promise<void>;
}

/** The venv's python, building the venv first when needed (instant when present). */
export function ensurePythonMcp(spec?: string): string {
  const python = runScript('ensure-python-mcp.sh', spec ? [spec] : [], 900_000);
  if (!python.endsWith('/bin/python'))
    throw new Error(`scripts/ensure-python-mcp.sh printed no python path (got '${python}')`);
  return python;
}

/**
 * Starts the server (`stateless`: 2025 requests without sessions) and resolves once it answers HTTP on /mcp;
 * throws with its output when it exits first or does not answer within `readyTimeoutMs` (default 60 s).
 */
export async function startPythonMcpServer(
  opts: { stateless?: boolean; readyTimeoutMs?: number } = {},
): Promise<PythonMcpServer> {
  const python = ensurePythonMcp();
  const mcpVersion = execFileSync(python, ['-c', 'import importlib.metadata as m; print(m.version("mcp"))'], {
    encoding: 'utf8',
  }).trim();
  const stateless = opts.stateless === true;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const script = join(import.meta.dirname, 'python-mcp-server.py');
  const proc = spawnProc(python, [script, String(port), ...(stateless ? ['--stateless'] : [])], {
    name: `Python MCP server (mcp ${mcpVersion}${stateless ? ', stateless' : ''})`,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
    },
  });
  const stop = async (): Promise<void> => {
    await killAndWait(proc, { graceMs: 5_000 });
  };
  try {
    // Any HTTP answer on /mcp (an empty POST: 400 "Invalid Content-Type header"; a GET would open an SSE stream):
    // uvicorn listens once the app and its session manager have started.
    await waitForUrl(`${url}/mcp`, {
      init: { method: 'POST' },
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
      accept: (status) => status < 500,
      proc,
      what: proc.name,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, mcpVersion, stateless, proc, stop };
}
