import { link, mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config, Probe } from '../config/parse.js';
import type { Target } from '../config/target.js';
import { EVIDENCE_AFTER_MS, evidenceWindow, gatewayLog, subjectOf } from '../correlate/evidence.js';
import { GuardCorrelator } from '../correlate/guard.js';
import { WindowMatches } from '../correlate/window-matches.js';
import { gatewayView } from '../gateway-state/gateway-view.js';
import { gatewaySnapshot } from '../gateway-state/snapshot.js';
import { readLog } from '../logs/log-window.js';
import { probeTypeOf, type ProbeResult } from '../probes/table.js';
import { TokenSources } from '../probes/oauth/token-source.js';
import { runProbe } from '../scheduler/run.js';
import { RunLimits } from '../scheduler/run-limits.js';
import type { Logger } from '../util/logger.js';
import type { Redactor } from '../util/redact.js';
import { VERSION } from '../version.js';
import { whyUnreadable } from '../clients/read.js';
import { clientChecks, type ClientChecks } from './check-clients.js';
import { keyViewOf, readKeyView, type KeyView, type ViewDeps } from './client-live.js';
import { gatewayChecks, type GatewayChecks } from './check-gateway.js';
import { loadCommandConfig, redactedLogging } from './prologue.js';
import { causesOf } from './report-causes.js';
import {
  causeLines,
  failuresOf,
  gatewayCauses,
  headline,
  renderMarkdown,
  type Report,
  type ReportProbe,
} from './report-render.js';

export interface ReportOptions {
  clients: readonly string[];
  /** `--gateway-config FILE [--env-file FILE]...`: LiteLLM's config.yaml, checked as check-gateway --live. */
  gatewayConfig?: { file: string; envFiles: readonly string[] };
  out: string;
  json: boolean;
  /** How far back the gateway logs are read, ms before the report started. */
  sinceMs: number;
}

/** `--out` unless given. */
export const DEFAULT_REPORT_DIR = './reports';
/** How far back the logs are read unless `--since` says. */
export const DEFAULT_REPORT_SINCE_MS = 3_600_000;

/**
 * `mcpwatch report`: every probe of the config run once (as the agent would, auth_guard's
 * requests announced so the errors they provoke are told apart; the guards after the others),
 * the client files checked and each entry tried as its client sends it, and each configured
 * container's log of the window
 * read once from Docker: its matches counted by kind and origin, the newest listed masked, and
 * a failed probe's evidence taken from it. Written as `mcpwatch-report-<UTC time>.md` and
 * `.json` in `out`. 0 all green, 1 something failed, 2 usage or config error (nothing written).
 */
export async function writeReport(configPath: string, env: NodeJS.ProcessEnv, opts: ReportOptions): Promise<number> {
  const config = await loadCommandConfig(configPath, env);
  if (!config) return 2;
  const unusable = await unusableOptions(opts);
  if (unusable) {
    process.stderr.write(`mcpwatch: ${unusable}\n`);
    return 2;
  }
  const { redactor, logger } = redactedLogging(config);
  const started = Date.now();

  // Three phases apart by a failed run's evidence margin, so that what one provokes in the
  // gateway's log (the guard's auth errors, a broken client's) is not another's evidence.
  const guards = new GuardCorrelator();
  const tokens = new TokenSources();
  const results = await runProbes(config, { redactor, logger, guards, tokens });
  const keyViews = await readKeyViews(config, results, { redactor, logger, tokens });
  if (results.length && opts.clients.length) await sleep(EVIDENCE_AFTER_MS);
  const clients = await clientChecks(
    config,
    env,
    opts.clients,
    true,
    mainViewsOf(keyViews, { redactor, logger, tokens }),
  );
  const gateway = opts.gatewayConfig
    ? await gatewayChecks(opts.gatewayConfig.file, opts.gatewayConfig.envFiles, env, config)
    : undefined;
  const logs = config.logs ? await readLogs(config, results, guards, redactor, started - opts.sinceMs, started) : null;
  const gatewayState = gatewayView(await gatewaySnapshot(config));
  const report = assemble(
    config,
    {
      configPath,
      clientFiles: opts.clients,
      started,
      results,
      clients,
      keyViews,
      logs,
      ...(gateway && { gateway }),
      gatewayState,
    },
    redactor,
  );

  let written: { md: string; json: string };
  try {
    written = await writeFiles(opts.out, report);
  } catch (err) {
    process.stderr.write(`mcpwatch: --out ${opts.out}: cannot write the report (${(err as Error).message})\n`);
    return 2;
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(`report: ${written.md}\n        ${written.json}\n`);
    process.stdout.write(`result: ${headline(report)}\n`);
    for (const line of causeLines(report.causes)) process.stdout.write(`${line}\n`);
  }
  return report.status === 'green' ? 0 : 1;
}

