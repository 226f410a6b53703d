// `mcpwatch status`, pure: the summary of a running agent's /status and /health (runtime/status-summary.ts) as lines
// for a terminal. No I/O: status.ts fetches and prints.
import {
  formatAge,
  plural,
  type ClientLine,
  type DiscoveryLine,
  type GatewayContainerLine,
  type GatewaySummary,
  type HealthLine,
  type KeyLine,
  type ProbeLine,
  type ServerLine,
  type StatusSummary,
} from '../runtime/status-summary.js';

// What `mcpwatch status` and its tests read from here.
export {
  formatAge,
  statusSummary,
  type ClientLine,
  type ContainerLine,
  type DiscoveryLine,
  type GatewayContainerLine,
  type GatewaySummary,
  type HealthLine,
  type KeyLine,
  type ProbeLine,
  type ServerLine,
  type StatusSummary,
} from '../runtime/status-summary.js';

const INDENT = ' '.repeat(9);

/** Pure: the summary as lines for a terminal, failing first in each section. */
export function statusLines(s: StatusSummary): string[] {
  return [
    ...headLines(s),
    '',
    'Probes',
    ...probeSection(s.probes),
    ...section('Servers (from the catalog probes)', serverSection(s.servers)),
    ...section('Clients (client_config probes)', clientSection(s.clients)),
    ...section('Discovered servers', discoverySection(s.discovery)),
    ...section('Keys (named keys: their lifetimes)', keySection(s.keys)),
    '',
    'Health',
    ...healthSection(s.health),
    ...(s.logs ? ['', ...logSection(s.logs)] : []),
    ...(s.gateway ? ['', ...gatewaySection(s.gateway)] : []),
  ];
}

function headLines(s: StatusSummary): string[] {
  const a = s.agent;
  const lines = [`mcpwatch ${a.version} at ${s.url}: up ${formatAge(a.uptimeSeconds)}, health ${a.health}`];
  if (a.shard && a.shard.total > 1) {
    const logs = a.shard.tailsLogs ? 'tails the logs' : 'no log tailing (shard 0 does it)';
    lines.push(`shard ${a.shard.index} of ${a.shard.total}: ${a.shard.probes} of ${a.shard.ofProbes} probes, ${logs}`);
  }
  lines.push(s.ok ? `all well: ${wellPhrase(s)}` : `PROBLEMS: ${s.failing.join(', ')}`);
  return lines;
}

function wellPhrase(s: StatusSummary): string {
  const ran = s.probes.filter((p) => p.state === 'ok').length;
  const parts = [`${ran} of ${plural(s.probes.length, 'probe')} ok`];
  if (ran < s.probes.length) parts[0] += ` (${s.probes.length - ran} not run yet)`;
  if (s.servers.length) parts.push(`${plural(s.servers.length, 'server')} up`);
  if (s.clients.length) parts.push(`${plural(s.clients.length, 'client entry', 'client entries')} ok`);
  if (s.logs) parts.push(`${plural(s.logs.containers.length, 'container')} followed`);
  return parts.join(', ');
}

function section(title: string, body: string[]): string[] {
  return body.length ? ['', title, ...body] : [];
}

function probeSection(probes: ProbeLine[]): string[] {
  if (!probes.length) return ['  (no probes on this replica)'];
  const rows = probes.map((p) => {
    const mark = { fail: 'FAIL', ok: 'ok', pending: '-' }[p.state];
    const when = p.ageSeconds === null ? (p.running ? 'running now' : 'not run yet') : `${formatAge(p.ageSeconds)} ago`;
    const note = p.state === 'fail' ? failNote(p) : p.state === 'ok' ? (p.reason ?? '') : '';
    return [mark, p.name, p.type, p.outcome ?? '', when, note];
  });
  const lines = table(rows);
  // A failed probe's reason on a line of its own: it is long, and what to read.
  return probes.flatMap((p, i) => [lines[i]!, ...(p.state === 'fail' ? indented(p.reason ?? '') : [])]);
}

/** Text that may hold line breaks (the gateway's words), each line indented. */
function indented(text: string): string[] {
  return text.split(/\r?\n/).map((l) => `${INDENT}${l}`);
}

function failNote(p: ProbeLine): string {
  const since =
    p.lastSuccessAgeSeconds === null ? 'never succeeded' : `last success ${formatAge(p.lastSuccessAgeSeconds)} ago`;
  return `${since}, ${p.failures} of ${plural(p.runs, 'run')} failed${p.running ? ', running now' : ''}`;
}

function serverSection(servers: ServerLine[]): string[] {
  return table(
    servers.map((x) => {
      const said = x.said !== undefined && x.said !== x.reason ? ` (the gateway said: ${x.said})` : '';
      const state = x.up ? `${plural(x.tools, 'tool')}` : `${x.reason}${said}`;
      const gw = x.gatewayHealth !== undefined ? `; its health endpoint says ${x.gatewayHealth}` : '';
      return [x.up ? 'up' : 'DOWN', x.server, `${state}${gw}`, `${x.probe}, ${formatAge(x.ageSeconds)} ago`];
    }),
  );
}

function clientSection(clients: ClientLine[]): string[] {
  return clients.flatMap((c) => [
    `  ${pad(c.ok ? 'ok' : 'FAIL', 5)}  ${c.probe}: ${c.client} entry "${c.server}" in ${c.file}:${c.line}, ` +
      `${formatAge(c.ageSeconds)} ago`,
    ...c.findings.map((f) => `${INDENT}${f.severity}: line ${f.line}: [${f.code}] ${f.message} — fix: ${f.fix}`),
    ...(c.live ? [`${INDENT}live: ${c.live.outcome}: ${c.live.reason}`] : []),
    ...(c.notSent !== undefined ? [`${INDENT}not sent: ${c.notSent}`] : []),
  ]);
}

