import { InMemoryTransport, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunRateLimiter } from '../../src/mcp-tools/rate-limit.js';
import { createMonitoringServer, TOOLS } from '../../src/mcp-tools/tools.js';
import type { RecentMatch } from '../../src/runtime/log-matches.js';
import type { CatalogView } from '../../src/runtime/status-view.js';
import {
  BEARER_TOKEN,
  FakePort,
  healthReport,
  INIT_PARAMS,
  SK_KEY,
  statusDocument,
  TOOL_NAMES,
  toolAnswer,
  type RpcMessage,
  unseenCatalog,
} from '../support/fake-agent-port.js';

// The monitoring tools against a fake port, through an MCP server on an in-memory transport: the
// JSON-RPC messages a client sends, the answers it gets. (Over HTTP: test/server/routes/mcp.test.ts.)

/** A monitoring server for `port`, and a client end that sends raw JSON-RPC requests to it. */
async function connect(port: FakePort, limiter: RunRateLimiter) {
  const server = createMonitoringServer(port, limiter);
  const [client, serverSide] = InMemoryTransport.createLinkedPair();
  const waiting = new Map<unknown, (m: RpcMessage) => void>();
  client.onmessage = (m) => {
    const { id } = m as { id?: unknown };
    waiting.get(id)?.(m as unknown as RpcMessage);
    waiting.delete(id);
  };
  await server.connect(serverSide);
  await client.start();
  return {
    rpc: (method: string, params: Record<string, unknown>, id = 1): Promise<RpcMessage> =>
      new Promise((resolve) => {
        waiting.set(id, resolve);
        void client.send({ jsonrpc: '2.0', id, method, params } as JSONRPCMessage);
      }),
    close: () => server.close(),
  };
}

