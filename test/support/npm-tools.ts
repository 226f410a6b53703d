import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where slow downloads are kept between runs (outside the repo), as the LiteLLM venvs are. */
export const CACHE = process.env.MCPWATCH_CACHE ?? join(homedir(), '.cache/mcpwatch');

/**
 * A Node binary from the npm registry (scripts/ensure-node.sh: the Node the Docker image runs, 26,
 * cached): the tools below need Node >= 22, and this machine has 20. Returns the path of `node`.
 */
export function ensureNodeFromNpm(): string {
  const node = execFileSync('bash', [join(import.meta.dirname, '../../scripts/ensure-node.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  if (!existsSync(node)) throw new Error(`cannot set up a Node from npm (ensure-node.sh printed ${node})`);
  return node;
}

/**
 * An npm package installed once into its own cached folder (`<cache>/<folder>`); returns the path of
 * `file` inside its package. Throws (never skips) when it cannot be installed.
 */
export function ensureNpmPackage(folder: string, spec: string, file: string): string {
  const dir = join(CACHE, folder);
  const name = spec.replace(/(.)@[^@/]*$/, '$1');
  const path = join(dir, 'node_modules', name, file);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, spec], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  if (!existsSync(path)) throw new Error(`cannot set up ${spec} (expected ${path})`);
  return path;
}