/**
 * Why the options cannot be used, found before anything runs: a client file that cannot be read at all, an
 * output directory that cannot be made. A file that reads but is no client config mcpwatch knows is reported
 * (and fails the report).
 */
async function unusableOptions(opts: ReportOptions): Promise<string | undefined> {
  for (const path of opts.clients) {
    const why = await stat(path).then(
      (s) => (s.isFile() ? undefined : 'not a file'),
      (err: NodeJS.ErrnoException) => whyUnreadable(err),
    );
    if (why) return `--clients ${path}: ${why}`;
  }
  const gw = opts.gatewayConfig;
  for (const [flag, path] of gw ? [['--gateway-config', gw.file], ...gw.envFiles.map((f) => ['--env-file', f])] : []) {
    const why = await stat(path!).then(
      (s) => (s.isFile() ? undefined : 'not a file'),
      (err: NodeJS.ErrnoException) => whyUnreadable(err),
    );
    if (why) return `${flag} ${path}: ${why}`;
  }
  const dirProblem = await mkdir(opts.out, { recursive: true }).then(
    () => undefined,
    (err: Error) => err.message,
  );
  return dirProblem ? `--out ${opts.out}: cannot make the directory (${dirProblem})` : undefined;
}

/** A probe of the config and its one run. */
type Ran = { probe: Probe; result: ProbeResult };

/** What the probes' runs share: one token per target, and the guards' announced requests. */
interface RunContext {
  redactor: Redactor;
  logger: Logger;
  guards: GuardCorrelator;
  tokens: TokenSources;
}

/** Every probe once, the guards after the others (a failed run's evidence margin apart); in the config's order. */
async function runProbes(config: Config, ctx: RunContext): Promise<Ran[]> {
  // Probes whose requests provoke auth errors (the guards) run last: those errors are not another's evidence.
  const isGuard = (p: Probe): boolean => probeTypeOf(p.type)?.provokesAuthErrors === true;
  const results = await runAll(
    config.probes.filter((p) => !isGuard(p)),
    config,
    ctx,
  );
  if (results.length && config.probes.some(isGuard)) await sleep(EVIDENCE_AFTER_MS);
  results.push(...(await runAll(config.probes.filter(isGuard), config, ctx)));
  results.sort((a, b) => config.probes.indexOf(a.probe) - config.probes.indexOf(b.probe));
  return results;
}

/**
 * Each key's view of each target that has named keys (issue 27): its own key's and each named key's servers and tool
 * counts, from one unfiltered tools/list as that key. A probe of the config that is such a list (mcp_catalog, no
 * servers, as that key) is reused; else the view is read now. Targets without `keys` have no views.
 */
