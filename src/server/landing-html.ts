// The page at `/`, pure: a running agent's /status and /health at a glance, failing first, as plain HTML for a
// browser (no script, no external asset). Every text goes through `mask` (the agent's redactor) and is escaped.
import type { HealthReport } from '../runtime/health-view.js';
import { formatAge, plural, statusSummary, type StatusSummary } from '../runtime/status-summary.js';
import type { StatusDocument } from '../runtime/status-view.js';

export interface LandingInput {
  status: StatusDocument;
  health: HealthReport;
  /** Epoch ms: ages and the next runs are counted to it. */
  now: number;
  /** Masks key material in a text (the agent's redactor). */
  mask: (text: string) => string;
}

/** A piece of HTML: escaped text, or markup made from escaped text. */
type Html = { readonly html: string };

/** Pure: the page. */
export function landingHtml(input: LandingInput): string {
  const s = statusSummary('', input.status, input.health, input.now);
  const t = (text: string | number): Html => ({ html: escapeHtml(input.mask(String(text))) });
  const nextRuns = new Map(input.status.probes.map((p) => [p.name, onRequest(p.schedule) ? ON_REQUEST : p.nextRunAt]));
  const failing = s.probes.filter((p) => p.state === 'fail').length;
  const title = failing ? `mcpwatch: ${plural(failing, 'probe')} failing` : 'mcpwatch';
  const sections = [
    probeSection(s, t, (name) => nextRuns.get(name), input.now),
    serverSection(s, t),
    discoveredSection(input.status, t, input.now),
    clientSection(s, t),
    logSection(s, t),
    gatewaySection(s, t),
    healthSection(s, t),
  ];
  const body = [head(s, t, sections), ...sections];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${t(title).html}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    ...body.map((b) => b.html),
    '</body></html>',
    '',
  ].join('\n');
}

/** Pure: text for HTML (element content and quoted attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

type Text = (text: string | number) => Html;

/** Markup put together from pieces that are already HTML. */
function h(strings: TemplateStringsArray, ...parts: Array<Html | Html[]>): Html {
  let out = strings[0]!;
  parts.forEach((p, i) => {
    out += (Array.isArray(p) ? p.map((x) => x.html).join('') : p.html) + strings[i + 1]!;
  });
  return { html: out };
}

const EMPTY: Html = { html: '' };

function head(s: StatusSummary, t: Text, sections: Html[]): Html {
  const a = s.agent;
  const shard = a.shard && a.shard.total > 1 ? [`shard ${a.shard.index} of ${a.shard.total}`] : [];
  const meta = [`up ${formatAge(a.uptimeSeconds)}`, `health ${a.health}`, ...shard, `config ${a.configPath}`];
  const verdict = s.ok
    ? h`<p class="verdict good">All well: ${t(wellPhrase(s))}</p>`
    : h`<p class="verdict bad">Problems: ${t(s.failing.join(', '))}</p>`;
  // The sections of this page (with 500 probes, those after the probes are far down).
  const jumps = sections.flatMap((x) => {
    const m = /^<section id="([a-z]+)"><h2>([^<]+) </.exec(x.html);
    return m ? [{ html: ` <a href="#${m[1]!}">${m[2]!}</a>` }] : [];
  });
  return h`<header><h1>mcpwatch <span class="dim">${t(a.version)}</span></h1>
<nav><a href="metrics">/metrics</a> <a href="status">/status</a> <a href="health">/health</a>
<span class="dim">on this page:</span>${jumps}</nav>
<p class="dim">${t(meta.join(' · '))}</p>
${verdict}</header>`;
}

function wellPhrase(s: StatusSummary): string {
  const ran = s.probes.filter((p) => p.state !== 'pending').length;
  const parts = [`${ran} of ${plural(s.probes.length, 'probe')} ok`];
  if (s.servers.length) parts.push(`${plural(s.servers.length, 'server')} up`);
  return parts.join(', ');
}

