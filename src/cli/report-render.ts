import { formatEntryKey, type EntryKey } from '../clients/key-match.js';
import type { Finding } from '../clients/types.js';
import { formatDuration } from '../config/duration.js';
import type { WindowSummary } from '../correlate/window-matches.js';
import type { GatewayView } from '../gateway-state/gateway-view.js';
import type { ProbeResult } from '../probes/table.js';
import { viewLine, type EntryView } from '../clients/key-match.js';
import { serversSeen, type KeyView, type LiveResult } from './client-live.js';
import { formatFinding, liveFailed } from './check-clients.js';
import { formatGatewayFinding, formatGatewayLive, gatewayLiveFailed, type GatewayChecks } from './check-gateway.js';
import { formatResult } from './format.js';
import {
  causesSummary,
  liveLine,
  logLine,
  probeLine,
  type CauseInput,
  type CauseResult,
  type ReportCause,
  type ReportProbe,
} from './report-causes.js';

export type { ReportCause, ReportProbe } from './report-causes.js';

/** The report's JSON (`mcpwatch-report-<time>.json`); the Markdown file says the same for people. */
export interface Report {
  /** Bumped when a field changes meaning or goes away. */
  schema: 1;
  startedAt: string;
  generatedAt: string;
  mcpwatch: { version: string; node: string };
  host: string;
  config: string;
  /** `green` when every probe succeeded, no client entry has an error and every log could be read. */
  status: 'green' | 'failed';
  /** What failed, one line each (empty when green). */
  failures: string[];
  /** What failed, by cause, each with the results it explains (empty when green): report-causes.ts. */
  causes: ReportCause[];
  targets: Array<{ name: string; url: string; sso: boolean }>;
  probes: Array<ReportProbe>;
  clients: {
    files: string[];
    findings: Finding[];
    /** Which configured key each entry sends, by name (absent in reports made before issue 27). */
    keys?: EntryKey[];
    live: LiveResult[];
    /** What each entry's key saw through its live try (absent in reports made before issue 27). */
    views?: EntryView[];
    /** Files that are not a client config mcpwatch can read. */
    errors: string[];
  };
  /**
   * Each key's view of each target with named keys (`targets.NAME.keys`): the target's own key and each named key, the
   * servers and tool counts one unfiltered tools/list as that key shows. Absent when no target has named keys. Facts:
   * they do not fail the report (probes with `key` and their expectations do).
   */
  keyViews?: KeyView[];
  logs: {
    from: string;
    to: string;
    containers: ReportContainer[];
  } | null;
  /** `--gateway-config`: LiteLLM's config.yaml checked (and compared with the gateway) as check-gateway --live does. */
  gatewayConfig?: GatewayChecks;
  /**
   * The gateway itself at the time of the report: each followed container as Docker says it is (restarts are
   * Docker's RestartCount), its watched files changed since it started, each target's version. Facts: they do
   * not fail the report (the probes and the alerts do).
   */
  gatewayState?: GatewayView;
}

/** One container's log window in the report, or why it could not be read. */
export type ReportContainer = { name: string; error?: string } & Partial<WindowSummary>;

/** The report's one-line result: all green, or how many causes and which. */
export function headline(r: Pick<Report, 'status' | 'causes'>): string {
  return r.status === 'green' ? 'all green' : `FAILED: ${causesSummary(r.causes)}`;
}

/** What failed, one line each: probes, client entries, live tries, files, logs. */
export function failuresOf(r: CauseInput & Pick<Report, 'gatewayConfig'>): string[] {
  const out: string[] = [];
  out.push(...gatewayFailures(r.gatewayConfig));
  for (const p of r.probes) if (!p.success) out.push(probeLine(p));
  for (const f of r.clients.findings) if (f.severity === 'error') out.push(formatFinding(f));
  for (const l of r.clients.live) if (liveFailed(l)) out.push(liveLine(l));
  for (const e of r.clients.errors) out.push(e);
  for (const c of r.logs?.containers ?? []) if (c.error) out.push(logLine(c));
  return out;
}

/** The gateway config's failures: a file not read, its error-level findings, a live read that failed. */
export function gatewayFailures(g: GatewayChecks | undefined): string[] {
  if (!g) return [];
  if (g.error) return [g.error];
  const out = g.findings.filter((f) => f.severity === 'error').map(formatGatewayFinding);
  if (g.live && gatewayLiveFailed(g)) out.push(formatGatewayLive(g.file, g.live));
  return out;
}

/** The gateway config's failures as causes: each on its own (a finding names its line, its server and its fix). */
export function gatewayCauses(g: GatewayChecks | undefined): ReportCause[] {
  return gatewayFailures(g).map((text) => ({
    kind: 'failure',
    label: `${g!.file}: ${text.startsWith(g!.file) ? (/\[(\w+)\]/.exec(text)?.[1] ?? 'live') : 'not checked'}`,
    title: text,
    results: [{ kind: 'file', text, failed: true }],
  }));
}