async function readKeyViews(config: Config, results: readonly Ran[], deps: ViewDeps): Promise<KeyView[]> {
  const views: KeyView[] = [];
  for (const target of Object.values(config.targets)) {
    if (!target.keys || Object.keys(target.keys).length === 0) continue;
    for (const key of [undefined, ...Object.keys(target.keys)]) {
      const ran = results.find(
        ({ probe }) =>
          probe.type === 'mcp_catalog' &&
          probe.target === target.name &&
          probe.key === key &&
          probe.servers.length === 0,
      );
      views.push(ran ? keyViewOf(target.name, key, ran.result, ran.probe.name) : await readKeyView(target, key, deps));
    }
  }
  return views.map((v) => ({ ...v, reason: deps.redactor.mask(v.reason) }));
}

/** The report's own-key views for the client tries (read once more only for a target the views left out). */
function mainViewsOf(views: readonly KeyView[], deps: ViewDeps): (t: Target) => Promise<KeyView | undefined> {
  const read = new Map<string, Promise<KeyView>>();
  return (t) => {
    const known = views.find((v) => v.target === t.name && v.key === undefined);
    if (known) return Promise.resolve(known);
    if (!read.has(t.name)) read.set(t.name, readKeyView(t, undefined, deps));
    return read.get(t.name)!;
  };
}

/** What the report is made of, besides the config. */
interface Gathered {
  configPath: string;
  clientFiles: readonly string[];
  /** When the report started, ms since the epoch. */
  started: number;
  results: Ran[];
  clients: ClientChecks;
  keyViews: KeyView[];
  logs: Report['logs'];
  gateway?: GatewayChecks;
  gatewayState?: Report['gatewayState'];
}

/** The report, its status and failures derived from what it holds, every value masked. */
function assemble(config: Config, g: Gathered, redactor: Redactor): Report {
  const probes: ReportProbe[] = g.results.map(({ probe, result }) => ({
    ...result,
    startedAt: new Date(result.startedAt).toISOString(),
    url: config.targets[probe.target]!.url,
  }));
  const partial = {
    schema: 1 as const,
    startedAt: new Date(g.started).toISOString(),
    generatedAt: new Date().toISOString(),
    mcpwatch: { version: VERSION, node: process.version },
    host: hostname(),
    config: g.configPath,
    targets: Object.entries(config.targets).map(([name, t]) => ({ name, url: t.url, sso: t.oauth2 !== undefined })),
    probes,
    clients: {
      files: [...g.clientFiles],
      findings: g.clients.findings,
      keys: g.clients.keys,
      live: g.clients.live,
      views: g.clients.views,
      errors: g.clients.unreadable,
    },
    ...(g.keyViews.length && { keyViews: g.keyViews }),
    logs: g.logs,
    ...(g.gateway && { gatewayConfig: g.gateway }),
    ...(g.gatewayState && { gatewayState: g.gatewayState }),
  };
  const failures = failuresOf(partial);
  const causes = [...causesOf(partial, aboutOf(g.results)), ...gatewayCauses(g.gateway)];
  return redactor.maskDeep({ ...partial, status: failures.length ? 'failed' : 'green', failures, causes });
}

/**
 * What each failed run is about, as its type says (a catalog's servers down, a call's tool's server): the servers
 * whose outage may explain it. A guard's run is about the gateway's auth, no server's.
 */
function aboutOf(results: readonly Ran[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { probe, result } of results) {
    if (result.success) continue;
    const subject = probeTypeOf(probe.type)?.subject?.(probe as never, result as never);
    if (subject && !subject.guard) out[probe.name] = subject.servers;
  }
  return out;
}

