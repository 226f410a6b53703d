import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport, type VersionNegotiationMode } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { pino } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import * as z from 'zod';
import { parseConfig } from '../src/config/parse.js';
import { EraMemory, MODERN_VERSION } from '../src/probes/mcp/eras.js';
import { runProbe, type RunDeps } from '../src/scheduler/run.js';
import { Redactor } from '../src/util/redact.js';
import { percentile, type BenchResult } from './lib.js';

/**
 * Probe overhead: an mcp_catalog probe (handshake + tools/list + close) against a local dual-era MCP server (SDK v2,
 * 2026-07-28 and the 2025 revisions on one endpoint), run by mcpwatch's runner, against the bare SDK v2 client making
 * the same calls over a fresh connection each time (as the probe does), in each era the target's `protocol` picks. The
 * difference is what mcpwatch adds per run; the server counts the HTTP requests each run makes.
 */

/** The target's `protocol` settings measured; the goal is on the two eras, `auto` is shown beside them. */
const MODES = ['modern', 'legacy', 'auto'] as const;
type Mode = (typeof MODES)[number];
const GOAL_MODES: readonly Mode[] = ['modern', 'legacy'];
const GOAL_MS = 2;
const WARMUP = 50;
/** Which client made a request: `bare-modern`, `mcpwatch-legacy`… (a header of the bench's own). */
const TAG = 'x-bench-client';

/** What the bare client is told: the SDK has no "modern" mode, a pinned revision is it. */
const BARE_NEGOTIATION: Record<Mode, VersionNegotiationMode> = {
  modern: { pin: MODERN_VERSION },
  legacy: 'legacy',
  auto: 'auto',
};

/** The v2 server of one request: 20 tools. */
function benchServer(): McpServer {
  const mcp = new McpServer({ name: 'bench', version: '2' }, { capabilities: { tools: {} } });
  for (let i = 0; i < 20; i++)
    mcp.registerTool(
      `srv-tool_${i}`,
      { description: `tool ${i}`, inputSchema: z.object({ q: z.string(), n: z.number().optional() }) },
      () => Promise.resolve({ content: [{ type: 'text' as const, text: 'ok' }] }),
    );
  return mcp;
}