function discoverySection(targets: DiscoveryLine[]): string[] {
  return targets.flatMap((d) => {
    const listed =
      d.source === null
        ? 'no list yet'
        : `${plural(d.servers.length, 'server')} from ${d.source}, read ${formatAge(d.readAgeSeconds ?? 0)} ago` +
          (d.restored ? ' (kept from before a restart)' : '');
    const a = d.lastAttempt;
    const failed = a && !a.ok;
    const mark = failed ? 'FAIL' : d.source === null ? '-' : 'ok';
    const head = `  ${pad(mark, 5)}  ${d.target}: ${listed}, every ${d.every}`;
    const attempt = failed ? [`${INDENT}the last read failed ${formatAge(a.ageSeconds)} ago: ${a.error ?? ''}`] : [];
    const rows = table(
      d.servers.map((x) => [
        '',
        x.name,
        x.excluded
          ? 'excluded'
          : [x.probes.join(', '), ...x.configured.map((c) => `configured: ${c}`)].filter(Boolean).join('; ') || '-',
      ]),
    );
    return [head, ...attempt, ...rows];
  });
}

function keySection(keys: StatusSummary['keys']): string[] {
  // A target whose keys cannot be known (no database) says it once, not once per key.
  const shown = keys.lines.filter((k) => k.state !== 'no_database');
  const rows = table(
    shown.map((k) => {
      const mark = k.failing ? 'FAIL' : k.state === 'ok' ? 'ok' : '-';
      const budget =
        k.maxBudget !== null && k.budgetRemaining !== null ? `budget ${k.budgetRemaining} of ${k.maxBudget} left` : '';
      const words = [expiryWords(k), budget].filter(Boolean).join(', ');
      return [mark, `${k.target}/${k.key}`, k.state, k.message ?? words];
    }),
  );
  return [...keys.unavailable.map((u) => `  ${pad('-', 5)}  ${u.target}: ${u.lifetimes}`), ...rows];
}

/** `expires 2027-01-05 (in 31d)`, `never expires`, or nothing when it is not known. */
function expiryWords(k: KeyLine): string {
  if (k.expiresAt === null) return k.state === 'ok' ? 'never expires' : '';
  const left = k.expiresInSeconds ?? 0;
  return `expires ${k.expiresAt.slice(0, 10)} (${left < 0 ? 'expired' : `in ${formatAge(left)}`})`;
}

function healthSection(health: HealthLine[]): string[] {
  const bad = health.filter((h) => h.status !== 'ok');
  const good = health.filter((h) => h.status === 'ok').map((h) => h.check);
  return [
    ...bad.flatMap((h) => [
      `  ${pad(h.status === 'fail' ? 'FAIL' : 'DEGR', 5)}  ${h.check}: ${h.message ?? h.status}`,
      ...(h.problems ?? []).map((p) => `${INDENT}${p}`),
    ]),
    ...(good.length ? [`  ${pad('ok', 5)}  ${good.join(', ')}`] : []),
  ];
}

function logSection(logs: NonNullable<StatusSummary['logs']>): string[] {
  const d = logs.docker;
  const docker = d.up
    ? `Docker at ${d.endpoint}`
    : `Docker at ${d.endpoint} UNREACHABLE${d.error ? `: ${d.error}` : ''}`;
  const rows = logs.containers.map((c) => {
    const matches = c.recentMatches
      ? `${plural(c.recentMatches, 'recent match', 'recent matches')}` +
        (c.lastMatchAgeSeconds !== null ? `, newest ${formatAge(c.lastMatchAgeSeconds)} ago` : '')
      : 'no recent matches';
    return [c.following ? 'ok' : 'FAIL', c.name, c.state, plural(c.lines, 'line'), c.error ?? matches];
  });
  return [`Log tailing (${docker})`, ...(rows.length ? table(rows) : ['  (no containers)'])];
}

function gatewaySection(g: GatewaySummary): string[] {
  const rows = g.containers.map((c) => {
    const mark = !c.running || c.health === 'unhealthy' ? 'FAIL' : c.pendingFiles.length ? 'PEND' : 'ok';
    const state = c.running && c.upSeconds !== null ? `${c.status} ${formatAge(c.upSeconds)}` : c.status;
    const exit =
      c.lastExit && c.lastExit.code !== null
        ? `, last exit ${c.lastExit.code}` +
          (c.lastExit.ageSeconds !== null ? ` ${formatAge(c.lastExit.ageSeconds)} ago` : '')
        : '';
    const ooms = c.oomKills ? `, ${plural(c.oomKills, 'OOM kill')}` : '';
    return [mark, c.name, state, `health ${c.health}`, `${plural(c.restarts, 'restart')}${ooms}${exit}`];
  });
  const lines = table(rows);
  const pending = (c: GatewayContainerLine): string[] => [
    ...c.pendingFiles.map((f) => `${INDENT}restart pending: ${f.path} changed ${formatAge(f.ageSeconds)} ago`),
    ...(c.error ? [`${INDENT}${c.error}`] : []),
  ];
  const versions = g.versions.map(
    (v) => `  ${pad('', 5)}  ${v.target}: ${v.version ? `LiteLLM ${v.version} (${v.source})` : 'version unknown'}`,
  );
  return ['Gateway', ...g.containers.flatMap((c, i) => [lines[i]!, ...pending(c)]), ...versions];
}

/** Rows as aligned columns (the last one as it is), after a two-space indent; the first column is 5 wide. */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? (i === 0 ? 5 : 0), cell.length)));
  return rows.map((r) =>
    `  ${r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]!))).join('  ')}`.trimEnd(),
  );
}

function pad(s: string, n: number): string {
  return s.padEnd(n);
}
