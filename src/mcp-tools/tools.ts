import { McpServer, type CallToolResult, type ToolAnnotations } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { VERSION } from '../version.js';
import { elsewhereMessage, type LastRun, type ProbeStatus, type ShardStatus } from '../runtime/status-view.js';
import type { MonitoringSource } from './port.js';
import type { RunRateLimiter } from './rate-limit.js';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, openWorldHint: false } as const;

const INSTRUCTIONS =
  'Read-only monitoring of the MCP gateway (LiteLLM) by mcpwatch: health, probe results, ' +
  'auth errors from the gateway log, tool catalogs.';

/** What a tool answers from: the agent's state, and the limit on the runs it starts. */
export interface ToolContext {
  source: MonitoringSource;
  limiter: RunRateLimiter;
}

/** One MCP tool: what tools/list shows of it, and how it answers a call. */
export interface ToolDefinition<S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  /** Absent: the tool takes no arguments. */
  inputSchema?: S;
  annotations: ToolAnnotations;
  handler(args: z.infer<z.ZodObject<S>>, ctx: ToolContext): CallToolResult | Promise<CallToolResult>;
}

/** Types a definition's handler by its schema; the table holds them all alike. */
function tool<S extends z.ZodRawShape>(def: ToolDefinition<S>): ToolDefinition {
  return def as unknown as ToolDefinition;
}

/** A tool's answer: the value as JSON, masked. */
function answer(source: MonitoringSource, value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(source.redactor.maskDeep(value), null, 2) }] };
}

function fail(source: MonitoringSource, message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: source.redactor.mask(message) }] };
}

function unknownProbe(source: MonitoringSource, name: string): CallToolResult {
  // A probe of another shard is configured, but another replica runs it: say which.
  const elsewhere = source.probeElsewhere(name);
  const names = source.probeNames().join(', ') || '(none)';
  return fail(source, elsewhere ? elsewhereMessage(elsewhere) : `unknown probe "${name}"; probes: ${names}`);
}

type FailingProbe = Pick<ProbeStatus, 'name' | 'target' | 'type' | 'lastSuccessAt'> &
  Pick<LastRun, 'outcome' | 'reason'>;

/** The probes whose last run failed, as get_health lists them. */
function failingProbes(probes: readonly ProbeStatus[]): FailingProbe[] {
  return probes.flatMap((p) =>
    p.last && !p.last.success
      ? [
          {
            name: p.name,
            target: p.target,
            type: p.type,
            outcome: p.last.outcome,
            reason: p.last.reason,
            lastSuccessAt: p.lastSuccessAt,
          },
        ]
      : [],
  );
}

/** get_health's one-line summary. */
function healthSummary(status: string, shard: ShardStatus, probes: number, failing: readonly FailingProbe[]): string {
  const ofShard =
    shard.total > 1 ? ` (shard ${shard.index} of ${shard.total}: ${shard.probes} of ${shard.ofProbes} probes)` : '';
  const fails = failing.map((f) => `${f.name} (${f.outcome}: ${f.reason})`).join('; ');
  return (
    `mcpwatch ${status}${ofShard}. ` +
    (failing.length === 0 ? `All ${probes} probes pass.` : `${failing.length} of ${probes} probes fail: ${fails}`)
  );
}

function getHealth(source: MonitoringSource): CallToolResult {
  const health = source.health();
  const { probes, shard } = source.status();
  const failing = failingProbes(probes);
  return answer(source, {
    summary: healthSummary(health.status, shard, probes.length, failing),
    mcpwatch: { status: health.status, checks: health.checks },
    shard,
    targets: health.targets,
    failingProbes: failing,
  });
}

async function runProbe(name: string, { source, limiter }: ToolContext): Promise<CallToolResult> {
  if (!source.probeNames().includes(name)) return unknownProbe(source, name);
  const decision = limiter.take(name);
  if (decision.kind === 'limited') return fail(source, `rate limited: ${decision.message}`);
  if (decision.kind === 'cached') {
    const { result } = decision;
    return answer(source, { note: decision.message, ...result, startedAt: new Date(result.startedAt).toISOString() });
  }
  const result = await source.runProbe(name);
  limiter.remember(name, result);
  const { steps: _steps, ...rest } = result;
  return answer(source, { ...rest, startedAt: new Date(result.startedAt).toISOString() });
}

interface LogMatchFilter {
  category: 'auth' | 'mcp' | 'http' | 'all';
  kind?: string | undefined;
  origin: 'probe' | 'external' | 'all';
  limit: number;
}

