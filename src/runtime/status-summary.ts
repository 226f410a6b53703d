// A running agent's /status and /health documents (and the time now) as the summary a person reads at a glance,
// failing first: pure. `mcpwatch status` prints it (cli/status-render.ts), the page at `/` shows it
// (server/landing-html.ts).
import type { Check, HealthReport } from '../runtime/health-view.js';
import type { DiscoveryStatus } from '../discovery/status.js';
import type { ProbeStatus, StatusDocument } from '../runtime/status-view.js';

/** One probe: its last run's outcome, reason and age. */
export interface ProbeLine {
  name: string;
  type: string;
  target: string;
  /** `fail`: its last run failed; `pending`: it has not run yet. */
  state: 'fail' | 'ok' | 'pending';
  outcome: string | null;
  reason: string | null;
  /** When its last run started (ISO), and how long ago. */
  at: string | null;
  ageSeconds: number | null;
  lastSuccessAt: string | null;
  lastSuccessAgeSeconds: number | null;
  runs: number;
  failures: number;
  /** A run of it is in flight now. */
  running: boolean;
}

/** One upstream server as a catalog probe's last run saw it. */
export interface ServerLine {
  server: string;
  up: boolean;
  tools: number;
  /** Down: why (`mcp_catalog_server_failures_total`'s reason), and what the gateway said. */
  reason?: string;
  said?: string;
  /** The gateway's own health endpoint disagrees with the catalog: its word. */
  gatewayHealth?: string;
  probe: string;
  target: string;
  at: string;
  ageSeconds: number;
}

/** One client entry a client_config probe checks. */
export interface ClientLine {
  probe: string;
  client: string;
  file: string;
  line: number;
  server: string;
  /** No error-level finding, and its own request (when sent) went through. */
  ok: boolean;
  findings: Array<{ line: number; severity: string; code: string; message: string; fix: string }>;
  live?: { outcome: string; reason: string };
  notSent?: string;
  at: string;
  ageSeconds: number;
}

/** One followed container: the state of its log tail and its recent log matches. */
export interface ContainerLine {
  name: string;
  state: string;
  following: boolean;
  lines: number;
  error?: string;
  recentMatches: number;
  /** The newest recent match (ISO), and how long ago. */
  lastMatchAt: string | null;
  lastMatchAgeSeconds: number | null;
}

/** A followed container's own state (Docker), and the watched files it has not loaded yet. */
export interface GatewayContainerLine {
  name: string;
  target: string | null;
  status: string;
  running: boolean;
  health: string;
  restarts: number;
  oomKills: number;
  /** Since when it runs (seconds), null when it does not. */
  upSeconds: number | null;
  lastExit: { code: number | null; ageSeconds: number | null } | null;
  pendingFiles: Array<{ path: string; ageSeconds: number }>;
  error?: string;
}

/** The gateway itself: its containers and which version each target runs. */
export interface GatewaySummary {
  containers: GatewayContainerLine[];
  versions: Array<{ target: string; version: string | null; source: string | null }>;
}

/** One target's discovered servers (`discover`): where the list came from, how old it is, the last read. */
export interface DiscoveryLine {
  target: string;
  every: string;
  /** Null until a list is known. */
  source: string | null;
  readAgeSeconds: number | null;
  /** The list was read back from stateDir at start, not from the gateway since. */
  restored: boolean;
  servers: Array<{ name: string; probes: string[]; excluded: boolean; configured: string[] }>;
  /** The last read: null before the first. A failed one keeps the list. */
  lastAttempt: { ok: boolean; ageSeconds: number; error?: string } | null;
}

/** One named key of a target: its lifetime as the gateway keeps it, or what is wrong. */
export interface KeyLine {
  target: string;
  key: string;
  state: string;
  /** Refused, blocked, expired, over budget, or an error: what `message` says. */
  failing: boolean;
  expiresAt: string | null;
  /** Seconds until it expires (negative: expired); null when it never does or it is not known. */
  expiresInSeconds: number | null;
  maxBudget: number | null;
  budgetRemaining: number | null;
  message?: string;
}

export interface HealthLine {
  check: string;
  status: string;
  message?: string;
  /** A failed reload's problems (`path: message`). */
  problems?: string[];
}