/** Docker has a record as soon as the gateway writes it: a moment is enough. */
const WRITE_SLACK_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Each probe once, at most maxConcurrentProbes at a time (and a target's own), one token per target; results in the
 * given order.
 */
async function runAll(
  probes: readonly Probe[],
  config: Config,
  { redactor, logger, guards, tokens }: RunContext,
): Promise<Ran[]> {
  const limits = new RunLimits(config);
  return Promise.all(
    probes.map(async (probe) => {
      const release = await limits.acquire(probe.target);
      try {
        const target = config.targets[probe.target]!;
        const oauth = tokens.for(target);
        const result = await runProbe(
          probe,
          { target, logger, redactor, guard: guards, ...(oauth && { oauth }) },
          { trigger: 'cli' },
        ).result;
        return { probe, result };
      } finally {
        release();
      }
    }),
  );
}

/**
 * Each container's log from `from` to now (once what the gateway logs about the last run has had
 * time to come), read once: its matches, and the records of failed runs' windows as their
 * evidence (added to those results).
 */
async function readLogs(
  config: Config,
  results: Ran[],
  guards: GuardCorrelator,
  redactor: Redactor,
  from: number,
  started: number,
): Promise<NonNullable<Report['logs']>> {
  const lastEnd = Math.max(0, ...results.map(({ result }) => result.startedAt + result.durationMs));
  // The last run's evidence margin, and a moment for what the last client try provoked to be logged.
  const wait = Math.max(lastEnd + EVIDENCE_AFTER_MS - Date.now(), WRITE_SLACK_MS);
  await sleep(wait);
  const to = Date.now();
  const failed = results.filter(({ result }) => !result.success).map((x) => ({ ...x, span: evidenceWindow(x.result) }));
  const inFailedWindow = (at: number): boolean => failed.some(({ span }) => at >= span.from && at <= span.to);
  const logs = config.logs!;
  const containers: NonNullable<Report['logs']>['containers'] = [];
  const kept: Array<{ container: string; records: WindowMatches['kept'] } | { container: string; error: string }> = [];
  // One after the other, in the config's order: the correlator sees each container's log in log order.
  for (const c of logs.containers) {
    const w = new WindowMatches(c.name, { from, to }, guards, redactor, inFailedWindow, started);
    try {
      await readLog(logs.docker, c, from, to, w);
      containers.push({ name: c.name, ...w.summary() });
      kept.push({ container: c.name, records: w.kept });
    } catch (err) {
      const error = redactor.mask((err as Error).message);
      containers.push({ name: c.name, error });
      kept.push({ container: c.name, error });
    }
  }
  for (const { probe, result, span } of failed) {
    const windows = kept.map((k) =>
      'error' in k
        ? k
        : {
            container: k.container,
            window: { records: k.records.filter((rec) => rec.at >= span.from && rec.at <= span.to), overrun: false },
          },
    );
    result.gatewayLog = gatewayLog(windows, subjectOf(probe, result), span, redactor);
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), containers };
}

/** `mcpwatch-report-20261202T184005Z`: sortable, no colons (fine on every file system). */
export function reportStem(at: Date): string {
  return `mcpwatch-report-${at.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/**
 * Both files, each written whole (a temporary file renamed) under a stem no earlier report holds
 * (`-2`, `-3`, … when two are made in one second): nothing is overwritten.
 */
async function writeFiles(dir: string, report: Report): Promise<{ md: string; json: string }> {
  const base = reportStem(new Date(report.generatedAt));
  for (let n = 1; ; n++) {
    const stem = join(dir, n === 1 ? base : `${base}-${n}`);
    const md = `${stem}.md`;
    const json = `${stem}.json`;
    // The .md claims the stem: created exclusively, so a concurrent report takes the next one.
    let claim;
    try {
      claim = await open(md, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    await claim.close();
    try {
      await writeWhole(json, `${JSON.stringify(report, null, 2)}\n`, true);
      await writeWhole(md, renderMarkdown(report), false);
    } catch (err) {
      await unlink(md).catch(() => undefined);
      throw err;
    }
    return { md, json };
  }
}

/** A file written whole: a temporary file moved into place (linked, when nothing there may be overwritten). */
async function writeWhole(path: string, text: string, exclusive: boolean): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { flag: 'wx' });
  if (!exclusive) return rename(tmp, path);
  try {
    await link(tmp, path);
  } finally {
    await unlink(tmp);
  }
}
