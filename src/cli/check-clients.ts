import { checkClientFile } from '../clients/checks.js';
import { readClientFile } from '../clients/read.js';
import { ClientFileError, type Finding } from '../clients/types.js';
import { loadConfig } from '../config/load.js';
import { formatProblem } from '../config/problems.js';

/** `FILE:LINE: error|warning: SERVER: [code] message — fix: …` */
export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}: ${f.severity}: ${f.server}: [${f.code}] ${f.message} — fix: ${f.fix}`;
}

/**
 * `mcpwatch check-clients PATH...`: each file's MCP entries against the gateways of the config.
 * 0 without an error-level finding, 1 with one, 2 for a usage or config error or a file that
 * cannot be read or parsed (the other files are still checked and reported).
 */
export async function checkClients(configPath: string, env: NodeJS.ProcessEnv, paths: readonly string[], json: boolean): Promise<number> {
  const r = await loadConfig(configPath, env);
  if (!r.ok) {
    for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${configPath}: invalid config: the gateways to check against are unknown\n`);
    return 2;
  }
  const findings: Finding[] = [];
  const unreadable: string[] = [];
  for (const path of paths) {
    try {
      findings.push(...checkClientFile(await readClientFile(path), r.config.targets, env));
    } catch (err) {
      if (!(err instanceof ClientFileError)) throw err;
      unreadable.push(err.message);
    }
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ findings, live: [], ...(unreadable.length && { errors: unreadable }) }, null, 2)}\n`);
  } else {
    for (const f of findings) process.stdout.write(`${formatFinding(f)}\n`);
    const errors = findings.filter((f) => f.severity === 'error').length;
    process.stdout.write(`${paths.length - unreadable.length} file${paths.length - unreadable.length === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${findings.length - errors} warning${findings.length - errors === 1 ? '' : 's'}\n`);
  }
  for (const u of unreadable) process.stderr.write(`mcpwatch: ${u}\n`);
  if (unreadable.length) return 2;
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