/** What `mcpwatch status` shows (`--json` prints it as it is). */
export interface StatusSummary {
  url: string;
  reachable: true;
  /** Nothing fails: the exit code is 0. */
  ok: boolean;
  /** What fails, a phrase each (empty when all is well). */
  failing: string[];
  agent: {
    version: string;
    startedAt: string;
    uptimeSeconds: number;
    health: string;
    configPath: string;
    /** Which share of the probes this replica runs; null for an agent that does not say. */
    shard: { index: number; total: number; probes: number; ofProbes: number; tailsLogs: boolean } | null;
  };
  health: HealthLine[];
  probes: ProbeLine[];
  servers: ServerLine[];
  clients: ClientLine[];
  /** Null when the config follows no container (or this replica's shard does not tail logs). */
  logs: { docker: { up: boolean; endpoint: string; error?: string }; containers: ContainerLine[] } | null;
  /** Null for an agent that does not say (no containers followed, no target versions). */
  gateway: GatewaySummary | null;
  /** The targets with `discover`, a failed read first. */
  discovery: DiscoveryLine[];
  /** The named keys (`targets.NAME.keys`), failing first; a target whose keys cannot be known says it once. */
  keys: { lines: KeyLine[]; unavailable: Array<{ target: string; lifetimes: string }> };
}

/** Pure: the summary of an agent's /status and /health, ages counted to `now` (epoch ms). */
export function statusSummary(url: string, status: StatusDocument, health: HealthReport, now: number): StatusSummary {
  const age = (iso: string): number => Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const probes = failingFirst(
    status.probes.map((p) => probeLine(p, age)),
    (p) => ({ fail: 0, pending: 1, ok: 2 })[p.state],
  );
  const servers = failingFirst(
    status.probes.flatMap((p) => serverLines(p, age)),
    (s) => (s.up ? 1 : 0),
  );
  const clients = failingFirst(
    status.probes.flatMap((p) => clientLines(p, age)),
    (c) => (c.ok ? 1 : 0),
  );
  const checks = failingFirst(
    Object.entries(health.checks).map(([name, c]) => healthLine(name, c)),
    (h) => (h.status === 'ok' ? 1 : 0),
  );
  const logs = status.logs && {
    docker: status.logs.docker,
    containers: failingFirst(containerLines(status.logs, age), (c) => (c.following ? 1 : 0)),
  };
  const summary: Omit<StatusSummary, 'url' | 'reachable' | 'ok' | 'failing'> = {
    agent: {
      version: status.version,
      startedAt: status.startedAt,
      uptimeSeconds: status.uptimeSeconds,
      health: health.status,
      configPath: status.config.path,
      shard: status.shard ?? null,
    },
    health: checks,
    probes,
    servers,
    clients,
    logs: logs ?? null,
    gateway: status.gateway ? gatewaySummary(status.gateway, age) : null,
    discovery: failingFirst(
      (status.discovery ?? []).map((d) => discoveryLine(d, age)),
      (d) => (d.lastAttempt?.ok === false ? 0 : 1),
    ),
    keys: keySummary(status.keys ?? [], now),
  };
  const failing = failingPhrases(summary);
  return { url, reachable: true, ok: failing.length === 0, failing, ...summary };
}

function probeLine(p: ProbeStatus, age: (iso: string) => number): ProbeLine {
  const last = p.last;
  return {
    name: p.name,
    type: p.type,
    target: p.target,
    state: !last ? 'pending' : last.success ? 'ok' : 'fail',
    outcome: last?.outcome ?? null,
    reason: last?.reason ?? null,
    at: last?.startedAt ?? null,
    ageSeconds: last ? age(last.startedAt) : null,
    lastSuccessAt: p.lastSuccessAt,
    lastSuccessAgeSeconds: p.lastSuccessAt === null ? null : age(p.lastSuccessAt),
    runs: p.runs,
    failures: p.failures,
    running: p.inFlight,
  };
}