/**
 * The causes for the terminal: each on a line of its own (`  - `), the results it explains indented under it; a
 * failure that is its own cause is its one line.
 */
export function causeLines(causes: readonly ReportCause[]): string[] {
  return causes.flatMap((c) => [
    `  - ${c.title}`,
    ...(alone(c) ? [] : c.results.map((x) => `      ${x.text}${x.failed ? '' : ' (not a failure)'}`)),
  ]);
}

/** A cause that is one failed result and nothing else: its title says it all. */
const alone = (c: ReportCause): boolean => c.results.length === 1 && c.results[0]!.text === c.title;

/** A table cell: one line, pipes escaped. */
function cell(s: string | number | undefined): string {
  return String(s ?? '')
    .replace(/\r?\n/g, ' ')
    .replace(/\|/g, '\\|');
}

/** A fenced block that no backtick run inside it can close. */
function fenced(text: string, lang = 'text'): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.replace(/\n$/, '')}\n${fence}`;
}

/** `code` for inline use (a backtick inside it is doubled around). */
function code(s: string): string {
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

function table(head: string[], rows: Array<Array<string | number | undefined>>): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

const utc = (iso: string): string => `${iso.slice(0, 19).replace('T', ' ')} UTC`;

/** The report for people: what failed first, then each part in full. Pure. */
export function renderMarkdown(r: Report): string {
  const out = [
    `# mcpwatch validation report — ${utc(r.generatedAt)}`,
    '',
    `**Result: ${headline(r)}**`,
    '',
    ...summarySection(r),
    ...targetsSection(r),
    ...probesSection(r),
    ...keyViewsSection(r),
    ...clientsSection(r),
    ...gatewaySection(r),
    ...gatewayStateSection(r),
    ...logsSection(r),
  ];
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/** The facts of the run, what failed, and real clients' auth errors. */
function summarySection(r: Report): string[] {
  const took = Date.parse(r.generatedAt) - Date.parse(r.startedAt);
  const containers = r.logs?.containers.length ?? 0;
  const out = [
    ...table(
      ['', ''],
      [
        ['Generated', `${r.generatedAt} (took ${formatDuration(took)})`],
        ['mcpwatch', `${r.mcpwatch.version} on Node ${r.mcpwatch.node}`],
        ['Host', r.host],
        ['Config', r.config],
        ['Probes', `${r.probes.filter((p) => p.success).length} of ${r.probes.length} succeeded`],
        [
          'Client files',
          r.clients.files.length
            ? `${r.clients.files.length} (${countFindings(r.clients.findings)})`
            : 'none given (--clients)',
        ],
        ...(r.gatewayConfig
          ? [
              [
                'Gateway config',
                `${r.gatewayConfig.file} ` +
                  `(${r.gatewayConfig.error ? 'not checked' : countFindings(r.gatewayConfig.findings)})`,
              ],
            ]
          : []),
        [
          'Gateway logs',
          r.logs
            ? `${containers} container${containers === 1 ? '' : 's'}, ${utc(r.logs.from)} – ${utc(r.logs.to)}`
            : 'none followed (no logs: in the config)',
        ],
      ],
    ),
    '',
  ];
  if (r.causes.length) out.push(...whatFailed(r.causes));
  const attention = externalAuth(r);
  if (attention) out.push(`> ${attention}`, '');
  return out;
}

/**
 * What failed, by cause: each cause in bold, the results it explains under it (those that do not fail the report,
 * a warning or a run that was ok but shows the cause, marked).
 */
function whatFailed(causes: readonly ReportCause[]): string[] {
  const out = ['## What failed', ''];
  for (const c of causes) {
    if (alone(c)) {
      out.push(`- **${cell(c.title)}**`);
      continue;
    }
    const n = c.results.length;
    out.push(`- **${cell(c.title)}** — explains ${n} result${n === 1 ? '' : 's'}:`);
    out.push(...c.results.map((x: CauseResult) => `  - ${cell(x.text)}${x.failed ? '' : ' _(not a failure)_'}`));
  }
  return [...out, ''];
}

function targetsSection(r: Report): string[] {
  const rows = r.targets.map((t) => [code(t.name), t.url, t.sso ? 'yes (oauth2)' : 'no']);
  return ['## Targets', '', ...table(['target', 'URL', 'behind SSO'], rows), ''];
}