/** A table: a head row and rows of cells; a row's class marks its state. */
function table(cls: string, heads: string[], rows: Array<{ cls: string; cells: Html[] }>): Html {
  const th = heads.map((x) => ({ html: `<th>${escapeHtml(x)}</th>` }));
  const trs = rows.map((r) => h`<tr class="${{ html: r.cls }}">${r.cells.map((c) => h`<td>${c}</td>`)}</tr>`);
  return h`<table class="${{ html: cls }}"><thead><tr>${th}</tr></thead><tbody>
${trs.map((r) => ({ html: `${r.html}\n` }))}</tbody></table>`;
}

function section(id: string, title: string, note: Html, content: Html): Html {
  return h`<section id="${{ html: id }}"><h2>${{ html: escapeHtml(title) }} <small>${note}</small></h2>
${content}</section>`;
}

function state(word: string, cls: string): Html {
  return { html: `<span class="st ${cls}">${escapeHtml(word)}</span>` };
}

function ago(t: Text, iso: string | null, seconds: number | null): Html {
  if (iso === null || seconds === null) return { html: '<span class="dim">never</span>' };
  return h`<span class="nowrap" title="${t(iso)}">${t(`${formatAge(seconds)} ago`)}</span>`;
}

function probeSection(s: StatusSummary, t: Text, nextRunAt: (name: string) => string | undefined, now: number): Html {
  const n = { fail: 0, pending: 0, ok: 0 };
  for (const p of s.probes) n[p.state]++;
  const note = t(`${n.fail} failing, ${n.pending} not run yet, ${n.ok} ok`);
  const rows = s.probes.map((p) => {
    const word = p.state === 'fail' ? 'FAIL' : p.state === 'ok' ? 'ok' : '-';
    const reason = p.reason === null ? EMPTY : t(p.reason);
    const lastSuccess =
      p.lastSuccessAgeSeconds === null ? 'never succeeded' : `last success ${formatAge(p.lastSuccessAgeSeconds)} ago`;
    const since = p.state === 'fail' ? h`<br><span class="dim">${t(lastSuccess)}</span>` : EMPTY;
    const href = `probe?name=${encodeURIComponent(p.name)}&debug=true`;
    return {
      cls: p.state,
      cells: [
        state(word, p.state),
        h`<span class="name">${t(p.name)}</span>`,
        t(p.type),
        t(p.target),
        p.outcome === null ? EMPTY : t(p.outcome),
        h`<span class="reason">${reason}</span>`,
        h`${ago(t, p.at, p.ageSeconds)}${since}`,
        nextRun(t, p.running, nextRunAt(p.name), now),
        h`<span class="nowrap">${t(`${p.failures} of ${p.runs}`)}</span>`,
        h`<a href="${t(href)}" title="${t(`run ${p.name} now and show its steps`)}">run</a>`,
      ],
    };
  });
  const heads = ['state', 'probe', 'type', 'target', 'outcome', 'reason', 'last run', 'next run', 'failed', ''];
  return section('probes', 'Probes', note, table('probes', heads, rows));
}

/** What the next-run cell of a probe that runs only when asked (`schedule: on_request`) says, and its tooltip. */
const ON_REQUEST = 'on request';
const ON_REQUEST_TITLE = 'schedule: on_request: only /probe (Prometheus) or run_probe runs it';

/** Whether /status's `schedule` of a probe says it runs only when asked (`on request`; `cron on_request` before). */
function onRequest(schedule: string): boolean {
  return schedule === ON_REQUEST || schedule === 'cron on_request';
}

function nextRun(t: Text, running: boolean, iso: string | undefined, now: number): Html {
  if (running) return h`<span class="dim nowrap">running now</span>`;
  if (iso === ON_REQUEST) return h`<span class="dim nowrap" title="${t(ON_REQUEST_TITLE)}">on request</span>`;
  if (iso === undefined) return h`<span class="dim">-</span>`;
  const seconds = (Date.parse(iso) - now) / 1000;
  return h`<span class="nowrap" title="${t(iso)}">${t(seconds < 1 ? 'due now' : `in ${formatAge(seconds)}`)}</span>`;
}