/** The servers of a probe whose last run reported them (catalog probes): read from the details' shape, not a type. */
function serverLines(p: ProbeStatus, age: (iso: string) => number): ServerLine[] {
  const last = p.last;
  const d = last?.details;
  if (!last || !d || !('servers' in d) || !d.servers) return [];
  const gateway = 'gatewayHealth' in d ? d.gatewayHealth?.servers : undefined;
  return Object.entries(d.servers).map(([server, st]) => {
    const gw = gateway?.[server];
    return {
      server,
      up: st.up,
      tools: st.tools,
      ...(!st.up && { reason: st.reason, ...(st.said !== undefined && { said: st.said }) }),
      ...(gw?.mismatch && { gatewayHealth: gw.status }),
      probe: p.name,
      target: p.target,
      at: last.startedAt,
      ageSeconds: age(last.startedAt),
    };
  });
}

/** The client entry of a probe whose last run checked one (client_config probes), by the details' shape. */
function clientLines(p: ProbeStatus, age: (iso: string) => number): ClientLine[] {
  const last = p.last;
  const d = last?.details;
  if (!last || !d || !('findings' in d) || !('client' in d)) return [];
  const findings = [...d.findings].sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  const liveOk = !d.live || d.live.outcome === 'ok';
  return [
    {
      probe: p.name,
      client: d.client,
      file: d.file,
      line: d.line,
      server: d.server,
      ok: liveOk && !findings.some((f) => f.severity === 'error'),
      findings,
      ...(d.live && { live: { outcome: d.live.outcome, reason: d.live.reason } }),
      ...(d.notSent !== undefined && { notSent: d.notSent }),
      at: last.startedAt,
      ageSeconds: age(last.startedAt),
    },
  ];
}

function containerLines(logs: NonNullable<StatusDocument['logs']>, age: (iso: string) => number): ContainerLine[] {
  return logs.containers.map((c) => {
    // recentMatches: newest first.
    const newest = logs.recentMatches.find((m) => m.container === c.name);
    return {
      name: c.name,
      state: c.state,
      following: c.state === 'following',
      lines: c.lines,
      ...(c.error !== undefined && { error: c.error }),
      recentMatches: logs.recentMatches.filter((m) => m.container === c.name).length,
      lastMatchAt: newest?.at ?? null,
      lastMatchAgeSeconds: newest ? age(newest.at) : null,
    };
  });
}

function gatewaySummary(g: NonNullable<StatusDocument['gateway']>, age: (iso: string) => number): GatewaySummary {
  const containers = g.containers.map((c) => ({
    name: c.name,
    target: c.target,
    status: c.status,
    running: c.running,
    health: c.health,
    restarts: c.restarts,
    oomKills: c.oomKills,
    upSeconds: c.running && c.startedAt ? age(c.startedAt) : null,
    lastExit: c.lastExit && { code: c.lastExit.code, ageSeconds: c.lastExit.at ? age(c.lastExit.at) : null },
    pendingFiles: c.pendingFiles.map((f) => ({ path: f.path, ageSeconds: age(f.changedAt) })),
    ...(c.error && { error: c.error }),
  }));
  return {
    containers: failingFirst(containers, (c) => (gatewayTrouble(c) ? 0 : 1)),
    versions: g.versions.map((v) => ({ target: v.target, version: v.version, source: v.source })),
  };
}

function discoveryLine(d: DiscoveryStatus, age: (iso: string) => number): DiscoveryLine {
  return {
    target: d.target,
    every: d.every,
    source: d.list?.source ?? null,
    readAgeSeconds: d.list ? age(d.list.readAt) : null,
    restored: d.list?.restored === true,
    servers: (d.list?.servers ?? []).map((x) => ({
      name: x.name,
      probes: x.probes,
      excluded: x.excluded === true,
      configured: Object.values(x.configured ?? {}),
    })),
    lastAttempt: d.lastAttempt
      ? {
          ok: d.lastAttempt.ok,
          ageSeconds: age(d.lastAttempt.at),
          ...(d.lastAttempt.error !== undefined && { error: d.lastAttempt.error }),
        }
      : null,
  };
}

/** States of a key that fail (`mcpwatch status` exits 1): the gateway refuses it, or an ask went wrong. */
const FAILING_KEY_STATES = new Set(['expired', 'blocked', 'refused', 'error']);