/** Every probe in a table, then each failed run in full. */
function probesSection(r: Report): string[] {
  if (r.probes.length === 0) return ['## Probes', '', 'No probes in the config.', ''];
  const out = [
    '## Probes',
    '',
    ...table(
      ['probe', 'type', 'target', 'result', 'reason', 'took'],
      r.probes.map((p) => [
        code(p.probe),
        p.type,
        p.target,
        p.success ? p.outcome : `**${p.outcome}**`,
        p.reason,
        formatDuration(p.durationMs),
      ]),
    ),
    '',
  ];
  for (const p of r.probes.filter((x) => !x.success)) {
    out.push(`### ${p.probe} failed`, '');
    out.push(fenced(formatResult({ ...p, startedAt: Date.parse(p.startedAt) } as ProbeResult, p.url)), '');
  }
  return out;
}

/** Each key's view, a table per target: each key's servers and tools, and what the own key sees that it does not. */
function keyViewsSection(r: Report): string[] {
  const views = r.keyViews ?? [];
  if (views.length === 0) return [];
  const out = [
    "## Each key's view",
    '',
    'What each key of a target sees of the gateway: one tools/list as that key, naming no servers (its grant decides).',
    '',
  ];
  for (const target of [...new Set(views.map((v) => v.target))]) {
    const mine = views.filter((v) => v.target === target);
    const own = serversSeen(mine.find((v) => v.key === undefined)?.toolsPerServer);
    const rows = mine.map((v) => {
      const seen = serversSeen(v.toolsPerServer);
      const sees = v.toolsPerServer
        ? seen.map((s) => `${s} (${v.toolsPerServer![s]})`).join(', ') || 'no server'
        : `**${v.outcome}**: ${v.reason}`;
      const notSeen = v.key === undefined || !v.toolsPerServer ? '' : own.filter((s) => !seen.includes(s)).join(', ');
      return [
        v.key === undefined ? 'own key (apiKey)' : code(v.key),
        sees,
        notSeen,
        v.probe ? code(v.probe) : 'read for the report',
      ];
    });
    out.push(`### ${target}`, '', ...table(['key', 'sees (tools)', 'not seen (the own key sees)', 'from'], rows), '');
  }
  return out;
}

/** The client files: what could not be checked, the findings, each entry as its client sends it. */
function clientsSection(r: Report): string[] {
  const c = r.clients;
  if (c.files.length === 0) {
    return ['## Client configs', '', 'No client files given (`mcpwatch report --clients PATH...`).', ''];
  }
  const out = ['## Client configs', '', `Files: ${c.files.map(code).join(', ')}`, ''];
  for (const e of c.errors) out.push(`- **cannot check** ${cell(e)}`);
  if (c.errors.length) out.push('');
  if (c.findings.length === 0) out.push('No findings.', '');
  else {
    out.push(...findingsTable(c.findings), '');
  }
  const keys = c.keys ?? [];
  if (keys.length) {
    out.push('The key each entry sends (matched by value, named only):', '');
    out.push(...keys.map((k) => `- ${cell(formatEntryKey(k))}`), '');
  }
  if (c.live.length) {
    const rows = c.live.map((l) => [
      l.file,
      l.server,
      liveFailed(l) ? `**${l.outcome}**` : l.outcome,
      l.reason,
      viewOf(c.views, l),
    ]);
    out.push('Each entry sent as its client sends it (initialize + tools/list):', '');
    out.push(...table(['file', 'server', 'outcome', 'reason', 'its key sees'], rows), '');
  }
  return out;
}

function viewOf(views: readonly EntryView[] | undefined, l: LiveResult): string {
  const v = views?.find((x) => x.file === l.file && x.server === l.server);
  return v ? viewLine(v) : '';
}

/** Findings of a file (a client's, or LiteLLM's config) as a table, a row each, errors in bold. */
function findingsTable(
  findings: ReadonlyArray<{
    file: string;
    line: number;
    severity: string;
    server: string;
    code: string;
    message: string;
    fix: string;
  }>,
): string[] {
  const rows = findings.map((f) => [
    `${f.file}:${f.line}`,
    f.severity === 'error' ? '**error**' : 'warning',
    f.server,
    code(f.code),
    f.message,
    f.fix,
  ]);
  return table(['where', 'severity', 'server', 'code', 'finding', 'fix'], rows);
}

/** LiteLLM's config.yaml: the findings, and what the gateway has (absent without --gateway-config). */
function gatewaySection(r: Report): string[] {
  const g = r.gatewayConfig;
  if (!g) return [];
  const env = g.envFiles.length ? ` with ${g.envFiles.map(code).join(', ')}` : '';
  const out = ['## Gateway config', '', `File: ${code(g.file)}${env}`, ''];
  if (g.error) return [...out, `**Not checked:** ${cell(g.error)}`, ''];
  if (g.findings.length === 0) out.push('No findings.', '');
  else {
    out.push(...findingsTable(g.findings), '');
  }
  if (g.live) out.push(cell(formatGatewayLive(g.file, g.live)), '');
  return out;
}

