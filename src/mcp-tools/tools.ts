import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { VERSION } from '../version.js';
import { elsewhereMessage } from '../runtime/status-view.js';
import type { MonitoringSource } from './port.js';
import type { RunRateLimiter } from './rate-limit.js';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, openWorldHint: false } as const;

/**
 * mcpwatch as an MCP server: read-only tools over its own state, for the "monitoring" MCP service
 * behind the gateway. A new server per request (stateless); every answer passes the Redactor.
 */
export function createMonitoringServer(source: MonitoringSource, limiter: RunRateLimiter): McpServer {
  const server = new McpServer(
    { name: 'mcpwatch', version: VERSION },
    {
      instructions:
        'Read-only monitoring of the MCP gateway (LiteLLM) by mcpwatch: health, probe results, auth errors from the gateway log, tool catalogs.',
    },
  );
  const answer = (value: unknown): CallToolResult => ({
    content: [{ type: 'text', text: JSON.stringify(source.redactor.maskDeep(value), null, 2) }],
  });
  const fail = (message: string): CallToolResult => ({
    isError: true,
    content: [{ type: 'text', text: source.redactor.mask(message) }],
  });
  const unknownProbe = (name: string): CallToolResult => {
    // A probe of another shard is configured, but another replica runs it: say which.
    const elsewhere = source.probeElsewhere(name);
    return fail(
      elsewhere
        ? elsewhereMessage(elsewhere)
        : `unknown probe "${name}"; probes: ${source.probeNames().join(', ') || '(none)'}`,
    );
  };

  server.registerTool(
    'get_health',
    {
      title: 'Health of mcpwatch and of the gateway',
      description:
        "mcpwatch's own health (ok/degraded/unhealthy, with the failing checks) and the gateway's state per target: which probes fail and why. Start here.",
      annotations: READ_ONLY,
    },
    () => {
      const health = source.health();
      const { probes, shard } = source.status();
      const failing = probes.flatMap((p) =>
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
      const summary =
        `mcpwatch ${health.status}${shard.total > 1 ? ` (shard ${shard.index} of ${shard.total}: ${shard.probes} of ${shard.ofProbes} probes)` : ''}. ` +
        (failing.length === 0
          ? `All ${probes.length} probes pass.`
          : `${failing.length} of ${probes.length} probes fail: ${failing.map((f) => `${f.name} (${f.outcome}: ${f.reason})`).join('; ')}`);
      return answer({
        summary,
        mcpwatch: { status: health.status, checks: health.checks },
        shard,
        targets: health.targets,
        failingProbes: failing,
      });
    },
  );

  server.registerTool(
    'list_probes',
    {
      title: 'List probes',
      description: 'Every configured probe with its type, target, schedule and last outcome.',
      annotations: READ_ONLY,
    },
    () =>
      answer(
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
  );

  server.registerTool(
    'get_probe_result',
    {
      title: 'Last result of a probe',
      description: 'The last result of one probe (outcome, reason, phases, details) and its recent history.',
      inputSchema: {
        name: z.string().min(1).max(200).describe('probe name, from list_probes'),
        history: z.number().int().min(0).max(50).default(10).describe('how many past runs to include'),
      },
      annotations: READ_ONLY,
    },
    ({ name, history }) => {
      const p = source.status().probes.find((x) => x.name === name);
      if (!p) return unknownProbe(name);
      return answer({ ...p, history: history === 0 ? [] : p.history.slice(-history) });
    },
  );

  server.registerTool(
    'run_probe',
    {
      title: 'Run a probe now',
      description:
        'Runs one configured probe now and returns its result. Rate-limited: a probe run less than 10 s ago returns that result instead.',
      inputSchema: { name: z.string().min(1).max(200).describe('probe name, from list_probes') },
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: true },
    },
    async ({ name }) => {
      if (!source.probeNames().includes(name)) return unknownProbe(name);
      const decision = limiter.take(name);
      if (decision.kind === 'limited') return fail(`rate limited: ${decision.message}`);
      if (decision.kind === 'cached')
        return answer({
          note: decision.message,
          ...decision.result,
          startedAt: new Date(decision.result.startedAt).toISOString(),
        });
      const result = await source.runProbe(name);
      limiter.remember(name, result);
      const { steps: _steps, ...rest } = result;
      return answer({ ...rest, startedAt: new Date(result.startedAt).toISOString() });
    },
  );

  server.registerTool(
    'get_recent_auth_errors',
    {
      title: 'Recent auth and MCP errors from the gateway log',
      description:
        "Recent matches in LiteLLM's log (keys masked), newest first, with counts by kind and origin. origin=probe: provoked by mcpwatch's own auth_guard; external: real clients. kind malformed_key = a client sent its key without the 'Bearer ' prefix.",
      inputSchema: {
        category: z.enum(['auth', 'mcp', 'http', 'all']).default('auth'),
        kind: z.string().max(64).optional().describe('only this kind, e.g. malformed_key'),
        origin: z.enum(['probe', 'external', 'all']).default('all'),
        limit: z.number().int().min(1).max(100).default(20),
      },
      annotations: READ_ONLY,
    },
    ({ category, kind, origin, limit }) => {
      const recent = source.recentLogMatches();
      if (!recent) return fail('log tailing is not configured (logs.containers in the config)');
      const all = recent.filter(
        (m) =>
          (category === 'all' || m.category === category) &&
          (kind === undefined || m.kind === kind) &&
          (origin === 'all' || m.origin === origin),
      );
      const counts: Record<string, number> = {};
      for (const m of all)
        counts[`${m.category}/${m.kind}/${m.origin}`] = (counts[`${m.category}/${m.kind}/${m.origin}`] ?? 0) + 1;
      return answer({ total: all.length, counts, matches: all.slice(0, limit) });
    },
  );

  server.registerTool(
    'get_catalog',
    {
      title: 'Tool catalog seen through the gateway',
      description:
        'The last tool catalog each mcp_catalog probe saw (tools per server, the tool names) and what changed since the catalog before.',
      inputSchema: { target: z.string().max(200).optional().describe('only this target') },
      annotations: READ_ONLY,
    },
    ({ target }) => {
      const catalogs = source.catalogs().filter((c) => target === undefined || c.target === target);
      return answer(catalogs);
    },
  );

  // registerTool advertises tools.listChanged, but a stateless endpoint (a server per request, no
  // GET stream) can never send that notification: advertise only what it does.
  server.server.registerCapabilities({ tools: { listChanged: false } });
  return server;
}
