import { loadConfig } from '../config/load.js';
import { formatProblem } from '../config/problems.js';
import { secretsOf } from '../config/secrets.js';
import { runProbe } from '../scheduler/run.js';
import { createLogger } from '../util/logger.js';
import { Redactor } from '../util/redact.js';
import { formatResult } from './format.js';

/** `mcpwatch probe NAME`: one run, printed; 0 success, 1 probe failed, 2 usage or config error. */
export async function probeOnce(path: string, env: NodeJS.ProcessEnv, name: string, json: boolean): Promise<number> {
  const r = await loadConfig(path, env);
  if (!r.ok) {
    for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 2;
  }
  const probe = r.config.probes.find((p) => p.name === name);
  if (!probe) {
    const names = r.config.probes.map((p) => p.name);
    process.stderr.write(`mcpwatch: no probe named "${name}" in ${path}${names.length ? ` (probes: ${names.join(', ')})` : ''}\n`);
    return 2;
  }
  const redactor = new Redactor();
  redactor.addSecrets(secretsOf(r.config));
  // Logs go to stderr so stdout carries only the result.
  const logger = createLogger({ level: 'warn', redactor, destination: process.stderr });
  const target = r.config.targets[probe.target]!;
  const result = await runProbe(probe, { target, logger, redactor }, { trigger: 'cli' }).result;
  process.stdout.write(json ? `${JSON.stringify({ ...result, startedAt: new Date(result.startedAt).toISOString() })}\n` : formatResult(result, target.url));
  return result.success ? 0 : 1;
}