function serverSection(s: StatusSummary, t: Text): Html {
  if (s.servers.length === 0) return EMPTY;
  const down = s.servers.filter((x) => !x.up).length;
  const rows = s.servers.map((x) => {
    const why = x.up
      ? `${plural(x.tools, 'tool')}`
      : `${x.reason ?? 'down'}${x.said ? ` (the gateway said: ${x.said})` : ''}`;
    const health = x.gatewayHealth ? `; its health endpoint says ${x.gatewayHealth}` : '';
    return {
      cls: x.up ? 'ok' : 'fail',
      cells: [
        state(x.up ? 'up' : 'DOWN', x.up ? 'ok' : 'fail'),
        h`<span class="name">${t(x.server)}</span>`,
        t(`${why}${health}`),
        t(x.probe),
        ago(t, x.at, x.ageSeconds),
      ],
    };
  });
  const table_ = table('servers', ['state', 'server', 'tools or why down', 'seen by', 'when'], rows);
  return section('servers', 'Servers', t(`from the catalog probes: ${down} down of ${s.servers.length}`), table_);
}

/** The servers each target with `discover` lists (/status's `discovery`), and the probes made for them. */
function discoveredSection(status: StatusDocument, t: Text, now: number): Html {
  const targets = status.discovery ?? [];
  if (targets.length === 0) return EMPTY;
  const rows = targets.flatMap((d) => {
    const failed = d.lastAttempt && !d.lastAttempt.ok ? `the last read failed: ${d.lastAttempt.error ?? ''}` : '';
    if (!d.list)
      return [{ cls: 'fail', cells: [state('-', 'pending'), t('(no list yet)'), t(d.target), EMPTY, t(failed)] }];
    const readAgo = formatAge(Math.max(0, (now - Date.parse(d.list.readAt)) / 1000));
    const from = `listed by ${d.list.source} ${readAgo} ago${d.list.restored ? ' (kept from before a restart)' : ''}`;
    return d.list.servers.map((x) => ({
      cls: failed ? 'fail' : x.excluded ? 'pending' : 'ok',
      cells: [
        state(x.excluded ? 'excluded' : 'listed', x.excluded ? 'pending' : 'ok'),
        h`<span class="name">${t(x.name)}</span>`,
        t(d.target),
        t(x.probes.length ? x.probes.join(', ') : '-'),
        t([from, failed].filter(Boolean).join('; ')),
      ],
    }));
  });
  const count = targets.reduce((n, d) => n + (d.list?.servers.length ?? 0), 0);
  const table_ = table('discovered', ['state', 'server', 'target', 'probes made for it', 'list'], rows);
  return section('discovered', 'Discovered servers', t(`${plural(count, 'server')} the gateways list`), table_);
}

function clientSection(s: StatusSummary, t: Text): Html {
  if (s.clients.length === 0) return EMPTY;
  const rows = s.clients.map((c) => {
    const first = c.findings[0];
    const finding = first ? `${first.severity}: [${first.code}] ${first.message}` : 'no findings';
    const more = c.findings.length > 1 ? ` (+${c.findings.length - 1} more)` : '';
    const live = c.live ? `; live: ${c.live.outcome}` : c.notSent ? `; not sent: ${c.notSent}` : '';
    return {
      cls: c.ok ? 'ok' : 'fail',
      cells: [
        state(c.ok ? 'ok' : 'FAIL', c.ok ? 'ok' : 'fail'),
        h`<span class="name">${t(c.probe)}</span>`,
        t(`${c.client} entry "${c.server}" in ${c.file}:${c.line}`),
        t(`${finding}${more}${live}`),
        ago(t, c.at, c.ageSeconds),
      ],
    };
  });
  const failing = s.clients.filter((c) => !c.ok).length;
  const table_ = table('clients', ['state', 'probe', 'entry', 'findings', 'when'], rows);
  return section('clients', 'Clients', t(`client_config probes: ${failing} failing`), table_);
}