function keySummary(targets: NonNullable<StatusDocument['keys']>, now: number): StatusSummary['keys'] {
  const lines = targets.flatMap((t) =>
    t.keys.map((k) => ({
      target: t.target,
      key: k.key,
      state: k.state,
      failing: FAILING_KEY_STATES.has(k.state) || (k.budgetRemaining !== null && k.budgetRemaining <= 0),
      expiresAt: k.expiresAt,
      expiresInSeconds: k.expiresAt ? Math.floor((Date.parse(k.expiresAt) - now) / 1000) : null,
      maxBudget: k.maxBudget,
      budgetRemaining: k.budgetRemaining,
      ...(k.message !== undefined && { message: k.message }),
    })),
  );
  return {
    lines: failingFirst(lines, (k) => (k.failing ? 0 : 1)),
    unavailable: targets.flatMap((t) => (t.lifetimes ? [{ target: t.target, lifetimes: t.lifetimes }] : [])),
  };
}

/** What is wrong with a gateway container, if anything: not running, unhealthy, a restart pending. */
function gatewayTrouble(c: GatewayContainerLine): string | undefined {
  if (!c.running) return `${c.name} ${c.status === 'missing' ? 'not there' : c.status}`;
  if (c.health === 'unhealthy') return `${c.name} unhealthy`;
  if (c.pendingFiles.length) return `${c.name} restart pending (${c.pendingFiles.map((f) => f.path).join(', ')})`;
  return undefined;
}

function severityRank(s: string): number {
  return s === 'error' ? 0 : 1;
}

function healthLine(name: string, c: Check): HealthLine {
  const problems = Array.isArray(c.problems) ? c.problems.filter((x): x is string => typeof x === 'string') : [];
  return {
    check: name,
    status: c.status,
    ...(c.message !== undefined && { message: c.message }),
    ...(problems.length > 0 && { problems }),
  };
}

/** Stable: the items of rank 0 first, in their order, then rank 1, … */
function failingFirst<T>(items: T[], rank: (t: T) => number): T[] {
  return items
    .map((t, i) => ({ t, i, r: rank(t) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.t);
}

function failingPhrases(s: Omit<StatusSummary, 'url' | 'reachable' | 'ok' | 'failing'>): string[] {
  const out: string[] = [];
  const failed = s.probes.filter((p) => p.state === 'fail');
  if (failed.length) out.push(`${failed.length} of ${plural(s.probes.length, 'probe')} failing`);
  const down = s.servers.filter((x) => !x.up);
  if (down.length) out.push(`${plural(down.length, 'server')} down (${unique(down.map((x) => x.server)).join(', ')})`);
  const clients = s.clients.filter((c) => !c.ok);
  if (clients.length) out.push(`${plural(clients.length, 'client entry', 'client entries')} failing`);
  const notFollowed = s.logs?.containers.filter((c) => !c.following) ?? [];
  if (notFollowed.length)
    out.push(`${plural(notFollowed.length, 'container')} not followed (${notFollowed.map((c) => c.name).join(', ')})`);
  const gateway = (s.gateway?.containers ?? []).map(gatewayTrouble).filter((t) => t !== undefined);
  if (gateway.length) out.push(`gateway container ${gateway.join(', ')}`);
  const noList = s.discovery.filter((d) => d.lastAttempt?.ok === false).map((d) => d.target);
  if (noList.length) out.push(`discovery failing (${noList.join(', ')})`);
  const keys = s.keys.lines.filter((k) => k.failing).map((k) => `${k.target}/${k.key}`);
  if (keys.length) out.push(`${plural(keys.length, 'key')} refused or spent (${keys.join(', ')})`);
  if (s.agent.health !== 'ok') {
    const checks = s.health.filter((h) => h.status !== 'ok').map((h) => h.check);
    out.push(`health ${s.agent.health}${checks.length ? ` (${checks.join(', ')})` : ''}`);
  }
  return out;
}

/** `1 probe`, `3 probes`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** `12s`, `3m12s`, `2h5m`, `3d4h`: seconds as a person reads an age. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600) ? `${Math.floor((s % 86_400) / 3600)}h` : ''}`;
}