function recentAuthErrors(source: MonitoringSource, { category, kind, origin, limit }: LogMatchFilter): CallToolResult {
  const recent = source.recentLogMatches();
  if (!recent) return fail(source, 'log tailing is not configured (logs.containers in the config)');
  const all = recent.filter(
    (m) =>
      (category === 'all' || m.category === category) &&
      (kind === undefined || m.kind === kind) &&
      (origin === 'all' || m.origin === origin),
  );
  const counts: Record<string, number> = {};
  for (const m of all) {
    const key = `${m.category}/${m.kind}/${m.origin}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return answer(source, { total: all.length, counts, matches: all.slice(0, limit) });
}

const probeName = (): z.ZodString => z.string().min(1).max(200).describe('probe name, from list_probes');

/** The tools, in the order tools/list lists them. */
export const TOOLS: readonly ToolDefinition[] = [
  tool({
    name: 'get_health',
    title: 'Health of mcpwatch and of the gateway',
    description:
      "mcpwatch's own health (ok/degraded/unhealthy, with the failing checks) and the gateway's state per target: " +
      'which probes fail and why. Start here.',
    annotations: READ_ONLY,
    handler: (_args, { source }) => getHealth(source),
  }),
  tool({
    name: 'list_probes',
    title: 'List probes',
    description: 'Every configured probe with its type, target, schedule and last outcome.',
    annotations: READ_ONLY,
    handler: (_args, { source }) =>
      answer(
        source,
        source.status().probes.map((p) => ({
          name: p.name,
          type: p.type,
          target: p.target,
          schedule: p.schedule,
          outcome: p.last?.outcome ?? null,
          reason: p.last?.reason ?? null,
          lastRunAt: p.last?.startedAt ?? null,
          lastSuccessAt: p.lastSuccessAt,
        })),
      ),
  }),
  tool({
    name: 'get_probe_result',
    title: 'Last result of a probe',
    description: 'The last result of one probe (outcome, reason, phases, details) and its recent history.',
    inputSchema: {
      name: probeName(),
      history: z.number().int().min(0).max(50).default(10).describe('how many past runs to include'),
    },
    annotations: READ_ONLY,
    handler: ({ name, history }, { source }) => {
      const p = source.status().probes.find((x) => x.name === name);
      if (!p) return unknownProbe(source, name);
      return answer(source, { ...p, history: history === 0 ? [] : p.history.slice(-history) });
    },
  }),
  tool({
    name: 'run_probe',
    title: 'Run a probe now',
    description:
      'Runs one configured probe now and returns its result. ' +
      'Rate-limited: a probe run less than 10 s ago returns that result instead.',
    inputSchema: { name: probeName() },
    annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: true },
    handler: ({ name }, ctx) => runProbe(name, ctx),
  }),
  tool({
    name: 'get_recent_auth_errors',
    title: 'Recent auth and MCP errors from the gateway log',
    description:
      "Recent matches in LiteLLM's log (keys masked), newest first, with counts by kind and origin. " +
      "origin=probe: provoked by mcpwatch's own auth_guard; external: real clients. " +
      "kind malformed_key = a client sent its key without the 'Bearer ' prefix.",
    inputSchema: {
      category: z.enum(['auth', 'mcp', 'http', 'all']).default('auth'),
      kind: z.string().max(64).optional().describe('only this kind, e.g. malformed_key'),
      origin: z.enum(['probe', 'external', 'all']).default('all'),
      limit: z.number().int().min(1).max(100).default(20),
    },
    annotations: READ_ONLY,
    handler: (filter, { source }) => recentAuthErrors(source, filter),
  }),
  tool({
    name: 'get_catalog',
    title: 'Tool catalog seen through the gateway',
    description:
      'The last tool catalog each mcp_catalog probe saw (tools per server, the tool names) ' +
      'and what changed since the catalog before.',
    inputSchema: { target: z.string().max(200).optional().describe('only this target') },
    annotations: READ_ONLY,
    handler: ({ target }, { source }) =>
      answer(
        source,
        source.catalogs().filter((c) => target === undefined || c.target === target),
      ),
  }),
];

function register(server: McpServer, t: ToolDefinition, ctx: ToolContext): void {
  const { title, description, annotations } = t;
  if (t.inputSchema === undefined) {
    // Without an input schema the SDK passes the handler its context alone: such a tool gets no arguments.
    server.registerTool(t.name, { title, description, annotations }, () => t.handler({}, ctx));
    return;
  }
  const inputSchema = z.object(t.inputSchema);
  server.registerTool(t.name, { title, description, inputSchema, annotations }, (args) => t.handler(args, ctx));
}

/** tools/list is the same for every caller and for the life of the process (2026-07-28 caching hints). */
const CACHE_HINTS = { 'tools/list': { ttlMs: 60_000, cacheScope: 'public' } } as const;

/**
 * mcpwatch as an MCP server: read-only tools over its own state, for the "monitoring" MCP service
 * behind the gateway. A new server per request (stateless, on both protocol eras); every answer
 * passes the Redactor.
 */
export function createMonitoringServer(source: MonitoringSource, limiter: RunRateLimiter): McpServer {
  const server = new McpServer(
    { name: 'mcpwatch', version: VERSION },
    { instructions: INSTRUCTIONS, cacheHints: CACHE_HINTS },
  );
  for (const t of TOOLS) register(server, t, { source, limiter });
  // registerTool advertises tools.listChanged, but a stateless endpoint (a server per request, no
  // GET stream) can never send that notification: advertise only what it does.
  server.server.registerCapabilities({ tools: { listChanged: false } });
  return server;
}