describe('the monitoring tools', () => {
  let port: FakePort;
  let limiter: RunRateLimiter;
  let now: number;
  let mcp: Awaited<ReturnType<typeof connect>>;
  const call = (name: string, args: Record<string, unknown> = {}, id = 1): Promise<RpcMessage> =>
    mcp.rpc('tools/call', { name, arguments: args }, id);

  beforeEach(async () => {
    port = new FakePort();
    now = Date.UTC(2025, 0, 2, 3, 4, 10);
    limiter = new RunRateLimiter(10_000, 20, () => now);
    mcp = await connect(port, limiter);
  });
  afterEach(async () => {
    await mcp.close();
  });

  it('answers initialize as mcpwatch, without promising tools/list_changed (stateless)', async () => {
    const msg = await mcp.rpc('initialize', INIT_PARAMS);
    expect(msg.result.serverInfo.name).toBe('mcpwatch');
    expect(msg.result.capabilities).toEqual({ tools: { listChanged: false } });
    expect(msg.result.instructions).toBe(
      'Read-only monitoring of the MCP gateway (LiteLLM) by mcpwatch: health, probe results, auth errors from the gateway log, tool catalogs.',
    );
  });

  it('lists the tools', async () => {
    const msg = await mcp.rpc('tools/list', {}, 2);
    expect(msg.id).toBe(2);
    const tools = msg.result.tools;
    expect(tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    for (const t of tools) expect(t.annotations?.readOnlyHint, t.name).toBe(true);
  });

  it('lists each tool with its table entry: title, description, arguments', async () => {
    const { tools } = (await mcp.rpc('tools/list', {})).result;
    for (const [i, t] of tools.entries()) {
      expect(t).toMatchObject({ name: TOOLS[i]!.name, title: TOOLS[i]!.title, description: TOOLS[i]!.description });
      expect(Object.keys((t.inputSchema.properties as object | undefined) ?? {}), t.name).toEqual(
        Object.keys(TOOLS[i]!.inputSchema ?? {}),
      );
    }
    const schemaOf = (name: string) => tools.find((t) => t.name === name)!.inputSchema;
    expect(schemaOf('get_health')).toEqual({ type: 'object', properties: {} });
    expect(schemaOf('get_probe_result').required).toEqual(['name']);
    expect(schemaOf('run_probe').required).toEqual(['name']);
    expect(tools.find((t) => t.name === 'run_probe')!.annotations).toEqual({
      readOnlyHint: true,
      destructiveHint: false,
      openWorldHint: true,
    });
  });

  it.each([
    'prompts/list',
    'resources/list',
    'resources/templates/list',
    'completion/complete',
    'logging/setLevel',
    'sampling/createMessage',
    'elicitation/create',
  ])('%s (a capability mcpwatch does not declare): -32601 Method not found', async (method) => {
    expect(await mcp.rpc(method, {}, 9)).toMatchObject({ id: 9, error: { code: -32601 } });
  });

  describe('get_health', () => {
    it("reads the port's health", async () => {
      port.healthReport = healthReport('degraded');
      const reads = port.healthReads;
      const msg = await call('get_health', {}, 3);
      expect(msg.id).toBe(3);
      expect(msg.result.isError).toBeFalsy();
      expect(port.healthReads).toBe(reads + 1);
      const text = msg.result.content[0]!;
      expect(text.type).toBe('text');
      const answer = JSON.parse(text.text) as Record<string, unknown>;
      expect(answer.mcpwatch).toEqual({ status: 'degraded', checks: port.healthReport.checks });
      expect(answer.targets).toEqual(port.healthReport.targets);
      expect(answer.summary).toBe('mcpwatch degraded. 1 of 2 probes fail: gw-live (connect_error: connection refused)');
      expect(answer.failingProbes).toEqual([
        {
          name: 'gw-live',
          target: 'gw',
          type: 'http',
          outcome: 'connect_error',
          reason: 'connection refused',
          lastSuccessAt: null,
        },
      ]);
    });

    it('says the shard when there are several', async () => {
      port.statusDoc = { ...statusDocument(), shard: { index: 1, total: 3, probes: 2, ofProbes: 7, tailsLogs: false } };
      const answer = toolAnswer(await call('get_health', {}, 30));
      expect(answer.summary).toBe(
        'mcpwatch ok (shard 1 of 3: 2 of 7 probes). 1 of 2 probes fail: gw-live (connect_error: connection refused)',
      );
      expect(answer.shard).toEqual({ index: 1, total: 3, probes: 2, ofProbes: 7, tailsLogs: false });
    });

    it('says when every probe passes', async () => {
      const doc = statusDocument();
      port.statusDoc = { ...doc, probes: doc.probes.filter((p) => p.name !== 'gw-live') };
      const answer = toolAnswer(await call('get_health'));
      expect(answer.summary).toBe('mcpwatch ok. All 1 probes pass.');
      expect(answer.failingProbes).toEqual([]);
    });
  });

  it('list_probes: each probe with its schedule and last outcome', async () => {
    expect(toolAnswer<unknown[]>(await call('list_probes'))).toEqual([
      {
        name: 'gw-live',
        type: 'http',
        target: 'gw',
        schedule: 'every 30s',
        outcome: 'connect_error',
        reason: 'connection refused',
        lastRunAt: '2025-01-02T03:04:00.000Z',
        lastSuccessAt: null,
      },
      {
        name: 'gw-catalog',
        type: 'mcp_catalog',
        target: 'gw',
        schedule: 'every 1m',
        outcome: null,
        reason: null,
        lastRunAt: null,
        lastSuccessAt: '2025-01-02T03:03:00.000Z',
      },
    ]);
  });

  describe('get_probe_result', () => {
    const history = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        startedAt: `2025-01-02T03:0${i}:00.000Z`,
        outcome: 'ok' as const,
        durationMs: i,
        reason: 'ok',
        trigger: 'schedule' as const,
      }));

    it('answers the probe as /status shows it, with the last `history` runs (default 10)', async () => {
      const doc = statusDocument();
      doc.probes[0]!.history = history(12);
      port.statusDoc = doc;
      const answer = toolAnswer(await call('get_probe_result', { name: 'gw-live' }));
      expect(answer).toEqual({ ...doc.probes[0], history: history(12).slice(-10) });
      expect(toolAnswer(await call('get_probe_result', { name: 'gw-live', history: 2 })).history).toEqual(
        history(12).slice(-2),
      );
      expect(toolAnswer(await call('get_probe_result', { name: 'gw-live', history: 0 })).history).toEqual([]);
    });

    it('fails for an unknown probe, listing the probes', async () => {
      const result = (await call('get_probe_result', { name: 'nope' })).result;
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toBe('unknown probe "nope"; probes: gw-live, gw-catalog');
      port.names = [];
      expect((await call('get_probe_result', { name: 'nope' })).result.content[0]!.text).toBe(
        'unknown probe "nope"; probes: (none)',
      );
    });

    it('refuses arguments that do not fit its schema', async () => {
      const result = (await call('get_probe_result', { name: '' })).result;
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toContain('Invalid arguments for tool get_probe_result');
    });
  });

  it("run_probe and get_probe_result of another shard's probe fail naming the shard, and run nothing", async () => {
    port.elsewhere.set('far-probe', 1);
    for (const [i, tool] of ['run_probe', 'get_probe_result'].entries()) {
      const result = (await call(tool, { name: 'far-probe' }, 20 + i)).result;
      expect(result.isError, tool).toBe(true);
      expect(result.content[0]!.text, tool).toBe(
        'probe "far-probe" runs on shard 1 of 3, not on this replica (shard 0 of 3): ask the replica of shard 1',
      );
    }
    expect(port.runs).toEqual([]);
  });

  describe('run_probe', () => {
    it('masks key material in its answer, which has no steps', async () => {
      const msg = await call('run_probe', { name: 'gw-live' }, 4);
      expect(port.runs).toEqual(['gw-live']);
      expect(JSON.stringify(msg)).not.toContain(SK_KEY);
      expect(JSON.stringify(msg)).not.toContain(BEARER_TOKEN);
      const answer = toolAnswer(msg);
      expect(answer.startedAt).toBe('2025-01-02T03:04:05.678Z');
      expect(answer).not.toHaveProperty('steps');
      expect(answer.reason).toContain('sk-…WXYZ');
    });

    it('answers a run less than 10 s old instead of running again, with a note', async () => {
      await call('run_probe', { name: 'gw-live' });
      const answer = toolAnswer(await call('run_probe', { name: 'gw-live' }, 2));
      expect(port.runs).toEqual(['gw-live']);
      expect(answer.note).toBe('this probe ran 4 s ago: returning that run (at most one run per 10 s)');
      expect(answer.startedAt).toBe('2025-01-02T03:04:05.678Z');
      expect(JSON.stringify(answer)).not.toContain(SK_KEY);
    });

    it('fails when too many runs started in the last minute', async () => {
      limiter = new RunRateLimiter(10_000, 1, () => now);
      await mcp.close();
      mcp = await connect(port, limiter);
      await call('run_probe', { name: 'gw-catalog' });
      const result = (await call('run_probe', { name: 'gw-live' }, 2)).result;
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toBe('rate limited: 1 probe runs in the last minute; try again in 60 s');
      expect(port.runs).toEqual(['gw-catalog']);
    });

    it('fails for an unknown probe and runs nothing', async () => {
      const result = (await call('run_probe', { name: 'nope' })).result;
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toBe('unknown probe "nope"; probes: gw-live, gw-catalog');
      expect(port.runs).toEqual([]);
    });
  });

  describe('get_recent_auth_errors', () => {
    const match = (category: string, kind: string, origin: 'probe' | 'external', i: number): RecentMatch => ({
      container: 'litellm',
      at: `2025-01-02T03:04:0${i}.000Z`,
      category,
      kind,
      origin,
      line: `line ${i} sk-1234567890abcdefghijwxyz`,
    });

    it('fails without log tailing', async () => {
      const result = (await call('get_recent_auth_errors')).result;
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toBe('log tailing is not configured (logs.containers in the config)');
    });

    it('filters by category (auth by default), kind and origin, counts, and lists at most `limit`', async () => {
      port.logMatches = [
        match('auth', 'malformed_key', 'external', 1),
        match('auth', 'malformed_key', 'external', 2),
        match('auth', 'invalid_key', 'probe', 3),
        match('mcp', 'unknown_tool', 'external', 4),
      ];
      const auth = toolAnswer(await call('get_recent_auth_errors'));
      expect(auth.total).toBe(3);
      expect(auth.counts).toEqual({ 'auth/malformed_key/external': 2, 'auth/invalid_key/probe': 1 });
      expect(JSON.stringify(auth)).not.toContain('sk-1234567890abcdefghijwxyz');

      const all = toolAnswer(await call('get_recent_auth_errors', { category: 'all', origin: 'external', limit: 1 }));
      expect(all.total).toBe(3);
      expect(all.counts).toEqual({ 'auth/malformed_key/external': 2, 'mcp/unknown_tool/external': 1 });
      expect(all.matches).toEqual([{ ...port.logMatches[0], line: 'line 1 sk-…wxyz' }]);

      const kind = toolAnswer(await call('get_recent_auth_errors', { kind: 'invalid_key' }));
      expect(kind).toMatchObject({ total: 1, counts: { 'auth/invalid_key/probe': 1 } });
    });
  });

  it('get_catalog: every catalog, or one target', async () => {
    port.catalogList = [unseenCatalog('a-cat', 'gw'), unseenCatalog('b-cat', 'other')];
    expect(toolAnswer<CatalogView[]>(await call('get_catalog'))).toEqual(port.catalogList);
    expect(toolAnswer<CatalogView[]>(await call('get_catalog', { target: 'other' }))).toEqual([port.catalogList[1]]);
  });
});
