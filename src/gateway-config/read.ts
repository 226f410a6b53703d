import { readFile } from 'node:fs/promises';
import { parseEnvFile, type EnvVar } from './env-file.js';
import { parseGatewayConfig } from './parse.js';
import { GatewayConfigError, type GatewayConfig } from './types.js';

/** Reads and parses LiteLLM's config.yaml; a file that cannot be read or parsed is a GatewayConfigError. */
export async function readGatewayConfig(file: string): Promise<GatewayConfig> {
  return parseGatewayConfig(file, await readText(file));
}

/** Reads each env file (Compose `env_file` syntax); one that cannot be read is a GatewayConfigError. */
export async function readEnvFiles(files: readonly string[]): Promise<Array<Map<string, EnvVar>>> {
  const out: Array<Map<string, EnvVar>> = [];
  for (const f of files) out.push(parseEnvFile(f, await readText(f)));
  return out;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EACCES'
          ? 'permission denied'
          : e.code === 'EISDIR'
            ? 'is a directory'
            : e.message;
    throw new GatewayConfigError(`${file}: cannot read it (${why})`);
  }
}
