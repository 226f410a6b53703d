import { parseDocument, type Document } from 'yaml';
import { formatDuration } from './duration.js';
import { formatPath, interpolateDocument } from './interpolate.js';
import type { ConfigProblem } from './problems.js';
import { configSchema, type RawConfig } from './schema.js';
import { probeTypeOf, type ProbeConfig } from '../probes/table.js';
import { crossCheck } from './cross-check.js';
import { formatIssue, type Located } from './issues.js';
import type { Target } from './target.js';
import { isLoopbackHost } from '../util/origins.js';

export type Schedule = { kind: 'cron'; expr: string } | { kind: 'every'; ms: number };

/** A probe as the scheduler runs it: schedule and timeout settled. */
export type Probe = ProbeConfig & { scheduleSpec: Schedule; timeoutMs: number };

export interface Config extends Omit<RawConfig, 'probes' | 'targets' | 'mcpServer'> {
  targets: Record<string, Target>;
  probes: Probe[];
  /** Its deprecated allowedOrigins and allowedHosts moved to `web` (settleWeb). */
  mcpServer: Omit<RawConfig['mcpServer'], 'allowedOrigins' | 'allowedHosts'>;
  /** The targets' `discover` blocks, by target (none without one): src/discovery/ runs them. */
  discover?: Record<string, Discover>;
}

/** A target's `discover` block, settled: its templates as probes of the target (name and servers set per server). */
export interface Discover {
  everyMs: number;
  timeoutMs: number;
  /** Server names never probed. */
  exclude: string[];
  /** Each template, a probe of the target with a placeholder name and no servers. */
  templates: Probe[];
}

export type ParseResult =
  { ok: true; config: Config; warnings: ConfigProblem[] } | { ok: false; problems: ConfigProblem[]; raw?: unknown };

export const DEFAULT_EVERY_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Text → validated config. Pure: the environment is passed in, nothing is read from disk
 * (key files are resolved by load.ts). Reports every problem it finds, each as `path: message`.
 */
