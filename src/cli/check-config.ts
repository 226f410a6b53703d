import { loadConfig } from '../config/load.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import { webSettingsFor, webSettingsOf } from '../config/web-load.js';

/**
 * `mcpwatch check-config`: every problem as `path: message`; 0 valid, 1 invalid. The web config it names
 * (`--web.config.file` as `webConfigFile`, else MCPWATCH_WEB_CONFIG_FILE, else `web.configFile`) is read and checked
 * as `run` does at start, and with it whether /mcp would be open to the network. With an invalid config, the web
 * config the flag or the environment names is checked too, so one run shows every problem.
 */
export async function checkConfig(path: string, env: NodeJS.ProcessEnv, webConfigFile?: string): Promise<number> {
  const r = await loadConfig(path, env);
  const w = r.ok
    ? await webSettingsOf(r.config, webConfigFile, env)
    : await webSettingsFor(webConfigFile, env, undefined);
  const problems: ConfigProblem[] = [...(r.ok ? [] : r.problems), ...(w.ok ? [] : w.problems)];
  if (!r.ok || !w.ok) {
    for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  for (const p of [...r.warnings, ...w.warnings]) process.stdout.write(`warning: ${formatProblem(p)}\n`);
  const c = r.config;
  const counts = `${Object.keys(c.targets).length} targets, ${c.probes.length} probes`;
  const web = w.settings ? `, web config ${w.settings.file}` : '';
  process.stdout.write(`${path}: OK (${counts}, ${c.logs?.containers.length ?? 0} containers${web})\n`);
  return 0;
}
