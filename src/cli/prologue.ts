import type { DestinationStream, LevelWithSilent } from 'pino';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/parse.js';
import { formatProblem } from '../config/problems.js';
import { secretsOf } from '../config/secrets.js';
import { createLogger, type Logger } from '../util/logger.js';
import { Redactor } from '../util/redact.js';

/**
 * The config a command runs on, or undefined once its problems are written to stderr as `path: message`, each on
 * a line (then `after`, the command's own line, when given): the command exits 2 without doing anything.
 */
export async function loadCommandConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  after?: string,
): Promise<Config | undefined> {
  const r = await loadConfig(path, env);
  if (r.ok) return r.config;
  for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
  if (after !== undefined) process.stderr.write(`${after}\n`);
  return undefined;
}

export interface Logging {
  /** Knows the config's secrets: whatever passes through it is masked. */
  redactor: Redactor;
  logger: Logger;
}

/** A one-shot command logs only warnings, to stderr: its stdout carries the command's output alone. */
const COMMAND_LOGS = { level: 'warn', destination: process.stderr } as const;

/** The redactor of a config's secrets and a logger through it: the command's by default, the agent's by its level. */
export function redactedLogging(
  config: Config,
  opts: { level: LevelWithSilent; destination?: DestinationStream } = COMMAND_LOGS,
): Logging {
  const redactor = new Redactor();
  redactor.addSecrets(secretsOf(config));
  const logger = createLogger({
    level: opts.level,
    redactor,
    ...(opts.destination && { destination: opts.destination }),
  });
  return { redactor, logger };
}
