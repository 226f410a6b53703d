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

/**
 * The redactor of a config's secrets and a logger through it. Without options, a one-shot command's: warnings
 * and errors only, to stderr as plain lines (`warning: message (field: value)`, see plainLine), so its stdout
 * carries the command's output alone. With a level, the agent's: JSON lines to the destination given.
 */
export function redactedLogging(
  config: Config,
  opts?: { level: LevelWithSilent; destination?: DestinationStream },
): Logging {
  const redactor = new Redactor();
  redactor.addSecrets(secretsOf(config));
  const destination = opts ? opts.destination : plainLines(redactor);
  const logger = createLogger({
    level: opts?.level ?? 'warn',
    redactor,
    ...(destination && { destination }),
  });
  return { redactor, logger };
}

/** Where a command's log goes: each record (already masked by the logger) a plain line on stderr, masked again. */
function plainLines(redactor: Redactor): DestinationStream {
  return { write: (record: string) => void process.stderr.write(`${redactor.mask(plainLine(record))}\n`) };
}

/** Fields every record has, which a person reading a command's warning does not need. */
const RECORD_FIELDS = new Set(['level', 'time', 'name', 'pid', 'hostname', 'msg']);

/**
 * One JSON log record as a person reads it: `warning: tool catalog changed (probe: lan, added: ["a"])`, `error: …`
 * (an error's message, not its stack). A line that is not a record is kept as it is.
 */
export function plainLine(record: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(record) as Record<string, unknown>;
  } catch {
    return record.trimEnd();
  }
  if (r === null || typeof r !== 'object') return record.trimEnd();
  const level = r.level === 'warn' ? 'warning' : r.level === 'fatal' ? 'error' : String(r.level ?? 'log');
  const fields = Object.entries(r)
    .filter(([k, v]) => !RECORD_FIELDS.has(k) && v !== undefined)
    .map(([k, v]) => `${k}: ${fieldText(v)}`);
  const msg = typeof r.msg === 'string' && r.msg !== '' ? r.msg : '(no message)';
  return `${level}: ${msg}${fields.length ? ` (${fields.join(', ')})` : ''}`;
}

function fieldText(v: unknown): string {
  if (typeof v === 'string') return v;
  const message = (v as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return JSON.stringify(v);
}