export function parseConfig(text: string, env: Readonly<Record<string, string | undefined>>): ParseResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const lines = text.split(/\r?\n/);
    const hinted = new Set<number>();
    return {
      ok: false,
      // After the first few, YAML syntax errors are mostly echoes of the first.
      problems: doc.errors.slice(0, 3).map((e) => {
        const line = e.linePos?.[0].line;
        const hint = line !== undefined && !hinted.has(line) ? unquotedVariableHint(lines[line - 1]) : '';
        if (hint) hinted.add(line!);
        return {
          path: e.linePos ? `yaml (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : 'yaml',
          message: firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '') + hint,
        };
      }),
    };
  }
  const problems: Located[] = interpolateDocument(doc, env).map((p) => ({ segs: p.segments, message: p.message }));
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // e.g. an alias to an anchor that is not set, or too many aliases (a "billion laughs")
    return { ok: false, problems: [{ path: 'yaml', message: (err as Error).message }] };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: '(root)', message: 'the config must be a YAML mapping' }] };
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((i) => formatIssue(i, raw)));
  problems.push(...crossCheck(raw as Record<string, unknown>));

  if (problems.length > 0 || !parsed.success) return { ok: false, problems: inDocumentOrder(problems, doc), raw };

  const warnings: ConfigProblem[] = [];
  const config = settle(parsed.data, warnings);
  return { ok: true, config, warnings };
}

/** Sorts problems as they appear in the file (a missing key sorts at its parent) and formats their paths. */
function inDocumentOrder(problems: Located[], doc: Document): ConfigProblem[] {
  const offsetOf = (segs: PropertyKey[]): number => {
    for (let n = segs.length; n >= 0; n--) {
      const node = doc.getIn(segs.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return node.range[0];
    }
    return 0;
  };
  const seen = new Set<string>();
  return problems
    .map((p, i) => ({ p, i, at: offsetOf(p.segs) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map(({ p }) => ({ path: formatPath(p.segs), message: p.message }))
    .filter((p) => {
      const k = `${p.path}\u0000${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

function settle(raw: RawConfig, warnings: ConfigProblem[]): Config {
  const targets: Record<string, Target> = {};
  for (const [name, { discover: _discover, ...t }] of Object.entries(raw.targets)) {
    targets[name] = { ...t, name };
    if (t.apiKey === undefined && t.apiKeyFile === undefined) {
      warnings.push({ path: `targets.${name}`, message: 'no apiKey: requests to this target are sent without a key' });
    }
    const tokenUrl = plainHttpElsewhere(t.oauth2?.tokenUrl);
    if (tokenUrl) {
      warnings.push({
        path: `targets.${name}.oauth2.tokenUrl`,
        message:
          `${tokenUrl} is plain http to another host: the MCP SDK sends the client's credentials nowhere but ` +
          'https (or this machine), so every run of this target fails tls_error; use https',
      });
    }
  }
  const probes = raw.probes.map((p, i) => settleProbe(p, targets[p.target], `probes[${i}]`, warnings));
  const discover: NonNullable<Config['discover']> = {};
  for (const [name, t] of Object.entries(raw.targets)) {
    if (!t.discover) continue;
    const { every, timeout, exclude, probes: templates } = t.discover;
    discover[name] = {
      everyMs: every,
      timeoutMs: timeout,
      exclude,
      templates: templates.map((p, j) =>
        settleProbe({ ...p, target: name }, targets[name], `targets.${name}.discover.probes[${j}]`, warnings),
      ),
    };
  }
  return {
    ...raw,
    ...settleWeb(raw, warnings),
    targets,
    probes,
    ...(Object.keys(discover).length > 0 && { discover }),
  };
}

/** The URL (origin and path), when it is plain http to a host other than this machine. */
function plainHttpElsewhere(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const u = new URL(url);
  return u.protocol === 'http:' && !isLoopbackHost(u.hostname) ? `${u.origin}${u.pathname}` : undefined;
}

/** A probe's schedule and timeout settled (`at`: where it is written, for warnings), and what depends on its target. */
function settleProbe(p: ProbeConfig, target: Target | undefined, at: string, warnings: ConfigProblem[]): Probe {
  const scheduleSpec: Schedule =
    p.schedule !== undefined ? { kind: 'cron', expr: p.schedule } : { kind: 'every', ms: p.every ?? DEFAULT_EVERY_MS };
  const timeoutMs = p.timeout ?? target?.timeout ?? DEFAULT_TIMEOUT_MS;
  if (scheduleSpec.kind === 'every' && timeoutMs > scheduleSpec.ms) {
    const interval = formatDuration(scheduleSpec.ms);
    warnings.push({
      path: `${at}.timeout`,
      message:
        `timeout ${formatDuration(timeoutMs)} is longer than the interval ${interval}: ` +
        'runs that take that long skip the next tick',
    });
  }
  // What depends on the target is the type's to settle (the guard's checks that apply to it).
  const own = probeTypeOf(p.type)?.settle?.(p, target) ?? p;
  return { ...own, scheduleSpec, timeoutMs };
}

/**
 * `mcpServer.allowedOrigins` and `allowedHosts`, the old names of `web`'s (which apply to every route), taken there
 * with a warning; both set is a problem of cross-check.ts.
 */
function settleWeb(raw: RawConfig, warnings: ConfigProblem[]): Pick<Config, 'web' | 'mcpServer'> {
  const { allowedOrigins, allowedHosts, ...mcpServer } = raw.mcpServer;
  const web = { ...raw.web };
  for (const [key, old] of [
    ['allowedOrigins', allowedOrigins],
    ['allowedHosts', allowedHosts],
  ] as const) {
    if (old === undefined) continue;
    warnings.push({
      path: `mcpServer.${key}`,
      message: `deprecated: move it to web.${key} (it applies to every route now, not only /mcp)`,
    });
    if (web[key].length === 0) web[key] = old;
  }
  return { web, mcpServer };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/**
 * A hint for a YAML error on a line with an unquoted `${VAR}` in a flow mapping or sequence (`{ apiKey: ${KEY} }`):
 * YAML reads its `{` as a nested mapping, before mcpwatch ever sees the variable. Quoted, it is a string.
 */
function unquotedVariableHint(line: string | undefined): string {
  const m = line && /[{[,]\s*[\w.-]+:\s*(\$\{[^}]*\})/.exec(line);
  return m ? ` (an unquoted ${m[1]} in { } or [ ]: quote it, "${m[1]}")` : '';
}
