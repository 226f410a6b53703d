import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GUARD_KEY_PREFIX } from '../../src/probes/guard-marks.js';
import { formatResult } from '../../src/cli/format.js';
import { AgentProcess, freePort, tempDir, writeConfig } from '../support/agent-proc.js';
import { FakeMcpGateway, makeTools, type FakeTool } from '../support/fake-mcp.js';
import { ProbeRunner, requestSteps } from '../support/probe-runner.js';

// The MCP probes against a FAKE gateway (test/support/fake-mcp.ts: the SDK's own MCP server on
// node:http, raw node:http below it). Why a fake: these are the faults and situations a real
// LiteLLM cannot be made to show on demand — a server that accepts and never answers, an SSE
// stream cut in the middle of an event, a 50 MB answer, messages that are not JSON-RPC, a reset
// connection, a gateway that does not enforce auth, a catalog that changes between two runs,
// paginated tools/list. What real LiteLLM does is tested against real LiteLLM 1.77.1 and 1.109.1
// in mcp-probes-litellm.test.ts.

const KEY = 'sk-fake-gateway-0123456789abcdef';
const TIMEOUT = '1500ms';
const TIMEOUT_MS = 1_500;

function config(gw: FakeMcpGateway, probes: string, closedPort: number, targetExtra = ''): string {
  return `targets:
  gw: { url: "${gw.url}", apiKey: "${KEY}", headers: { x-target-header: from-target }${targetExtra} }
  nobearer: { url: "${gw.url}", apiKey: "${KEY}" }
  bearer: { url: "${gw.url}", apiKey: "Bearer ${KEY}" }
  wrongkey: { url: "${gw.url}", apiKey: "sk-not-the-key-0123456789" }
  sse: { url: "${gw.url}", apiKey: "${KEY}", transport: sse }
  noslash: { url: "${gw.url}", apiKey: "${KEY}", mcpPath: /mcp }
  closed: { url: "http://127.0.0.1:${closedPort}", apiKey: "${KEY}" }
  badport: { url: "http://127.0.0.1:6000", apiKey: "${KEY}" }
probes:
${probes}`;
}

const PROBES = `
  - { name: cat, type: mcp_catalog, target: gw, timeout: ${TIMEOUT}, servers: [alpha, beta], headers: { x-probe-header: from-probe }, expect: { tools: [alpha-tool_00, alpha-nope] , serversPresent: false } }
  - { name: cat-plain, type: mcp_catalog, target: gw, timeout: ${TIMEOUT} }
  - { name: cat-nobearer, type: mcp_catalog, target: nobearer, timeout: ${TIMEOUT} }
  - { name: cat-bearer, type: mcp_catalog, target: bearer, timeout: ${TIMEOUT} }
  - { name: cat-wrongkey, type: mcp_catalog, target: wrongkey, timeout: ${TIMEOUT} }
  - { name: cat-sse, type: mcp_catalog, target: sse, timeout: ${TIMEOUT} }
  - { name: cat-noslash, type: mcp_catalog, target: noslash, timeout: ${TIMEOUT} }
  - { name: cat-closed, type: mcp_catalog, target: closed, timeout: ${TIMEOUT} }
  - { name: cat-badport, type: mcp_catalog, target: badport, timeout: ${TIMEOUT} }
  - { name: cat-small, type: mcp_catalog, target: gw, timeout: 5s, maxResponseBytes: 65536 }
  - { name: cat-1m, type: mcp_catalog, target: gw, timeout: 5s, maxResponseBytes: 1048576 }
  - { name: cat-min, type: mcp_catalog, target: gw, timeout: ${TIMEOUT}, expect: { minTools: 100 } }
  - { name: call-echo, type: mcp_call, target: gw, timeout: ${TIMEOUT}, tool: alpha-echo, arguments: { text: hello }, expect: { contains: "echo: hello", matches: "^echo: \\\\w+$" } }
  - { name: call-nomatch, type: mcp_call, target: gw, timeout: ${TIMEOUT}, tool: alpha-echo, arguments: { text: hello }, expect: { matches: "^bye" } }
  - { name: call-fails, type: mcp_call, target: gw, timeout: ${TIMEOUT}, tool: alpha-fails }
  - { name: call-fails-expected, type: mcp_call, target: gw, timeout: ${TIMEOUT}, tool: alpha-fails, expect: { isError: true, contains: "disk full" } }
  - { name: call-unknown, type: mcp_call, target: gw, timeout: ${TIMEOUT}, tool: alpha-nope }
  - { name: call-hang, type: mcp_call, target: gw, timeout: ${TIMEOUT}, tool: alpha-hang }
  - { name: guard, type: auth_guard, target: gw, timeout: ${TIMEOUT} }
  - { name: guard-wrongkey, type: auth_guard, target: wrongkey, timeout: ${TIMEOUT} }
  - { name: guard-novalid, type: auth_guard, target: gw, timeout: ${TIMEOUT}, checks: [wrong_key], validKey: false }
`;

