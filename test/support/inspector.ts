import { execFileSync } from 'node:child_process';
import { ensureNodeFromNpm, ensureNpmPackage } from './npm-tools.js';

/**
 * The MCP Inspector CLI, a real MCP client none of us wrote. It needs Node >= 22.7.5, so it runs
 * on a Node 26 binary taken from the npm registry, both cached.
 */
export const INSPECTOR_VERSION = '0.22.0';

export function ensureInspector(): { node: string; cli: string } {
  return {
    node: ensureNodeFromNpm(),
    cli: ensureNpmPackage(
      `inspector-${INSPECTOR_VERSION}`,
      `@modelcontextprotocol/inspector@${INSPECTOR_VERSION}`,
      'cli/build/cli.js',
    ),
  };
}

/** Runs `inspector --cli URL --transport http ...args` and returns its stdout (throws with its output on failure). */
export function inspector(url: string, args: string[], headers: Record<string, string> = {}): string {
  const { node, cli } = ensureInspector();
  const h = Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
  try {
    return execFileSync(node, [cli, '--cli', url, '--transport', 'http', ...h, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`inspector ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
      cause: err,
    });
  }
}