/** The gateway's containers (Docker's state, restarts, last exit, files not loaded) and each target's version. */
function gatewayStateSection(r: Report): string[] {
  const g = r.gatewayState;
  if (!g || (g.containers.length === 0 && g.versions.length === 0)) return [];
  const out = ['## Gateway containers and versions', ''];
  if (g.containers.length) {
    const rows = g.containers.map((c) => [
      c.name,
      c.target ?? '',
      c.running ? 'running' : `**${c.status}**`,
      c.health === 'unhealthy' ? '**unhealthy**' : c.health,
      c.startedAt ? utc(c.startedAt) : '',
      c.dockerRestartCount,
      c.lastExit?.code ?? '',
      c.oomKills ? '**yes**' : 'no',
      c.imageVersion ?? c.image ?? '',
    ]);
    const head = ['container', 'target', 'state', 'health', 'started', 'restarts', 'last exit', 'OOM', 'image'];
    out.push(...table(head, rows), '');
    for (const c of g.containers) {
      for (const f of c.pendingFiles)
        out.push(`- **Restart pending** for ${code(c.name)}: ${code(f.path)} changed at ${utc(f.changedAt)}`);
      for (const f of c.unreadableFiles) out.push(`- ${code(c.name)}: ${code(f.path)} not readable (${f.error})`);
      if (c.error) out.push(`- ${code(c.name)}: ${cell(c.error)}`);
    }
    if (g.containers.some((c) => c.pendingFiles.length || c.unreadableFiles.length || c.error)) out.push('');
  }
  if (g.versions.length) {
    const rows = g.versions.map((v) => [v.target, v.version ?? 'unknown', v.source ?? '', v.imageVersion ?? '']);
    out.push(...table(['target', 'LiteLLM version', 'from', 'image says'], rows), '');
  }
  return out;
}

/** Each container's window: its matches counted by kind and origin, the newest listed. */
function logsSection(r: Report): string[] {
  if (!r.logs) return ['## Gateway logs', '', 'No containers followed (`logs:` is not in the config).', ''];
  const out = [
    '## Gateway logs',
    '',
    `From ${utc(r.logs.from)} to ${utc(r.logs.to)}. ` +
      "Origin `probe` is what this report's own auth_guard provoked; `external` is everyone else.",
    '',
  ];
  for (const c of r.logs.containers) out.push(...containerSection(c));
  return out;
}

function containerSection(c: ReportContainer): string[] {
  const out = [`### ${c.name}`, ''];
  if (c.error) return [...out, `**Not read:** ${cell(c.error)}`, ''];
  const n = c.counts?.reduce((s, x) => s + x.count, 0) ?? 0;
  out.push(`${c.records ?? 0} record${c.records === 1 ? '' : 's'} read, ${n} match${n === 1 ? '' : 'es'}.`, '');
  if (n === 0) return out;
  const counts = (c.counts ?? []).map((x) => [x.category, code(x.kind), x.origin, x.count, utc(x.lastAt)]);
  out.push(...table(['category', 'kind', 'origin', 'count', 'last'], counts), '');
  const listed = c.matches ?? [];
  out.push(`${c.omitted ? `The newest ${listed.length} (${c.omitted} older not listed)` : 'Each'}, keys masked:`, '');
  out.push(fenced(listed.map(matchText).join('\n')), '');
  return out;
}

/** One listed match: its time, kind, origin, who sent it and about which server, then its text. */
function matchText(m: NonNullable<ReportContainer['matches']>[number]): string {
  const [first, ...more] = m.line.split('\n');
  const from = m.requesterIp ? ` from ${m.requesterIp}` : '';
  const about = m.server ? ` (${m.server})` : '';
  const head = `${m.at.slice(11, 23)} ${m.category}/${m.kind} ${m.origin}${from}${about}: ${first}`;
  return [head, ...more.map((l) => `    ${l}`)].join('\n');
}

function countFindings(findings: ReadonlyArray<{ severity: string }>): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}

/**
 * Real clients' auth errors before the report started: not a failure of its checks, but what a reader should see first.
 */
export function externalAuth(r: Pick<Report, 'logs'>): string | undefined {
  const parts = (r.logs?.containers ?? [])
    .filter((c) => (c.externalAuthBefore ?? 0) > 0)
    .map((c) => `${c.externalAuthBefore} in ${c.name}`);
  if (!parts.length) return undefined;
  return (
    `Clients' own auth errors in the gateway log before this report started (origin external): ${parts.join(', ')}. ` +
    'They do not fail the report; see Gateway logs.'
  );
}
