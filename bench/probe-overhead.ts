import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { pino } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { parseConfig } from '../src/config/parse.js';
import { runProbe } from '../src/scheduler/run.js';
import { Redactor } from '../src/util/redact.js';
import { stats, type BenchResult } from './lib.js';

/**
 * Probe overhead: an mcp_catalog probe (initialize + tools/list + close) against a local MCP
 * server, run by mcpwatch's runner, against the bare SDK client doing the same calls over a
 * fresh connection each time (as the probe does). The difference is what mcpwatch adds per run.
 */
async function localMcpServer(): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const mcp = new McpServer({ name: 'bench', version: '1' });
    for (let i = 0; i < 20; i++)
      mcp.registerTool(
        `srv-tool_${i}`,
        { description: `tool ${i}`, inputSchema: { q: z.string(), n: z.number().optional() } },
        async () => ({ content: [{ type: 'text', text: 'ok' }] }),
      );
    const t = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void t.close());
    await mcp.connect(t);
    await t.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

export async function probeOverhead(): Promise<BenchResult> {
  const runs = Number(process.env.BENCH_PROBE_RUNS ?? 300);
  const server = await localMcpServer();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const r = parseConfig(
    `targets:\n  t: { url: "${url}", mcpPath: /mcp }\nprobes:\n  - { name: c, type: mcp_catalog, target: t, expect: { minTools: 20 } }\n`,
    {},
  );
  if (!r.ok) throw new Error('bad bench config');
  const probe = r.config.probes[0]!;
  const target = r.config.targets.t!;
  const deps = { target, logger: pino({ level: 'silent' }), redactor: new Redactor(), state: {} };

  const bare = async (): Promise<void> => {
    const dispatcher = new Agent();
    const client = new Client({ name: 'bare', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      fetch: (u, init) =>
        undiciFetch(
          u as string,
          { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1],
        ) as unknown as Promise<Response>,
    });
    await client.connect(transport);
    await client.listTools();
    await client.close();
    await dispatcher.destroy();
  };
  const viaMcpwatch = async (): Promise<void> => {
    const res = await runProbe(probe, deps, { trigger: 'cli' }).result;
    if (!res.success) throw new Error(`probe failed: ${res.reason}`);
  };

  // Warm up both paths, then interleave them so drift affects both alike.
  for (let i = 0; i < 20; i++) {
    await bare();
    await viaMcpwatch();
  }
  const tb: number[] = [];
  const tm: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await bare();
    tb.push(performance.now() - t);
    t = performance.now();
    await viaMcpwatch();
    tm.push(performance.now() - t);
  }
  server.close();
  const b = stats(tb);
  const m = stats(tm);
  return {
    name: 'probe-overhead',
    figures: {
      runs,
      'bare SDK p50 ms': b.p50,
      'mcpwatch probe p50 ms': m.p50,
      'added p50 ms': m.p50 - b.p50,
      'bare SDK mean ms': b.mean,
      'mcpwatch probe mean ms': m.mean,
      'added mean ms': m.mean - b.mean,
    },
    goal: 'under 2 ms added per run',
    met: m.p50 - b.p50 < 2,
  };
}