const TOOLS: FakeTool[] = [
  ...makeTools('alpha', 12),
  ...makeTools('beta', 13),
  { name: 'alpha-echo', call: (a) => ({ content: [{ type: 'text', text: `echo: ${String(a.text)}` }] }) },
  {
    name: 'alpha-fails',
    call: () => ({ isError: true, content: [{ type: 'text', text: `disk full (while using key ${KEY})` }] }),
  },
  { name: 'alpha-hang', call: () => new Promise(() => undefined) },
];

/**
 * After each test: no connection left open, every session a run opened ended by that run (DELETE), whatever its
 * outcome; then a clean fake.
 */
async function endOfTest(gw: FakeMcpGateway): Promise<void> {
  await gw.waitForNoConnections();
  expect(gw.sessionsClosed).toBe(gw.sessionsOpened);
  gw.reset();
}

describe('MCP probes against a fake gateway: protocol, headers, results', () => {
  let gw: FakeMcpGateway;
  let r: ProbeRunner;
  beforeAll(async () => {
    gw = await new FakeMcpGateway({ key: KEY, pageSize: 10 }).start();
    r = new ProbeRunner(config(gw, PROBES, await freePort()));
  });
  afterEach(async () => {
    gw.tools = [...TOOLS];
    await endOfTest(gw);
  });
  beforeAll(() => {
    gw.tools = [...TOOLS];
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('mcp_catalog: follows nextCursor, counts tools per server prefix, reports expected tools', async () => {
    const res = await r.run('cat', { fresh: true });
    expect(res.outcome, res.reason).toBe('expectation_failed');
    expect(res.reason).toBe('expected tool missing: alpha-nope — 28 tools (alpha: 15, beta: 13)');
    const d = res.details;
    expect(d.catalog).toMatchObject({
      tools: 28,
      toolsPerServer: { alpha: 15, beta: 13 },
      changed: false,
      added: [],
      removed: [],
      changedSchemas: [],
    });
    expect(d.catalog.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(d.expectedTools).toEqual({ 'alpha-tool_00': true, 'alpha-nope': false });
    // 28 tools in pages of 10.
    expect(res.steps.filter((s) => s.msg.startsWith('tools/list page')).map((s) => s.msg)).toEqual([
      'tools/list page 1: 10 tools',
      'tools/list page 2: 10 tools',
      'tools/list page 3: 8 tools',
    ]);
    expect(gw.requests.filter((q) => q.rpc === 'tools/list')).toHaveLength(3);
    expect(Object.keys(res.phases).sort()).toEqual(['connect', 'initialize', 'list_tools']);
  });

  it("sends Bearer <key>, x-mcp-servers comma-joined, the target's and the probe's headers; omits x-mcp-servers without servers", async () => {
    await r.run('cat');
    const init = gw.requests.find((q) => q.rpc === 'initialize')!;
    expect(init.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(init.headers['x-mcp-servers']).toBe('alpha,beta');
    expect(init.headers['x-target-header']).toBe('from-target');
    expect(init.headers['x-probe-header']).toBe('from-probe');
    expect(init.headers['user-agent']).toMatch(/^mcpwatch\//);
    // Every request of the session carries them, not only initialize.
    for (const q of gw.requests) expect(q.headers['x-mcp-servers'], `${q.method} ${q.rpc ?? ''}`).toBe('alpha,beta');
    gw.reset();
    await r.run('cat-plain');
    expect(gw.requests.length).toBeGreaterThan(0);
    for (const q of gw.requests) expect(q.headers).not.toHaveProperty('x-mcp-servers');
  });

  it('adds the "Bearer " prefix to a key without it, without a warning (the docs call both fine); keeps a key that has it', async () => {
    const before = r.logLines.length;
    const a = await r.run('cat-nobearer');
    const b = await r.run('cat-nobearer');
    expect([a.outcome, b.outcome]).toEqual(['ok', 'ok']);
    expect(gw.requests.filter((q) => q.rpc === 'initialize').map((q) => q.headers.authorization)).toEqual([
      `Bearer ${KEY}`,
      `Bearer ${KEY}`,
    ]);
    expect(r.logLines.slice(before).filter((l) => l.level === 'warn' || /bearer/i.test(String(l.msg)))).toEqual([]);
    expect(JSON.stringify(r.logLines)).not.toContain(KEY);
    gw.reset();
    const c = await r.run('cat-bearer');
    expect(c.outcome).toBe('ok');
    expect(gw.requests.find((q) => q.rpc === 'initialize')!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r.logLines.slice(before).filter((l) => /bearer/i.test(String(l.msg)))).toEqual([]);
  });

  it('the step log shows what was sent with the key masked, and each response', async () => {
    const res = await r.run('cat-plain');
    const first = res.steps.find((s) => s.msg.includes('initialize') && s.msg.startsWith('POST'))!;
    expect(first.data?.headers).toMatchObject({ authorization: 'Bearer sk-…cdef', 'x-target-header': 'from-target' });
    expect(requestSteps(res)).toEqual([
      expect.stringMatching(/^POST http:\/\/127\.0\.0\.1:\d+\/mcp\/ {2}initialize$/),
      expect.stringMatching(/^POST .* {2}notifications\/initialized$/),
      expect.stringMatching(/^GET .* {2}\(open server→client stream\)$/),
      expect.stringMatching(/^POST .* {2}tools\/list$/),
      expect.stringMatching(/^POST .* {2}tools\/list$/),
      expect.stringMatching(/^POST .* {2}tools\/list$/),
      expect.stringMatching(/^DELETE .* {2}\(end session\)$/),
    ]);
    expect(res.steps.map((s) => s.msg)).toContain('← 200 OK (text/event-stream)  initialize');
    const text = formatResult(res, gw.url);
    expect(text).not.toContain(KEY);
    expect(text).toContain('authorization: Bearer sk-…cdef');
    expect(text).toMatch(/phases: {3}connect [\d.]+m?s, initialize [\d.]+m?s, list_tools [\d.]+m?s/);
    expect(text).toContain('result:   OK ok: 28 tools (alpha: 15, beta: 13)');
    expect(text).toMatch(/catalog: {2}28 tools \(alpha: 15, beta: 13\), fingerprint [0-9a-f]{16}/);
  });

  it('minTools', async () => {
    const res = await r.run('cat-min');
    expect(res.outcome).toBe('expectation_failed');
    expect(res.reason).toBe('28 tools, expected at least 100 — 28 tools (alpha: 15, beta: 13)');
  });

  it('catalog drift: the first run is no change; added, removed and changed tools are named; key order is no change', async () => {
    const first = await r.run('cat-plain', { fresh: true });
    expect(first.details?.catalog).toMatchObject({ changed: false });
    const again = await r.run('cat-plain');
    expect(again.details?.catalog).toMatchObject({
      changed: false,
      fingerprint: (first.details!.catalog as { fingerprint: string }).fingerprint,
    });

    // Same schemas, keys in another order: no change.
    gw.tools = TOOLS.map((t) =>
      t.inputSchema ? { ...t, inputSchema: { properties: { x: { type: 'string' } }, type: 'object' as const } } : t,
    );
    const reordered = await r.run('cat-plain');
    expect(reordered.details?.catalog).toMatchObject({ changed: false });

    gw.tools = [
      ...TOOLS.filter((t) => t.name !== 'beta-tool_03').map((t) =>
        t.name === 'alpha-tool_01'
          ? { ...t, inputSchema: { type: 'object' as const, properties: { x: { type: 'number' } } } }
          : t,
      ),
      { name: 'gamma-new_tool' },
    ];
    const changed = await r.run('cat-plain');
    expect(changed.outcome).toBe('ok');
    expect(changed.details?.catalog).toMatchObject({
      changed: true,
      added: ['gamma-new_tool'],
      removed: ['beta-tool_03'],
      changedSchemas: ['alpha-tool_01'],
    });
    expect(changed.reason).toBe('28 tools (alpha: 15, beta: 12, gamma: 1); catalog changed (+1 -1 ~1)');
    expect(formatResult(changed, gw.url)).toContain(
      '  added:   gamma-new_tool\n  removed: beta-tool_03\n  input schema changed: alpha-tool_01\n',
    );
    const after = await r.run('cat-plain');
    expect(after.details?.catalog).toMatchObject({ changed: false });
  });

  it('mcp_call: contains and matches on the text content', async () => {
    const ok = await r.run('call-echo');
    expect(ok.outcome, ok.reason).toBe('ok');
    expect(ok.reason).toBe('alpha-echo returned echo: hello');
    expect(Object.keys(ok.phases).sort()).toEqual(['call_tool', 'connect', 'initialize']);
    const init = gw.requests.find((q) => q.rpc === 'tools/call')!;
    expect(init.headers.authorization).toBe(`Bearer ${KEY}`);
    const no = await r.run('call-nomatch');
    expect(no.outcome).toBe('expectation_failed');
    expect(no.reason).toBe('alpha-echo result does not match /^bye/: got "echo: hello"');
  });

  it("mcp_call: isError is tool_error with the tool's own message, masked; expected errors pass", async () => {
    const res = await r.run('call-fails');
    expect(res.outcome).toBe('tool_error');
    expect(res.reason).toBe('alpha-fails failed: disk full (while using key ***)');
    expect(JSON.stringify(res)).not.toContain(KEY);
    const expected = await r.run('call-fails-expected');
    expect(expected.outcome, expected.reason).toBe('ok');
  });

  it('mcp_call: an unknown tool (JSON-RPC error) is tool_error', async () => {
    const res = await r.run('call-unknown');
    expect(res.outcome).toBe('tool_error');
    expect(res.reason).toBe('alpha-nope failed: -32602 Tool alpha-nope not found');
    expect(res.details).toMatchObject({ jsonRpcError: -32602 });
  });

  it('auth_guard: a gateway that enforces auth rejects all three; the real key is accepted', async () => {
    const res = await r.run('guard');
    expect(res.outcome, res.reason).toBe('ok');
    expect(res.reason).toBe(
      'all 3 rejected (no_key 401, no_bearer_prefix 401, wrong_key 401); the real key is accepted',
    );
    expect(res.details?.authChecks).toEqual({
      no_key: {
        enforced: true,
        status: 401,
        reason: 'rejected: 401 Unauthorized {"detail":"Authentication required"}',
      },
      no_bearer_prefix: {
        enforced: true,
        status: 401,
        reason: 'rejected: 401 Unauthorized {"detail":"Authentication required"}',
      },
      wrong_key: {
        enforced: true,
        status: 401,
        reason: 'rejected: 401 Unauthorized {"detail":"Authentication required"}',
      },
      valid_key: { accepted: true, reason: 'the real key opened a session' },
    });
    const inits = gw.requests.filter((q) => q.rpc === 'initialize').map((q) => q.headers.authorization);
    expect(inits[0]).toBeUndefined();
    expect(inits[1]).toBe(KEY);
    expect(inits[2]).toMatch(new RegExp(`^Bearer ${GUARD_KEY_PREFIX}[0-9a-f]{24}$`));
    expect(inits[3]).toBe(`Bearer ${KEY}`);
    const text = formatResult(res, gw.url);
    expect(text).toContain('  wrong_key         rejected, as it must be: rejected: 401 Unauthorized');
    expect(text).not.toContain(KEY);
  });

  it('auth_guard: the real key refused is auth_rejected', async () => {
    const res = await r.run('guard-wrongkey');
    expect(res.outcome).toBe('auth_rejected');
    expect(res.reason).toMatch(
      /^the real key was refused: 401 Unauthorized from wrongkey — the gateway refused the key: check apiKey/,
    );
    expect(res.details?.authChecks).toMatchObject({
      no_key: { enforced: true },
      wrong_key: { enforced: true },
      valid_key: { accepted: false, status: 401 },
    });
  });

  it("outcomes and reasons for HTTP answers: auth_rejected with a hint, redirect with the mcpPath to use, 404, LiteLLM 1.77's 500", async () => {
    const wrong = await r.run('cat-wrongkey');
    expect(wrong.outcome).toBe('auth_rejected');
    expect(wrong.reason).toBe(
      '401 Unauthorized from wrongkey — the gateway refused the key: check apiKey (is it a key this gateway knows, allowed these MCP servers?): {"detail":"Authentication required"}',
    );

    gw.rules = [{ on: 'initialize', fault: { kind: 'status', status: 307, headers: { location: `${gw.url}/mcp/` } } }];
    const redirect = await r.run('cat-noslash');
    expect(redirect.outcome).toBe('http_error');
    expect(redirect.reason).toBe(`307 Temporary Redirect from noslash: redirect to ${gw.url}/mcp/ — use mcpPath /mcp/`);

    gw.rules = [{ on: 'initialize', fault: { kind: 'status', status: 404, body: '{"detail":"Not Found"}' } }];
    const notFound = await r.run('cat-plain');
    expect(notFound).toMatchObject({ outcome: 'http_error', details: { status: 404 } });
    expect(notFound.reason).toBe(
      '404 Not Found from gw: no MCP endpoint at /mcp/ — check mcpPath, and that MCP is enabled on the gateway: {"detail":"Not Found"}',
    );

    gw.rules = [
      { on: 'initialize', fault: { kind: 'status', status: 500, body: '{"error":"MCP request failed","details":""}' } },
    ];
    const refused = await r.run('cat-plain');
    expect(refused.outcome).toBe('auth_rejected');
    expect(refused.reason).toMatch(
      /"MCP request failed" without details, which is how LiteLLM 1\.77–1\.85 refuses a key/,
    );

    gw.rules = [
      {
        on: 'initialize',
        fault: { kind: 'status', status: 500, body: '{"error":"MCP request failed","details":"upstream exploded"}' },
      },
    ];
    const crashed = await r.run('cat-plain');
    expect(crashed.outcome).toBe('http_error');
    expect(crashed.reason).toBe(
      '500 Internal Server Error from gw: "MCP request failed": {"error":"MCP request failed","details":"upstream exploded"}',
    );
  });

  it('connection refused is connect_error; so is a port fetch refuses to use', async () => {
    const res = await r.run('cat-closed');
    expect(res.outcome).toBe('connect_error');
    expect(res.reason).toMatch(
      /^connection refused by 127\.0\.0\.1:\d+: is the gateway running and listening there\? \(ECONNREFUSED\)$/,
    );
    const bad = await r.run('cat-badport');
    expect(bad.outcome).toBe('connect_error');
    expect(bad.reason).toMatch(/^the port of http:\/\/127\.0\.0\.1:6000 is on fetch's list of blocked \("bad"\) ports/);
  });

  it('legacy SSE transport (transport: sse): GET {mcpPath}sse, then POSTs to the endpoint it names', async () => {
    const res = await r.run('cat-sse');
    expect(res.outcome, res.reason).toBe('ok');
    expect(res.reason).toBe('28 tools (alpha: 15, beta: 13)');
    expect(gw.requests[0]).toMatchObject({ method: 'GET', url: '/mcp/sse' });
    expect(
      gw.requests.slice(1).every((q) => q.method === 'POST' && q.url.startsWith('/mcp/sse/messages?sessionId=')),
    ).toBe(true);
    expect(gw.requests.every((q) => q.headers.authorization === `Bearer ${KEY}`)).toBe(true);
  });
});

describe('auth_guard against gateways that do not enforce auth (fakes: LiteLLM always does)', () => {
  let open: FakeMcpGateway;
  let anyBearer: FakeMcpGateway;
  let r: ProbeRunner;
  beforeAll(async () => {
    open = await new FakeMcpGateway({ auth: 'none' }).start();
    anyBearer = await new FakeMcpGateway({ auth: 'any_bearer' }).start();
    open.tools = anyBearer.tools = makeTools('alpha', 2);
    r = new ProbeRunner(`targets:
  open: { url: "${open.url}", apiKey: "${KEY}" }
  anybearer: { url: "${anyBearer.url}", apiKey: "${KEY}" }
probes:
  - { name: guard-open, type: auth_guard, target: open, timeout: ${TIMEOUT} }
  - { name: guard-anybearer, type: auth_guard, target: anybearer, timeout: ${TIMEOUT}, servers: [alpha] }
`);
  });
  afterAll(async () => {
    await open?.stop();
    await anyBearer?.stop();
  });

  it('a gateway that lets everyone in: auth_not_enforced, naming every check', async () => {
    const res = await r.run('guard-open');
    expect(res.outcome).toBe('auth_not_enforced');
    expect(res.reason).toBe(
      'open (/mcp/) accepted MCP requests with no key, the key without "Bearer ", a wrong key (checks no_key, no_bearer_prefix, wrong_key): anyone who reaches the gateway can use its tools',
    );
    expect(res.details?.authChecks).toEqual({
      no_key: { enforced: false, reason: 'an MCP session opened with no key' },
      no_bearer_prefix: { enforced: false, reason: 'an MCP session opened with the key without "Bearer "' },
      wrong_key: { enforced: false, reason: 'an MCP session opened with a wrong key' },
      valid_key: { accepted: true, reason: 'the real key opened a session' },
    });
    // The sessions it got in with were ended too.
    await open.waitForNoConnections();
    expect(open.sessionsClosed).toBe(open.sessionsOpened);
    expect(open.sessionsOpened).toBe(4);
  });

  it('a gateway that takes any bearer token: only wrong_key is not enforced', async () => {
    const res = await r.run('guard-anybearer');
    expect(res.outcome).toBe('auth_not_enforced');
    expect(res.reason).toMatch(/^anybearer \(\/mcp\/\) accepted MCP requests with a wrong key \(check wrong_key\)/);
    expect(res.details?.authChecks).toMatchObject({
      no_key: { enforced: true, status: 401 },
      no_bearer_prefix: { enforced: true, status: 401 },
      wrong_key: { enforced: false },
    });
  });
});

describe('a stateless gateway (no session ids, as LiteLLM 1.77)', () => {
  let gw: FakeMcpGateway;
  afterAll(async () => {
    await gw?.stop();
  });

  it('catalog and call work, nothing to DELETE, no connection left open', async () => {
    gw = await new FakeMcpGateway({ key: KEY, stateless: true, pageSize: 4 }).start();
    gw.tools = [...makeTools('alpha', 9), TOOLS.find((t) => t.name === 'alpha-echo')!];
    const r = new ProbeRunner(config(gw, PROBES, await freePort()));
    const cat = await r.run('cat-plain');
    expect(cat.outcome, cat.reason).toBe('ok');
    expect(cat.reason).toBe('10 tools (alpha: 10)');
    expect(cat.steps.map((x) => x.msg)).toContain(
      'initialized: fake-gateway 0.0.1 (protocol 2025-11-25, stateless (no mcp-session-id))',
    );
    const call = await r.run('call-echo');
    expect(call.outcome, call.reason).toBe('ok');
    expect(gw.requests.some((q) => q.method === 'DELETE')).toBe(false);
    await gw.waitForNoConnections();
  });
});

describe('MCP probes against a fake gateway: faults below and inside the protocol', () => {
  let gw: FakeMcpGateway;
  let r: ProbeRunner;
  beforeAll(async () => {
    gw = await new FakeMcpGateway({ key: KEY }).start();
    gw.tools = [...TOOLS];
    r = new ProbeRunner(config(gw, PROBES, await freePort()));
  });
  afterEach(() => endOfTest(gw));
  afterAll(async () => {
    await gw?.stop();
  });

  async function timed(name: string): Promise<{ res: Awaited<ReturnType<ProbeRunner['run']>>; ms: number }> {
    const t0 = performance.now();
    const res = await r.run(name);
    return { res, ms: performance.now() - t0 };
  }

  /** A run of `name` fails with protocol_error at once (well within its timeout), for `reason` (equal, or matching). */
  async function expectProtocolErrorAtOnce(name: string, reason: string | RegExp): Promise<void> {
    const { res, ms } = await timed(name);
    expect(res.outcome).toBe('protocol_error');
    expect(res.reason).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason));
    expect(ms).toBeLessThan(TIMEOUT_MS / 2);
  }

  it('a server that accepts and never answers: timeout in initialize, on time', async () => {
    gw.rules = [{ on: 'initialize', fault: { kind: 'hang' } }];
    const { res, ms } = await timed('cat-plain');
    expect(res.outcome).toBe('timeout');
    expect(res.reason).toBe('timeout after 1.5s in initialize');
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 1_000);
  });

  it('no answer to tools/list: timeout in list_tools, and the session is still ended (DELETE)', async () => {
    gw.rules = [{ on: 'tools/list', fault: { kind: 'hang' } }];
    const { res, ms } = await timed('cat-plain');
    expect(res.outcome).toBe('timeout');
    expect(res.reason).toBe('timeout after 1.5s in list_tools');
    expect(ms).toBeLessThan(TIMEOUT_MS + 1_000);
    await expect.poll(() => gw.requests.filter((q) => q.method === 'DELETE').length).toBe(1);
    expect(gw.sessionsOpened).toBe(1);
  });

  it('a tool that never returns: timeout in call_tool, the session ended after the abort', async () => {
    const { res, ms } = await timed('call-hang');
    expect(res.outcome).toBe('timeout');
    expect(res.reason).toBe(
      'timeout after 1.5s in call_tool: alpha-hang (server alpha) did not answer, while the gateway answered initialize: the upstream server is stuck or waits on its own backend',
    );
    expect(ms).toBeLessThan(TIMEOUT_MS + 1_000);
    await expect.poll(() => gw.sessionsClosed).toBe(1);
  });

  it('an SSE stream that stops in the middle of an event: protocol_error at once', async () => {
    gw.rules = [{ on: 'initialize', fault: { kind: 'sse_cut' } }];
    await expectProtocolErrorAtOnce('cat-plain', 'the SSE stream from gw ended in the middle of an event');
  });

  it("a request's SSE answer that ends cleanly without the answer and no event id: protocol_error at once", async () => {
    // The SDK would wait for that answer until the timeout: it cannot resume a stream without an event id.
    gw.rules = [{ on: 'tools/list', fault: { kind: 'sse_end_unanswered' } }];
    await expectProtocolErrorAtOnce(
      'cat-plain',
      'gw ended the stream of its answer to tools/list without the answer, and with no event id to resume it from: ' +
        'the gateway was stopped or restarted during the request, or dropped it',
    );
  });

  it('an event that is not JSON on a stream: protocol_error at once, not a timeout', async () => {
    gw.rules = [{ on: 'tools/list', fault: { kind: 'bad_event' } }];
    await expectProtocolErrorAtOnce('cat-plain', /^invalid MCP message from gw: Unexpected token/);
  });

  it('invalid JSON-RPC and non-JSON answers: protocol_error', async () => {
    gw.rules = [{ on: 'initialize', fault: { kind: 'raw_json', body: '{"hello":"world"}' } }];
    const a = await r.run('cat-plain');
    expect(a.outcome).toBe('protocol_error');
    expect(a.reason).toBe(
      'invalid MCP message from gw: not a valid MCP message (jsonrpc: Invalid input: expected "2.0")',
    );
    gw.rules = [{ on: 'initialize', fault: { kind: 'raw_json', body: '<html>proxy error page' } }];
    const b = await r.run('cat-plain');
    expect(b.outcome).toBe('protocol_error');
    expect(b.reason).toMatch(/^invalid MCP message from gw: Unexpected token '<'/);
    // JSON-RPC, but initialize's result is not an initialize result.
    gw.rules = [
      { on: 'initialize', fault: { kind: 'raw_json', body: '{"jsonrpc":"2.0","id":0,"result":{"nope":true}}' } },
    ];
    const c = await r.run('cat-plain');
    expect(c.outcome).toBe('protocol_error');
    expect(c.reason).toMatch(/^invalid MCP message from gw in initialize: not a valid MCP message \(protocolVersion: /);
  });

  it("initialize refused for the gateway's session limit (429): its own reason, named as such", async () => {
    // A fake: LiteLLM 1.109.1 answers 429 only when 100 sessions of one key are busy at once, which
    // a test cannot hold open reliably (it evicts idle ones first).
    gw.rules = [
      {
        on: 'initialize',
        fault: {
          kind: 'status',
          status: 429,
          body: '{"error":"Too Many Requests","details":"Too many active MCP sessions for this caller."}',
        },
      },
    ];
    const res = await r.run('cat-plain');
    expect(res.outcome).toBe('http_error');
    expect(res.reason).toBe(
      '429 Too Many Requests from gw — the gateway\'s session limit for this key is reached: a client is not ending its sessions (LiteLLM keeps each until it is DELETEd, and evicts or refuses the rest on the same key): {"error":"Too Many Requests","details":"Too many active MCP sessions for this caller."}',
    );
  });

  it('a reset connection is connect_error', async () => {
    gw.rules = [{ on: 'initialize', fault: { kind: 'reset' } }];
    const res = await r.run('cat-plain');
    expect(res.outcome).toBe('connect_error');
    expect(res.reason).toMatch(/^connection (reset by|to) 127\.0\.0\.1:\d+ /);
  });

  it('a 50 MB answer (JSON and SSE): protocol_error after reading at most maxResponseBytes', async () => {
    gw.rules = [{ on: 'initialize', fault: { kind: 'huge', bytes: 50 * 1024 * 1024, as: 'json' } }];
    const { res, ms } = await timed('cat-small');
    expect(res.outcome).toBe('protocol_error');
    expect(res.reason).toBe('response from gw larger than 64 KiB (maxResponseBytes): stopped reading it');
    expect(ms).toBeLessThan(2_000);
    // The client stopped reading: the server could write little more than the socket buffers hold.
    expect(gw.faultBytesWritten).toBeLessThan(8 * 1024 * 1024);
    gw.reset();
    gw.rules = [{ on: 'tools/list', fault: { kind: 'huge', bytes: 50 * 1024 * 1024, as: 'sse' } }];
    const sse = await r.run('cat-plain');
    expect(sse.outcome).toBe('protocol_error');
    expect(sse.reason).toBe('response from gw larger than 10 MiB (maxResponseBytes): stopped reading it');
    expect(gw.faultBytesWritten).toBeLessThan(20 * 1024 * 1024);
  });

  it('the legacy SSE session stream closed by the server while in use: protocol_error', async () => {
    gw.rules = [{ on: 'GET', fault: { kind: 'raw_json', body: '' } }];
    // A GET answered 200 application/json with an empty body is no SSE stream: the SDK reports it.
    const a = await r.run('cat-sse');
    expect(['protocol_error', 'http_error']).toContain(a.outcome);
    gw.reset();
    gw.rules = [{ on: 'GET', fault: { kind: 'sse_cut' } }];
    await expectProtocolErrorAtOnce('cat-sse', 'the SSE stream from sse ended in the middle of an event');
  });

  it('memory stays flat over repeated 50 MB answers and failures; no connection is left open', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const settle = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((res) => setImmediate(res));
      }
      return process.memoryUsage().heapUsed;
    };
    const round = async (): Promise<void> => {
      gw.rules = [{ on: 'initialize', fault: { kind: 'huge', bytes: 50 * 1024 * 1024, as: 'json' } }];
      expect((await r.run('cat-1m')).outcome).toBe('protocol_error');
      gw.rules = [{ on: 'tools/list', fault: { kind: 'huge', bytes: 50 * 1024 * 1024, as: 'sse' } }];
      expect((await r.run('cat-1m')).outcome).toBe('protocol_error');
      gw.rules = [{ on: 'initialize', fault: { kind: 'sse_cut' } }];
      expect((await r.run('cat-1m')).outcome).toBe('protocol_error');
      gw.rules = [];
      expect((await r.run('call-fails')).outcome).toBe('tool_error');
    };
    await round(); // warm up (JIT, module state)
    await gw.waitForNoConnections();
    const heap0 = await settle();
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
    try {
      for (let i = 0; i < 10; i++) await round();
    } finally {
      clearInterval(sampler);
    }
    await gw.waitForNoConnections();
    const heap1 = await settle();
    const MiB = 1024 * 1024;
    // 20 answers of 50 MB went by (1 GB): read whole even once, one would cost more than 50 MB.
    expect((heap1 - heap0) / MiB, `heap ${(heap0 / MiB).toFixed(1)} → ${(heap1 / MiB).toFixed(1)} MiB`).toBeLessThan(8);
    expect((peakRss - rss0) / MiB, 'peak RSS growth (MiB)').toBeLessThan(50);
    // 22 answers of 50 MB were started (the warm-up round's too): each stopped within 6 MiB (socket buffers).
    expect(gw.faultBytesWritten / MiB, 'bytes the fake could write (MiB)').toBeLessThan(22 * 6);
  }, 60_000);
});

describe("a server that closes a request's stream before answering, and resumes it on GET (SSE retry, Last-Event-ID)", () => {
  // The SDK's own server with its in-memory event store (fake-mcp `resumable`): the tool closes its
  // stream, as a server polling under SEP-1699 does, and answers on the GET that resumes it. LiteLLM
  // does not do this today; the spec (2025-11-25) lets any server do it.
  let gw: FakeMcpGateway;
  let r: ProbeRunner;
  beforeAll(async () => {
    gw = await new FakeMcpGateway({ key: KEY, resumable: { retryMs: 200 } }).start();
    gw.tools = [
      {
        name: 'alpha-resume',
        call: async (_args, _signal, closeStream) => {
          closeStream?.();
          await new Promise((res) => setTimeout(res, 300));
          return { content: [{ type: 'text', text: 'answered after the resume' }] };
        },
      },
      { name: 'alpha-echo', call: (a) => ({ content: [{ type: 'text', text: `echo: ${String(a.text)}` }] }) },
    ];
    r = new ProbeRunner(
      config(
        gw,
        `
  - { name: call-resume, type: mcp_call, target: gw, timeout: 3s, tool: alpha-resume, expect: { contains: "answered after the resume" } }
  - { name: call-echo, type: mcp_call, target: gw, timeout: 3s, tool: alpha-echo, arguments: { text: hi } }
`,
        await freePort(),
      ),
    );
  });
  afterEach(() => endOfTest(gw));
  afterAll(async () => {
    await gw?.stop();
  });

  it('the result delivered on the resumed stream: ok, not a timeout, and the steps say so', async () => {
    const res = await r.run('call-resume');
    expect(res.outcome, res.reason).toBe('ok');
    const resumed = gw.requests.filter((q) => q.method === 'GET' && q.headers['last-event-id'] !== undefined);
    expect(resumed).toHaveLength(1);
    const steps = res.steps.map((s) => s.msg);
    expect(steps).toContain('the server asks to reconnect after 200ms if a stream breaks (SSE retry)');
    expect(
      steps.some(
        (m) =>
          m.startsWith(`GET ${gw.url}/mcp/  (resume the stream after event "`) &&
          m.endsWith('": the server closed it before the response)'),
      ),
    ).toBe(true);
  });

  it('a call whose stream is not closed sends no resuming GET', async () => {
    const res = await r.run('call-echo');
    expect(res.outcome).toBe('ok');
    expect(gw.requests.filter((q) => q.headers['last-event-id'] !== undefined)).toEqual([]);
  });

  it('resuming refused (405 on the GET): protocol_error at once, not a timeout', async () => {
    gw.rules = [
      { on: 'tools/call', fault: { kind: 'close_after_priming', retryMs: 50 } },
      { on: 'GET', fault: { kind: 'status', status: 405 } },
    ];
    const t0 = performance.now();
    const res = await r.run('call-echo');
    expect(res.outcome).toBe('protocol_error');
    expect(res.reason).toBe(
      'gw closed the stream of a request before answering it, and refused to resume it (GET with Last-Event-ID: 405 Method Not Allowed)',
    );
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('a server that closes the resumed stream again and again without answering: protocol_error after 10 resumes', async () => {
    gw.rules = [
      { on: 'tools/call', fault: { kind: 'close_after_priming', retryMs: 20 } },
      { on: 'GET', fault: { kind: 'close_after_priming', retryMs: 20 } },
    ];
    const res = await r.run('call-echo');
    expect(res.outcome).toBe('protocol_error');
    expect(res.reason).toBe(
      'gw closed the stream of a request 10 times without answering it (each time resumed with Last-Event-ID)',
    );
    expect(
      gw.requests.filter((q) => q.method === 'GET' && q.headers['last-event-id'] === 'fault-priming-1'),
    ).toHaveLength(10);
  });
});

describe('the catalog fingerprint survives a config reload (agent process)', () => {
  let gw: FakeMcpGateway;
  let agent: AgentProcess | undefined;
  afterAll(async () => {
    await agent?.stop();
    await gw?.stop();
  });

  it('a change across a reload is counted and named; a changed probe starts afresh', async () => {
    gw = await new FakeMcpGateway({ key: KEY }).start();
    gw.tools = makeTools('alpha', 3);
    const port = await freePort();
    const dir = tempDir();
    const yaml = (extra: string, servers = '[alpha]'): string => `listen: 127.0.0.1:${port}
targets:
  gw: { url: "${gw.url}", apiKey: "\${GW_KEY}" }
probes:
  - { name: cat, type: mcp_catalog, target: gw, every: 1h, servers: ${servers} }
${extra}`;
    const cfg = writeConfig(dir, yaml(''));
    agent = await AgentProcess.start(cfg, port, { GW_KEY: KEY }, ['--web.enable-lifecycle']);
    const run = async (): Promise<{
      outcome: string;
      reason: string;
      details: { catalog: { changed: boolean; added: string[]; removed: string[] } };
    }> => (await (await agent!.get('/probe?name=cat')).json()) as never;

    const first = await run();
    expect(first.outcome, first.reason).toBe('ok');
    expect(first.details.catalog.changed).toBe(false);

    // Reload with another probe added: `cat` is unchanged and keeps its last catalog.
    writeConfig(dir, yaml('  - { name: live, type: http, target: gw, every: 1h, path: /health }\n'));
    expect((await agent.get('/-/reload', { method: 'POST' })).status).toBe(200);
    gw.tools = [...makeTools('alpha', 2), { name: 'alpha-added' }];
    const afterReload = await run();
    expect(afterReload.details.catalog).toMatchObject({
      changed: true,
      added: ['alpha-added'],
      removed: ['alpha-tool_02'],
    });
    expect(await agent.metric('mcp_catalog_changes_total', { probe: 'cat' })).toBe(1);

    // A changed definition (other servers) is a new probe: its first catalog is no change.
    writeConfig(dir, yaml('', '[alpha, beta]'));
    expect((await agent.get('/-/reload', { method: 'POST' })).status).toBe(200);
    const redefined = await run();
    expect(redefined.details.catalog.changed).toBe(false);
    expect(agent.stdout + agent.stderr).not.toContain(KEY);
  });
});
