import { checkClientFile } from '../clients/checks.js';
import { entryKeys, formatEntryKey, type EntryKey } from '../clients/key-match.js';
import { readClientFile } from '../clients/read.js';
import { ClientFileError, type ClientFile, type Finding } from '../clients/types.js';
import type { Config } from '../config/parse.js';
import type { Target } from '../config/target.js';
import { viewLine, type EntryView } from '../clients/key-match.js';
import type { KeyView, LiveResult } from './client-live.js';
import { loadCommandConfig, redactedLogging } from './prologue.js';

/** `FILE:LINE: error|warning: SERVER: [code] message — fix: …` */
export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}: ${f.severity}: ${f.server}: [${f.code}] ${f.message} — fix: ${f.fix}`;
}

/**
 * What the client checks found: every file's findings, which configured key each entry sends (by name), each entry's
 * live try, the files that could not be read.
 */
export interface ClientChecks {
  findings: Finding[];
  keys: EntryKey[];
  live: LiveResult[];
  /** What each entry's key saw through its live try (the tries that listed tools). */
  views: EntryView[];
  unreadable: string[];
}

/** The target's own key's view, when the caller has read it already (the report); else read once when needed. */
export type MainViews = (target: Target) => Promise<KeyView | undefined>;

/**
 * Each file's entries checked against the config's gateways, and with `live` sent as their client
 * sends them (the live reasons masked). For check-clients and the report.
 */
export async function clientChecks(
  config: Config,
  env: NodeJS.ProcessEnv,
  paths: readonly string[],
  live: boolean,
  mainViews?: MainViews,
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
  const keys = entryKeys(files, config.targets, env);
  if (!live) return { findings, keys, live: [], views: [], unreadable };
  // The probes' code (the MCP SDK, undici) is loaded only to send the entries.
  const { tryEntries, readKeyView } = await import('./client-live.js');
  const { TokenSources } = await import('../probes/oauth/token-source.js');
  const { redactor, logger } = redactedLogging(config);
  const read = new Map<string, Promise<KeyView | undefined>>();
  // The target's own view is read as its probes read it: through an SSO gate with the target's token (oauth2).
  const tokens = new TokenSources();
  const views =
    mainViews ??
    ((t: Target): Promise<KeyView | undefined> => {
      if (!read.has(t.name)) read.set(t.name, readKeyView(t, undefined, { redactor, logger, tokens }));
      return read.get(t.name)!;
    });
  const tried = await tryEntries(files, config, redactor, logger, keys, views);
  findings.push(...tried.findings);
  findings.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
  const masked = tried.live.map((l) => ({ ...l, reason: redactor.mask(l.reason) }));
  return { findings, keys, live: masked, views: tried.views, unreadable };
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
  const config = await loadCommandConfig(
    configPath,
    env,
    `${configPath}: invalid config: the gateways to check against are unknown`,
  );
  if (!config) return 2;
  const { findings, keys, live, views, unreadable } = await clientChecks(config, env, paths, opts.live);
  if (opts.json) {
    const doc = { findings, keys, live, ...(opts.live && { views }), ...(unreadable.length && { errors: unreadable }) };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    for (const f of findings) process.stdout.write(`${formatFinding(f)}\n`);
    for (const k of keys) process.stdout.write(`${formatEntryKey(k)}\n`);
    for (const l of live) {
      process.stdout.write(`${l.file}: ${l.server}: live: ${l.outcome} — ${l.reason}\n`);
      const view = views.find((v) => v.file === l.file && v.server === l.server);
      if (view) process.stdout.write(`${l.file}: ${l.server}: ${viewLine(view)}\n`);
    }
    const errors = findings.filter((f) => f.severity === 'error').length;
    const files = paths.length - unreadable.length;
    process.stdout.write(
      `${count(files, 'file')} checked: ${count(errors, 'error')}, ${count(findings.length - errors, 'warning')}\n`,
    );
  }
  for (const u of unreadable) process.stderr.write(`mcpwatch: ${u}\n`);
  if (unreadable.length) return 2;
  return findings.some((f) => f.severity === 'error') || live.some(liveFailed) ? 1 : 0;
}

/** `1 file`, `2 files`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
