import type { Finding } from '../clients/types.js';
import { formatDuration } from '../config/duration.js';
import type { WindowSummary } from '../correlate/window-matches.js';
import type { ProbeResult } from '../probes/types.js';
import type { LiveResult } from './client-live.js';
import { formatFinding, liveFailed } from './check-clients.js';
import { formatResult } from './format.js';

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
  targets: Array<{ name: string; url: string; sso: boolean }>;
  probes: Array<ReportProbe>;
  clients: {
    files: string[];
    findings: Finding[];
    live: LiveResult[];
    /** Files that are not a client config mcpwatch can read. */
    errors: string[];
  };
  logs: {
    from: string;
    to: string;
    containers: Array<{ name: string; error?: string } & Partial<WindowSummary>>;
  } | null;
}

/** A probe's result as the report keeps it: as `mcpwatch probe --json` prints it, with its target's URL. */
export type ReportProbe = Omit<ProbeResult, 'startedAt'> & { startedAt: string; url: string };

/** The report's one-line result. */
export function headline(r: Report): string {
  if (r.status === 'green') return 'all green';
  return `FAILED: ${r.failures.length} thing${r.failures.length === 1 ? '' : 's'} failed`;
}

/** What failed, one line each: probes, client entries, live tries, files, logs. */
export function failuresOf(r: Omit<Report, 'status' | 'failures'>): string[] {
  const out: string[] = [];
  for (const p of r.probes)
    if (!p.success) out.push(`probe ${p.probe} (${p.type} → ${p.target}): ${p.outcome}: ${p.reason}`);
  for (const f of r.clients.findings) if (f.severity === 'error') out.push(formatFinding(f));
  for (const l of r.clients.live)
    if (liveFailed(l)) out.push(`${l.file}: ${l.server}: live: ${l.outcome} — ${l.reason}`);
  for (const e of r.clients.errors) out.push(e);
  for (const c of r.logs?.containers ?? []) if (c.error) out.push(`log of ${c.name}: ${c.error}`);
  return out;
}

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
  const took = Date.parse(r.generatedAt) - Date.parse(r.startedAt);
  const out: string[] = [];
  out.push(`# mcpwatch validation report — ${utc(r.generatedAt)}`, '');
  out.push(`**Result: ${headline(r)}**`, '');
  out.push(
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
        [
          'Gateway logs',
          r.logs
            ? `${r.logs.containers.length} container${r.logs.containers.length === 1 ? '' : 's'}, ${utc(r.logs.from)} – ${utc(r.logs.to)}`
            : 'none followed (no logs: in the config)',
        ],
      ],
    ),
    '',
  );
  if (r.failures.length) {
    out.push('## What failed', '');
    for (const f of r.failures) out.push(`- ${cell(f)}`);
    out.push('');
  }
  const attention = externalAuth(r);
  if (attention) out.push(`> ${attention}`, '');

  out.push('## Targets', '');
  out.push(
    ...table(
      ['target', 'URL', 'behind SSO'],
      r.targets.map((t) => [code(t.name), t.url, t.sso ? 'yes (oauth2)' : 'no']),
    ),
    '',
  );

  out.push('## Probes', '');
  if (r.probes.length === 0) out.push('No probes in the config.', '');
  else {
    out.push(
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
    );
    for (const p of r.probes.filter((x) => !x.success)) {
      out.push(`### ${p.probe} failed`, '');
      out.push(fenced(formatResult({ ...p, startedAt: Date.parse(p.startedAt) } as ProbeResult, p.url)), '');
    }
  }

  out.push('## Client configs', '');
  if (r.clients.files.length === 0) out.push('No client files given (`mcpwatch report --clients PATH...`).', '');
  else {
    out.push(`Files: ${r.clients.files.map(code).join(', ')}`, '');
    for (const e of r.clients.errors) out.push(`- **cannot check** ${cell(e)}`);
    if (r.clients.errors.length) out.push('');
    if (r.clients.findings.length === 0) out.push('No findings.', '');
    else
      out.push(
        ...table(
          ['where', 'severity', 'server', 'code', 'finding', 'fix'],
          r.clients.findings.map((f) => [
            `${f.file}:${f.line}`,
            f.severity === 'error' ? '**error**' : 'warning',
            f.server,
            code(f.code),
            f.message,
            f.fix,
          ]),
        ),
        '',
      );
    if (r.clients.live.length) {
      out.push('Each entry sent as its client sends it (initialize + tools/list):', '');
      out.push(
        ...table(
          ['file', 'server', 'outcome', 'reason'],
          r.clients.live.map((l) => [l.file, l.server, liveFailed(l) ? `**${l.outcome}**` : l.outcome, l.reason]),
        ),
        '',
      );
    }
  }

  out.push('## Gateway logs', '');
  if (!r.logs) out.push('No containers followed (`logs:` is not in the config).', '');
  else {
    out.push(
      `From ${utc(r.logs.from)} to ${utc(r.logs.to)}. Origin \`probe\` is what this report's own auth_guard provoked; \`external\` is everyone else.`,
      '',
    );
    for (const c of r.logs.containers) {
      out.push(`### ${c.name}`, '');
      if (c.error) {
        out.push(`**Not read:** ${cell(c.error)}`, '');
        continue;
      }
      const n = c.counts?.reduce((s, x) => s + x.count, 0) ?? 0;
      out.push(`${c.records ?? 0} record${c.records === 1 ? '' : 's'} read, ${n} match${n === 1 ? '' : 'es'}.`, '');
      if (n === 0) continue;
      out.push(
        ...table(
          ['category', 'kind', 'origin', 'count', 'last'],
          (c.counts ?? []).map((x) => [x.category, code(x.kind), x.origin, x.count, utc(x.lastAt)]),
        ),
        '',
      );
      const listed = c.matches ?? [];
      out.push(
        `${c.omitted ? `The newest ${listed.length} (${c.omitted} older not listed)` : 'Each'}, keys masked:`,
        '',
      );
      out.push(
        fenced(
          listed
            .map((m) => {
              const [first, ...more] = m.line.split('\n');
              const head = `${m.at.slice(11, 23)} ${m.category}/${m.kind} ${m.origin}${m.requesterIp ? ` from ${m.requesterIp}` : ''}${m.server ? ` (${m.server})` : ''}: ${first}`;
              return [head, ...more.map((l) => `    ${l}`)].join('\n');
            })
            .join('\n'),
        ),
        '',
      );
    }
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function countFindings(findings: readonly Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return `${errors} error${errors === 1 ? '' : 's'}, ${findings.length - errors} warning${findings.length - errors === 1 ? '' : 's'}`;
}

/**
 * Real clients' auth errors before the report started: not a failure of its checks, but what a reader should see first.
 */
export function externalAuth(r: Pick<Report, 'logs'>): string | undefined {
  const parts = (r.logs?.containers ?? [])
    .filter((c) => (c.externalAuthBefore ?? 0) > 0)
    .map((c) => `${c.externalAuthBefore} in ${c.name}`);
  return parts.length
    ? `Clients' own auth errors in the gateway log before this report started (origin external): ${parts.join(', ')}. They do not fail the report; see Gateway logs.`
    : undefined;
}