/** The dual-era server on a free local port, counting the requests of each client (by TAG) as `METHOD rpc [status]`. */
async function localMcpServer(): Promise<{ server: Server; url: string; seen: Map<string, Map<string, number>> }> {
  const handler = createMcpHandler(benchServer, { legacy: 'stateless' });
  const node = toNodeHandler(handler);
  const seen = new Map<string, Map<string, number>>();
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const tag = String(req.headers[TAG] ?? '?');
      const rpc = rpcOf(body);
      // Counted as answered, a refusal with its status (`GET 405`).
      res.on('finish', () => {
        const label = [req.method, rpc, res.statusCode >= 300 && res.statusCode].filter(Boolean).join(' ');
        const counts = seen.get(tag) ?? new Map<string, number>();
        seen.set(tag, counts);
        counts.set(label, (counts.get(label) ?? 0) + 1);
      });
      // The body was read: hand it on as the stream the SDK reads.
      const replay = Object.assign(Object.create(req) as IncomingMessage, {
        async *[Symbol.asyncIterator]() {
          if (body.length) yield body;
        },
      });
      await node(replay, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  server.on('close', () => void handler.close());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function rpcOf(body: Buffer): string | undefined {
  try {
    const m = (JSON.parse(body.toString('utf8')) as { method?: unknown }).method;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bare SDK v2 client doing what the probe does: connect (server/discover or initialize), one raw tools/list (the
 * client's list cache bypassed, as the probe does), the session ended (DELETE, when the server gave one: close() sends
 * none), closed; a fresh connection each run.
 */
function bareClient(url: string, mode: Mode): () => Promise<void> {
  return async () => {
    const dispatcher = new Agent();
    const client = new Client(
      { name: 'bare', version: '1' },
      { capabilities: {}, versionNegotiation: { mode: BARE_NEGOTIATION[mode] } },
    );
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { [TAG]: `bare-${mode}` } },
      fetch: (u, init) =>
        undiciFetch(
          u as string,
          { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1],
        ) as unknown as Promise<Response>,
    });
    await client.connect(transport);
    const res = await client.request({ method: 'tools/list', params: {} });
    if (res.tools.length !== 20) throw new Error(`bare ${mode}: ${res.tools.length} tools`);
    if (transport.sessionId) await transport.terminateSession();
    await client.close();
    await dispatcher.destroy();
  };
}

/** The mcp_catalog probe on a target with `protocol: mode`, run by mcpwatch's runner (as a CLI run is). */
function viaMcpwatch(url: string, mode: Mode): () => Promise<void> {
  const r = parseConfig(
    `targets:\n  t: { url: "${url}", mcpPath: /mcp, protocol: ${mode}, headers: { ${TAG}: mcpwatch-${mode} } }\n` +
      `probes:\n  - { name: c, type: mcp_catalog, target: t, expect: { minTools: 20 } }\n`,
    {},
  );
  if (!r.ok) throw new Error(`bad bench config: ${JSON.stringify(r)}`);
  const probe = r.config.probes[0]!;
  // The probe's own memory between runs (its catalog, what it spoke) and its target's era (auto), as the scheduler
  // keeps them.
  const deps: RunDeps = {
    target: r.config.targets.t!,
    logger: pino({ level: 'silent' }),
    redactor: new Redactor(),
    memory: {},
    protocols: new EraMemory(),
  };
  return async () => {
    const res = await runProbe(probe, deps, { trigger: 'cli' }).result;
    if (!res.success) throw new Error(`probe (protocol: ${mode}) failed: ${res.reason}`);
  };
}

interface Timed {
  p50: number;
  p95: number;
  mean: number;
}

function timed(values: number[]): Timed {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

/** Requests per run of one client, and what they were (`POST server/discover + POST tools/list`). */
function tripsOf(counts: Map<string, number> | undefined, runs: number): { perRun: number; what: string } {
  const entries = [...(counts ?? new Map<string, number>())];
  const perRun = entries.reduce((n, [, c]) => n + c, 0) / runs;
  const what = entries.map(([label, c]) => (c === runs ? label : `${label} ×${+(c / runs).toFixed(2)}`)).join(' + ');
  return { perRun, what };
}

export async function probeOverhead(): Promise<BenchResult> {
  const runs = Number(process.env.BENCH_PROBE_RUNS ?? 300);
  const { server, url, seen } = await localMcpServer();
  const results = new Map<Mode, { bare: Timed; mcpwatch: Timed; bareTrips: number; trips: number; what: string }>();
  try {
    const paths = MODES.map((mode) => ({ mode, bare: bareClient(url, mode), probe: viaMcpwatch(url, mode) }));
    // Warm up every path (the JIT, and `auto` learns the era), then interleave them all, the bare client first in
    // one round and mcpwatch in the next, so drift and order affect each alike.
    for (let i = 0; i < WARMUP; i++)
      for (const p of paths) {
        await p.bare();
        await p.probe();
      }
    seen.clear();
    const times = new Map(paths.map((p) => [p.mode, { bare: [] as number[], mcpwatch: [] as number[] }]));
    const time = async (fn: () => Promise<void>, into: number[]): Promise<void> => {
      const t = performance.now();
      await fn();
      into.push(performance.now() - t);
    };
    for (let i = 0; i < runs; i++)
      for (const p of paths) {
        const t = times.get(p.mode)!;
        if (i % 2 === 0) {
          await time(p.bare, t.bare);
          await time(p.probe, t.mcpwatch);
        } else {
          await time(p.probe, t.mcpwatch);
          await time(p.bare, t.bare);
        }
      }
    for (const { mode } of paths) {
      const mine = tripsOf(seen.get(`mcpwatch-${mode}`), runs);
      results.set(mode, {
        bare: timed(times.get(mode)!.bare),
        mcpwatch: timed(times.get(mode)!.mcpwatch),
        bareTrips: tripsOf(seen.get(`bare-${mode}`), runs).perRun,
        trips: mine.perRun,
        what: mine.what,
      });
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  const at = (mode: Mode) => results.get(mode)!;
  const added = (mode: Mode) => at(mode).mcpwatch.p50 - at(mode).bare.p50;
  const figures: BenchResult['figures'] = { runs };
  for (const mode of GOAL_MODES) {
    figures[`${mode}: bare SDK p50 ms`] = at(mode).bare.p50;
    figures[`${mode}: mcpwatch probe p50 ms`] = at(mode).mcpwatch.p50;
    figures[`${mode}: added p50 ms`] = added(mode);
    figures[`${mode}: added mean ms`] = at(mode).mcpwatch.mean - at(mode).bare.mean;
    figures[`${mode}: HTTP round trips per run`] = at(mode).trips;
  }
  return {
    name: 'probe-overhead',
    figures,
    goal: `under ${GOAL_MS} ms p50 added per run, in both eras`,
    met: GOAL_MODES.every((m) => added(m) < GOAL_MS),
    table: {
      columns: [
        'protocol',
        'bare p50',
        'bare p95',
        'mcpwatch p50',
        'mcpwatch p95',
        'added p50',
        'added mean',
        `< ${GOAL_MS} ms`,
        'trips bare',
        'trips mcpwatch',
        'requests per mcpwatch run',
      ],
      rows: MODES.map((mode) => {
        const r = at(mode);
        return [
          mode,
          r.bare.p50,
          r.bare.p95,
          r.mcpwatch.p50,
          r.mcpwatch.p95,
          added(mode),
          r.mcpwatch.mean - r.bare.mean,
          GOAL_MODES.includes(mode)
            ? added(mode) < GOAL_MS
              ? 'pass'
              : 'FAIL'
            : added(mode) < GOAL_MS
              ? '(pass)'
              : '(over)',
          r.bareTrips,
          r.trips,
          r.what,
        ];
      }),
    },
    notes: [
      'a dual-era SDK v2 server (legacy: stateless) with 20 tools; bare = @modelcontextprotocol/client 2.x with a fresh ' +
        'connection per run, modern pinned to 2026-07-28, legacy mode legacy, auto mode auto',
      'auto is measured after its warm-up runs have remembered the era (the goal is on modern and legacy)',
    ],
  };
}
