import { checkClientFile } from '../clients/checks.js';
import { readClientFile } from '../clients/read.js';
import { ClientFileError, type ClientFile, type Finding } from '../clients/types.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/parse.js';
import { formatProblem } from '../config/problems.js';
import { secretsOf } from '../config/secrets.js';
import { createLogger } from '../util/logger.js';
import { Redactor } from '../util/redact.js';
import { tryEntries, type LiveResult } from './client-live.js';

/** `FILE:LINE: error|warning: SERVER: [code] message — fix: …` */
export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}: ${f.severity}: ${f.server}: [${f.code}] ${f.message} — fix: ${f.fix}`;
}

/** What the client checks found: every file's findings, each entry's live try, the files that could not be read. */
export interface ClientChecks {
  findings: Finding[];
  live: LiveResult[];
  unreadable: string[];
}

/**
 * Each file's entries checked against the config's gateways, and with `live` sent as their client
 * sends them (the live reasons masked). For check-clients and the report.
 */
export async function clientChecks(
  config: Config,
  env: NodeJS.ProcessEnv,
  paths: readonly string[],
  live: boolean,
): Promise<ClientChecks> {
  const findings: Finding[] = [];
  const unreadable: string[] = [];
  const files: ClientFile[] = [];
  for (const path of paths) {
    try {
      const file = await readClientFile(path);
      files.push(file);
      findings.push(...checkClientFile(file, config.targets, env));
    } catch (err) {
      if (!(err instanceof ClientFileError)) throw err;
      unreadable.push(err.message);
    }
  }
  if (!live) return { findings, live: [], unreadable };
  const redactor = new Redactor();
  redactor.addSecrets(secretsOf(config));
  const tried = await tryEntries(
    files,
    config,
    redactor,
    createLogger({ level: 'warn', redactor, destination: process.stderr }),
  );
  findings.push(...tried.findings);
  findings.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
  return { findings, live: tried.live.map((l) => ({ ...l, reason: redactor.mask(l.reason) })), unreadable };
}

/** A live try that failed (an entry not tried for a value unknown here is not a failure). */
export const liveFailed = (l: LiveResult): boolean => l.outcome !== 'ok' && l.outcome !== 'not_tried';

/**
 * `mcpwatch check-clients PATH...`: each file's MCP entries against the gateways of the config;
 * with `--live` each entry is also sent as its client sends it. 0 without an error-level finding
 * (and no live check failed), 1 with one, 2 for a usage or config error or a file that
 * cannot be read or parsed (the other files are still checked and reported).
 */
export async function checkClients(
  configPath: string,
  env: NodeJS.ProcessEnv,
  paths: readonly string[],
  opts: { json: boolean; live: boolean },
): Promise<number> {
  const r = await loadConfig(configPath, env);
  if (!r.ok) {
    for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${configPath}: invalid config: the gateways to check against are unknown\n`);
    return 2;
  }
  const { findings, live, unreadable } = await clientChecks(r.config, env, paths, opts.live);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ findings, live, ...(unreadable.length && { errors: unreadable }) }, null, 2)}\n`,
    );
  } else {
    for (const f of findings) process.stdout.write(`${formatFinding(f)}\n`);
    for (const l of live) process.stdout.write(`${l.file}: ${l.server}: live: ${l.outcome} — ${l.reason}\n`);
    const errors = findings.filter((f) => f.severity === 'error').length;
    process.stdout.write(
      `${paths.length - unreadable.length} file${paths.length - unreadable.length === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${findings.length - errors} warning${findings.length - errors === 1 ? '' : 's'}\n`,
    );
  }
  for (const u of unreadable) process.stderr.write(`mcpwatch: ${u}\n`);
  if (unreadable.length) return 2;
  return findings.some((f) => f.severity === 'error') || live.some(liveFailed) ? 1 : 0;
}
