import { loadConfig } from '../config/load.js';
import { formatProblem } from '../config/problems.js';

/** `mcpwatch check-config`: every problem as `path: message`; 0 valid, 1 invalid. */
export async function checkConfig(path: string, env: NodeJS.ProcessEnv): Promise<number> {
  const r = await loadConfig(path, env);
  if (!r.ok) {
    for (const p of r.problems) process.stdout.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${path}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  for (const w of r.warnings) process.stdout.write(`warning: ${formatProblem(w)}\n`);
  const c = r.config;
  const counts = `${Object.keys(c.targets).length} targets, ${c.probes.length} probes`;
  process.stdout.write(`${path}: OK (${counts}, ${c.logs?.containers.length ?? 0} containers)\n`);
  return 0;
}
