import { Client, StreamableHTTPClientTransport, type VersionNegotiationMode } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, freePort, tempDir, writeConfig } from '../support/agent-proc.js';
import { TOOL_NAMES } from '../support/fake-agent-port.js';
import { TestHttpServer } from '../support/http-server.js';
import { inspector } from '../support/inspector.js';

// mcpwatch's own MCP endpoint, driven by the SDK's v2 client in each of its negotiation modes (auto:
// server/discover then 2026-07-28; legacy: 2025 initialize; pinned to 2026-07-28), by the 1.32.2
// SDK's client (2025, what clients built on it today speak) and by the MCP Inspector CLI, against
// the agent running as a process. The gateway it watches is a local HTTP server that echoes the
// key it receives (as LiteLLM's error messages do), so a leak would show.

const KEY = 'sk-mcpserver-SECRET-00112233445566778899';
const TOKEN = 'mcpwatch-token-SECRET-abcdef';

type TextResult = { isError?: boolean; content: Array<{ type: string; text: string }> };

describe('mcpwatch as an MCP server (/mcp)', () => {
  let gw: TestHttpServer;
  let agent: AgentProcess;
  let url: string;
  let client: Client;

  /** A v2 client connected in `mode` (auto by default: 2026-07-28 with this server). */
  async function connect(token?: string, mode: VersionNegotiationMode = 'auto'): Promise<Client> {
    const c = new Client({ name: 'test', version: '1' }, { versionNegotiation: { mode } });
    const t = new StreamableHTTPClientTransport(
      new URL(url),
      token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {},
    );
    await c.connect(t);
    return c;
  }

  /** The 1.32.2 SDK's client: 2025 initialize, as today's clients built on it. */
  async function connectV1(token?: string): Promise<ClientV1> {
    const c = new ClientV1({ name: 'test-v1', version: '1' });
    const t = new TransportV1(
      new URL(url),
      token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {},
    );
    await c.connect(t);
    return c;
  }

  async function call(name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string }> {
    const r = (await client.callTool({ name, arguments: args })) as TextResult;
    return { isError: r.isError === true, text: r.content.map((c) => c.text).join('\n') };
  }

  beforeAll(async () => {
    gw = await new TestHttpServer().start();
    gw.mode = 'echo-auth';
    const port = await freePort();
    url = `http://127.0.0.1:${port}/mcp`;
    const cfg = writeConfig(
      tempDir(),
      `listen: 127.0.0.1:${port}
targets:
  gw: { url: "${gw.url}", apiKey: "\${GW_KEY}" }
  self: { url: "http://127.0.0.1:${port}", apiKey: "\${TOKEN}", mcpPath: /mcp }
probes:
  - { name: gw-live, type: http, target: gw, every: 1h }
  - name: self-catalog
    type: mcp_catalog
    target: self
    every: 1h
    expect: { tools: [get_health, get_catalog] }
mcpServer:
  enabled: true
  token: \${TOKEN}
`,
    );
    agent = await AgentProcess.start(cfg, port, { GW_KEY: KEY, TOKEN });
    await agent.waitFor(
      async () => (await agent.metric('mcp_probe_success', { probe: 'self-catalog' })) === 1,
      10_000,
      'self-catalog ok',
    );
    client = await connect(TOKEN);
  });
  afterAll(async () => {
    await client?.close();
    await agent?.stop();
    await gw?.stop();
  });

  it.each([
    ['the v2 client, auto', 'auto', '2026-07-28', 'modern'],
    ['the v2 client, pinned to 2026-07-28', { pin: '2026-07-28' }, '2026-07-28', 'modern'],
    ['the v2 client, legacy', 'legacy', '2025-11-25', 'legacy'],
  ] as const)('serves %s: version, server info, tools, a call', async (_what, mode, version, era) => {
    const c = await connect(TOKEN, mode);
    try {
      expect(c.getNegotiatedProtocolVersion()).toBe(version);
      expect(c.getProtocolEra()).toBe(era);
      expect(c.getServerVersion()?.name).toBe('mcpwatch');
      expect(c.getServerCapabilities()?.tools).toEqual({ listChanged: false });
      const list = await c.listTools(undefined, { cacheMode: 'bypass' });
      expect(list.tools.map((t) => t.name)).toEqual(TOOL_NAMES);
      // Caching hints are a 2026-07-28 thing: the same list for every caller, for a minute.
      const hints = list as { ttlMs?: number; cacheScope?: string };
      expect([hints.ttlMs, hints.cacheScope]).toEqual(era === 'modern' ? [60_000, 'public'] : [undefined, undefined]);
      const r = (await c.callTool({ name: 'get_probe_result', arguments: { name: 'self-catalog' } })) as TextResult;
      expect(JSON.parse(r.content[0]!.text).last.outcome).toBe('ok');
      await expect(connect(undefined, mode)).rejects.toThrow(/401|Unauthorized/);
    } finally {
      await c.close();
    }
  });

  it('serves the 1.32.2 SDK client (2025 initialize, stateless: no session)', async () => {
    const c = await connectV1(TOKEN);
    try {
      expect(c.getServerVersion()?.name).toBe('mcpwatch');
      expect((c.transport as TransportV1).sessionId).toBeUndefined();
      expect((await c.listTools()).tools.map((t) => t.name)).toEqual(TOOL_NAMES);
      const r = (await c.callTool({ name: 'get_health', arguments: {} })) as TextResult;
      expect(JSON.parse(r.content[0]!.text).mcpwatch.status).toBe('ok');
      await expect(connectV1()).rejects.toThrow(/401|Unauthorized/);
    } finally {
      await c.close();
    }
  });

  it('answers a raw server/discover and refuses a batch, over real HTTP', async () => {
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${TOKEN}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'server/discover',
    };
    const discover = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 'd-1', method: 'server/discover', params: { _meta: envelope } }),
    });
    expect(discover.status).toBe(200);
    expect(await discover.json()).toMatchObject({ id: 'd-1', result: { supportedVersions: ['2026-07-28'] } });
    const batch = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'ping' }]),
    });
    expect(batch.status).toBe(400);
    expect(await batch.json()).toMatchObject({ error: { code: -32600 }, id: null });
  });

  it('lists its read-only tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    for (const t of tools) expect(t.annotations?.readOnlyHint, t.name).toBe(true);
  });

  it('requires the bearer token', async () => {
    await expect(connect()).rejects.toThrow(/401|Unauthorized/);
    await expect(connect('wrong-token')).rejects.toThrow(/401|Unauthorized/);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TOKEN },
      body: '{"jsonrpc":"2.0","id":11,"method":"ping"}',
    });
    expect(res.status).toBe(401);
    expect(await res.clone().json()).toMatchObject({ error: { code: -32001 }, id: 11 });
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mcpwatch"');
  });

  it('get_health: mcpwatch and the gateway in one answer', async () => {
    const r = await call('get_health');
    expect(r.isError).toBe(false);
    const h = JSON.parse(r.text);
    expect(h.mcpwatch.status).toBe('ok');
    expect(h.summary).toMatch(/^mcpwatch ok\. 1 of 2 probes fail: gw-live \(auth_rejected: 401 Unauthorized from gw/);
    expect(h.targets.gw).toEqual({ up: false, probes: 1, failing: ['gw-live'], clients: { probes: 0, failing: [] } });
    expect(h.failingProbes[0]).toMatchObject({ name: 'gw-live', outcome: 'auth_rejected' });
  });

  it('list_probes and get_probe_result', async () => {
    const list = JSON.parse((await call('list_probes')).text);
    expect(list.map((p: { name: string; outcome: string }) => [p.name, p.outcome])).toEqual([
      ['gw-live', 'auth_rejected'],
      ['self-catalog', 'ok'],
    ]);
    const one = JSON.parse((await call('get_probe_result', { name: 'self-catalog', history: 1 })).text);
    expect(one).toMatchObject({ name: 'self-catalog', type: 'mcp_catalog', last: { outcome: 'ok' } });
    expect(one.history).toHaveLength(1);
    const unknown = await call('get_probe_result', { name: 'nope' });
    expect(unknown).toEqual({ isError: true, text: 'unknown probe "nope"; probes: gw-live, self-catalog' });
  });

  it('validates tool inputs', async () => {
    for (const [tool, args] of [
      ['get_probe_result', {}],
      ['get_probe_result', { name: 'gw-live', history: 500 }],
      ['run_probe', { name: 42 }],
      ['get_recent_auth_errors', { origin: 'martian' }],
    ] as const) {
      const r = (await client.callTool({ name: tool, arguments: args as Record<string, unknown> })) as TextResult;
      expect(r.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
      expect(r.content[0]!.text).toMatch(/Input validation error|Invalid/);
    }
  });

  it('run_probe runs a probe now, and at most once per 10 s per probe', async () => {
    const before = gw.requests;
    const first = JSON.parse((await call('run_probe', { name: 'gw-live' })).text);
    expect(first).toMatchObject({ probe: 'gw-live', outcome: 'auth_rejected', trigger: 'manual' });
    expect(gw.requests).toBe(before + 1);
    const second = JSON.parse((await call('run_probe', { name: 'gw-live' })).text);
    expect(second.note).toMatch(/^this probe ran \d+ s ago: returning that run/);
    expect(gw.requests).toBe(before + 1);
    expect((await call('run_probe', { name: 'nope' })).isError).toBe(true);
  });

  it('get_catalog: the last catalog seen per catalog probe', async () => {
    const cats = JSON.parse((await call('get_catalog')).text);
    expect(cats).toHaveLength(1);
    expect(cats[0]).toMatchObject({ probe: 'self-catalog', target: 'self', lastOutcome: 'ok', lastChange: null });
    expect(cats[0].tools).toContain('get_health');
    expect(JSON.parse((await call('get_catalog', { target: 'gw' })).text)).toEqual([]);
  });

  it('never reveals a key or the token', async () => {
    const texts = [];
    for (const tool of ['get_health', 'list_probes', 'get_catalog']) texts.push((await call(tool)).text);
    texts.push((await call('get_probe_result', { name: 'gw-live', history: 50 })).text);
    texts.push((await call('run_probe', { name: 'gw-live' })).text);
    // The gateway did receive the key, and its answer quoted it.
    expect(gw.lastHeaders.authorization).toBe(`Bearer ${KEY}`);
    for (const t of texts) expect(t).not.toContain('SECRET');
    expect(texts.join('\n')).toContain('sk-…8899');
  });

  it('answers the MCP Inspector CLI (tools/list, tools/call)', async () => {
    const list = JSON.parse(inspector(url, ['--method', 'tools/list'], { Authorization: `Bearer ${TOKEN}` }));
    expect(list.tools.map((t: { name: string }) => t.name)).toContain('get_health');
    const health = JSON.parse(
      inspector(url, ['--method', 'tools/call', '--tool-name', 'get_health'], { Authorization: `Bearer ${TOKEN}` }),
    );
    expect(JSON.parse(health.content[0].text).mcpwatch.status).toBe('ok');
    const probe = JSON.parse(
      inspector(url, ['--method', 'tools/call', '--tool-name', 'get_probe_result', '--tool-arg', 'name=self-catalog'], {
        Authorization: `Bearer ${TOKEN}`,
      }),
    );
    expect(JSON.parse(probe.content[0].text).last.outcome).toBe('ok');
    expect(() => inspector(url, ['--method', 'tools/list'])).toThrow(/401|Unauthorized/);
  });
});
