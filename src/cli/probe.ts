import type { Config, Probe } from '../config/parse.js';
import { evidenceWindow, gatewayLog, subjectOf } from '../correlate/evidence.js';
import type { ProbeResult } from '../probes/table.js';
import { TokenSources } from '../probes/oauth/token-source.js';
import { runProbe } from '../scheduler/run.js';
import type { Redactor } from '../util/redact.js';
import { formatResult } from './format.js';
import { loadCommandConfig, redactedLogging } from './prologue.js';

/** `mcpwatch probe NAME`: one run, printed; 0 success, 1 probe failed, 2 usage or config error. */
export async function probeOnce(path: string, env: NodeJS.ProcessEnv, name: string, json: boolean): Promise<number> {
  const config = await loadCommandConfig(path, env);
  if (!config) return 2;
  const probe = config.probes.find((p) => p.name === name);
  if (!probe) {
    const names = config.probes.map((p) => p.name);
    process.stderr.write(
      `mcpwatch: no probe named "${name}" in ${path}${names.length ? ` (probes: ${names.join(', ')})` : ''}\n`,
    );
    return 2;
  }
  const { redactor, logger } = redactedLogging(config);
  const target = config.targets[probe.target]!;
  const oauth = new TokenSources().for(target);
  let result = await runProbe(probe, { target, logger, redactor, ...(oauth && { oauth }) }, { trigger: 'cli' }).result;
  if (!result.success && config.logs) result = await withGatewayLog(result, probe, config.logs, redactor);
  process.stdout.write(
    json
      ? `${JSON.stringify({ ...result, startedAt: new Date(result.startedAt).toISOString() })}\n`
      : formatResult(result, target.url),
  );
  return result.success ? 0 : 1;
}

/** Docker has a record as soon as the gateway writes it: only what it logs after the run is waited for. */
const WRITE_SLACK_MS = 200;

/**
 * A failed run with what the gateway logged about it: the run's window of each configured
 * container's log, read from Docker once (this one-shot command follows no log).
 */
async function withGatewayLog(
  result: ProbeResult,
  probe: Probe,
  logs: NonNullable<Config['logs']>,
  redactor: Redactor,
): Promise<ProbeResult> {
  // Docker's client is loaded only for a config that reads logs, and only once a run failed.
  const { readLogWindow } = await import('../logs/log-window.js');
  const span = evidenceWindow(result);
  const wait = span.to + WRITE_SLACK_MS - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const windows = await Promise.all(
    logs.containers.map(async (c) => {
      try {
        return { container: c.name, window: await readLogWindow(logs.docker, c, span.from, span.to) };
      } catch (err) {
        return { container: c.name, error: (err as Error).message };
      }
    }),
  );
  return { ...result, gatewayLog: gatewayLog(windows, subjectOf(probe, result), span, redactor) };
}