function logSection(s: StatusSummary, t: Text): Html {
  if (!s.logs) return EMPTY;
  const d = s.logs.docker;
  const docker = `Docker at ${d.endpoint}: ${d.up ? 'up' : `not reachable${d.error ? `: ${d.error}` : ''}`}`;
  const rows = s.logs.containers.map((c) => ({
    cls: c.following ? 'ok' : 'fail',
    cells: [
      state(c.following ? 'ok' : 'FAIL', c.following ? 'ok' : 'fail'),
      h`<span class="name">${t(c.name)}</span>`,
      t(c.state),
      t(c.lines),
      t(c.recentMatches),
      ago(t, c.lastMatchAt, c.lastMatchAgeSeconds),
      c.error === undefined ? EMPTY : t(c.error),
    ],
  }));
  const heads = ['state', 'container', 'tail', 'lines read', 'recent matches', 'newest match', 'error'];
  return section('logs', 'Followed containers', t(docker), table('logs', heads, rows));
}

function gatewaySection(s: StatusSummary, t: Text): Html {
  const g = s.gateway;
  if (!g) return EMPTY;
  const rows = g.containers.map((c) => {
    const ok = c.running && c.health !== 'unhealthy' && c.pendingFiles.length === 0;
    const pending = c.pendingFiles.length ? `restart pending: ${c.pendingFiles.map((f) => f.path).join(', ')}` : '';
    return {
      cls: ok ? 'ok' : 'fail',
      cells: [
        state(ok ? 'ok' : 'FAIL', ok ? 'ok' : 'fail'),
        h`<span class="name">${t(c.name)}</span>`,
        t(`${c.status}${c.health !== 'none' ? `, ${c.health}` : ''}`),
        t(c.upSeconds === null ? '-' : formatAge(c.upSeconds)),
        t(`${c.restarts} restarts, ${c.oomKills} OOM kills`),
        t([pending, c.error ?? ''].filter(Boolean).join('; ')),
      ],
    };
  });
  const versions = g.versions.map((v) => `${v.target}: ${v.version ?? 'unknown'}`).join(', ');
  const table_ = table('gateway', ['state', 'container', 'status', 'up for', 'restarts', 'note'], rows);
  return section('gateway', 'Gateway', t(versions ? `versions: ${versions}` : ''), table_);
}

function healthSection(s: StatusSummary, t: Text): Html {
  const rows = s.health.map((c) => ({
    cls: c.status === 'ok' ? 'ok' : 'fail',
    cells: [
      state(c.status, c.status === 'ok' ? 'ok' : 'fail'),
      h`<span class="name">${t(c.check)}</span>`,
      t([c.message ?? '', ...(c.problems ?? [])].filter(Boolean).join('; ')),
    ],
  }));
  return section('health', 'Health', t(s.agent.health), table('health', ['state', 'check', 'message'], rows));
}

const STYLE = `
:root { color-scheme: light dark; --bad: #c62828; --bad-bg: #fdecea; --good: #2e7d32; --dim: #666; --line: #ddd; }
@media (prefers-color-scheme: dark) {
  :root { --bad: #ef9a9a; --bad-bg: #3b1f1f; --good: #a5d6a7; --dim: #aaa; --line: #444; }
}
body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; } h2 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
h2 small, .dim { color: var(--dim); font-weight: normal; }
nav a { margin-right: 1rem; }
.verdict { font-weight: 600; padding: .4rem .6rem; border-radius: 4px; }
.verdict.bad { color: var(--bad); background: var(--bad-bg); } .verdict.good { color: var(--good); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid var(--line); }
th { position: sticky; top: 0; background: Canvas; font-weight: 600; }
tr.fail td { background: var(--bad-bg); }
.st { font-weight: 700; } .st.fail { color: var(--bad); } .st.ok { color: var(--good); }
.name { font-family: ui-monospace, monospace; white-space: nowrap; }
.nowrap { white-space: nowrap; }
.reason { display: block; max-width: 48rem; white-space: pre-wrap; overflow-wrap: anywhere; }
`.trim();
