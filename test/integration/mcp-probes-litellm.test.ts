import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult } from '../../src/cli/format.js';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { GUARD_KEY_PREFIX } from '../../src/probes/guard-marks.js';
import { runCli, sampleValue, tempDir, writeConfig } from '../support/agent-proc.js';
import {
  EVERYTHING_SERVER,
  FS_SERVER,
  LITELLM_VERSIONS,
  startLiteLLM,
  versionsUnderTest,
  WRONG_KEY,
  type LiteLLM,
} from '../support/litellm.js';
import { ProbeRunner, requestSteps, type LooseResult } from '../support/probe-runner.js';

// The MCP probes (mcp_catalog, mcp_call, auth_guard) against a REAL LiteLLM proxy from PyPI,
// with two real upstream MCP servers from npm that LiteLLM runs over stdio (filesystem on a
// scratch folder, everything), no database, master key only. Run against the deployment's
// version and the newest release; where they behave differently the test says so (and
// docs/probes.md lists it). Faults LiteLLM cannot be made to show are tested
// against a fake in mcp-probes-fake.test.ts.

/**
 * Versions under test: env MCPWATCH_LITELLM_VERSIONS (comma-separated), else those of
 * test/support/litellm-versions.txt (the deployment's, 1.77.1, then 1.109.1 and the newest, 1.110.2).
 */
const VERSIONS = versionsUnderTest(LITELLM_VERSIONS);

interface VersionBehaviour {
  /** auth_guard statuses for no_key, no_bearer_prefix, wrong_key. */
  guardStatuses: [number, number, number];
  /** mcp_catalog with a key the gateway does not know. */
  wrongKeyReason: RegExp;
  /** mcpPath /mcp (no slash). */
  noSlash: 'http_error' | 'ok';
  /** transport: sse. */
  legacySse: 'timeout' | 'ok';
  /** A server name LiteLLM does not know in x-mcp-servers. */
  unknownServer: 'expectation_failed' | 'auth_rejected';
  /** A filesystem tool refused by the upstream (path outside the scratch folder). */
  deniedPath: 'ok' | 'tool_error';
  /** Whether the gateway keeps sessions (mcp-session-id, DELETE). */
  stateful: boolean;
  /** mcp_catalog of only an upstream that exits at once. */
  brokenReason: RegExp;
}

const BEHAVIOUR: Record<string, VersionBehaviour> = {
  '1.77.1': {
    guardStatuses: [500, 500, 500],
    wrongKeyReason:
      /^500 Internal Server Error from wrong — "MCP request failed" without details, which is how LiteLLM 1\.77–1\.85 refuses a key: check apiKey/,
    noSlash: 'http_error',
    legacySse: 'timeout',
    unknownServer: 'expectation_failed',
    deniedPath: 'ok',
    stateful: false,
    // tools/list answers {"tools":[]}: the server is just empty.
    brokenReason:
      /^server down: mcp_broken: no_tools — listed no tools \(LiteLLM 1\.77 gives no reason: .*\) — 0 tools \(mcp_broken: 0\)$/,
  },
  '1.109.1': {
    guardStatuses: [401, 401, 400],
    wrongKeyReason: /^400 Bad Request from wrong — "No connected db\.": LiteLLM could not check the key/,
    noSlash: 'ok',
    legacySse: 'ok',
    unknownServer: 'auth_rejected',
    deniedPath: 'tool_error',
    stateful: true,
    // tools/list is a JSON-RPC error -32603 with the per-server outcomes.
    brokenReason:
      /^no server could list its tools: mcp_broken: internal — the gateway could not start or query it: check its command and the gateway's log — the gateway said: Every MCP server in scope failed to list tools$/,
  },
  // 1.110.2 answers as 1.109.1 does (the same refusals, outcomes and words).
  '1.110.2': {
    guardStatuses: [401, 401, 400],
    wrongKeyReason: /^400 Bad Request from wrong — "No connected db\.": LiteLLM could not check the key/,
    noSlash: 'ok',
    legacySse: 'ok',
    unknownServer: 'auth_rejected',
    deniedPath: 'tool_error',
    stateful: true,
    // tools/list is a JSON-RPC error -32603 with the per-server outcomes.
    brokenReason:
      /^no server could list its tools: mcp_broken: internal — the gateway could not start or query it: check its command and the gateway's log — the gateway said: Every MCP server in scope failed to list tools$/,
  },
};

/** What an SSO token looks like to LiteLLM: a bearer credential that is not one of its keys. */
const SSO_LIKE_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtY3B3YXRjaCJ9.c2lnbmF0dXJl';

function probesYaml(ll: LiteLLM, key: string): string {
  const hello = `${ll.scratchDir}/hello.txt`;
  return `targets:
  lan: { url: "${ll.url}", apiKey: "${key}", timeout: 30s }
  bearer: { url: "${ll.url}", apiKey: "Bearer ${key}", timeout: 30s }
  wrong: { url: "${ll.url}", apiKey: "${WRONG_KEY}", timeout: 30s }
  noslash: { url: "${ll.url}", apiKey: "${key}", mcpPath: /mcp, timeout: 30s }
  # 1.77 never answers there (4 s shows it); 1.109 does, in 1-2 s, or 4+ s when the machine is busy.
  legacy: { url: "${ll.url}", apiKey: "${key}", transport: sse, timeout: ${BEHAVIOUR[ll.version]?.legacySse === 'ok' ? 20 : 4}s }
  # Behind an SSO proxy Authorization carries the SSO token, which reaches LiteLLM too: the key goes in x-litellm-api-key.
  keyheader: { url: "${ll.url}", apiKey: "${key}", apiKeyHeader: X-LiteLLM-API-Key, headers: { authorization: "Bearer ${SSO_LIKE_TOKEN}" }, timeout: 30s }
probes:
  - { name: cat-fs, type: mcp_catalog, target: lan, servers: [${FS_SERVER}], expect: { tools: [${FS_SERVER}-read_text_file, ${FS_SERVER}-list_allowed_directories] } }
  - { name: cat-both, type: mcp_catalog, target: bearer, servers: [${FS_SERVER}, ${EVERYTHING_SERVER}], expect: { tools: [${FS_SERVER}-read_text_file, ${EVERYTHING_SERVER}-echo], minTools: 20 } }
  - { name: cat-missing, type: mcp_catalog, target: lan, servers: [${FS_SERVER}], expect: { tools: [${FS_SERVER}-no_such_tool] } }
  - { name: cat-unknown-server, type: mcp_catalog, target: lan, servers: [mcp_nope] }
  - { name: cat-wrong, type: mcp_catalog, target: wrong, servers: [${FS_SERVER}] }
  - { name: cat-noslash, type: mcp_catalog, target: noslash, servers: [${FS_SERVER}] }
  - { name: cat-sse, type: mcp_catalog, target: legacy, servers: [${FS_SERVER}] }
  - name: call-fs
    type: mcp_call
    target: lan
    servers: [${FS_SERVER}]
    tool: ${FS_SERVER}-read_text_file
    arguments: { path: "${hello}" }
    expect: { contains: "hello from the scratch folder" }
  - { name: call-everything, type: mcp_call, target: lan, servers: [${EVERYTHING_SERVER}], tool: ${EVERYTHING_SERVER}-echo, arguments: { message: "mcpwatch says hi" }, expect: { matches: "^Echo: mcpwatch says hi$" } }
  - { name: call-unknown-tool, type: mcp_call, target: lan, servers: [${FS_SERVER}], tool: ${FS_SERVER}-no_such_tool }
  - { name: call-denied, type: mcp_call, target: lan, servers: [${FS_SERVER}], tool: ${FS_SERVER}-read_text_file, arguments: { path: /etc/hostname } }
  - { name: call-slow, type: mcp_call, target: lan, servers: [${EVERYTHING_SERVER}], tool: ${EVERYTHING_SERVER}-trigger-long-running-operation, arguments: { duration: 6, steps: 3 }, timeout: 2s }
  - { name: cat-broken, type: mcp_catalog, target: lan, servers: [mcp_broken] }
  - { name: call-broken, type: mcp_call, target: lan, servers: [mcp_broken], tool: mcp_broken-anything }
  - { name: guard, type: auth_guard, target: lan, servers: [${FS_SERVER}] }
  - { name: guard-wrong, type: auth_guard, target: wrong, servers: [${FS_SERVER}] }
  - { name: cat-keyheader, type: mcp_catalog, target: keyheader, servers: [${FS_SERVER}], gatewayHealth: true }
  - { name: guard-keyheader, type: auth_guard, target: keyheader, servers: [${FS_SERVER}] }
`;
}

if (VERSIONS.length === 0)
  throw new Error('no LiteLLM versions to test: test/support/litellm-versions.txt is missing or empty');

describe.each(VERSIONS)('MCP probes through a real LiteLLM %s', (version) => {
  const b = BEHAVIOUR[version];
  let ll: LiteLLM;
  let r: ProbeRunner;
  const results: LooseResult[] = [];
  const run = async (name: string, opts?: { fresh?: boolean }): Promise<LooseResult> => {
    const res = await r.run(name, opts);
    results.push(res);
    return res;
  };

  beforeAll(async () => {
    if (!b)
      throw new Error(
        `no expected behaviour written down for LiteLLM ${version} (known: ${Object.keys(BEHAVIOUR).join(', ')})`,
      );
    // mcp_broken: an upstream that exits at once (as a crashing MCP server does).
    ll = await startLiteLLM({
      version,
      extraServers: { mcp_broken: { transport: 'stdio', command: process.execPath, args: ['-e', 'process.exit(1)'] } },
    });
    r = new ProbeRunner(probesYaml(ll, ll.masterKey));
  }, 180_000);
  afterAll(async () => {
    await ll?.stop();
  });

  it('mcp_catalog with one server in x-mcp-servers: only its tools, prefixed {server}-', async () => {
    const res = await run('cat-fs', { fresh: true });
    expect(res.outcome, `${res.reason}\n${ll.logs().slice(-3000)}`).toBe('ok');
    const d = res.details as {
      catalog: { tools: number; toolsPerServer: Record<string, number>; changed: boolean };
      expectedTools: Record<string, boolean>;
      toolNames: string[];
    };
    expect(Object.keys(d.catalog.toolsPerServer)).toEqual([FS_SERVER]);
    expect(d.catalog.toolsPerServer[FS_SERVER]).toBeGreaterThanOrEqual(10);
    expect(d.catalog.tools).toBe(d.catalog.toolsPerServer[FS_SERVER]);
    expect(d.toolNames.every((n) => n.startsWith(`${FS_SERVER}-`))).toBe(true);
    expect(d.expectedTools).toEqual({
      [`${FS_SERVER}-read_text_file`]: true,
      [`${FS_SERVER}-list_allowed_directories`]: true,
    });
    expect(d.catalog.changed).toBe(false);
    expect(Object.keys(res.phases).sort()).toEqual(['connect', 'initialize', 'list_tools']);
    expect(res.reason).toBe(`${d.catalog.tools} tools (${FS_SERVER}: ${d.catalog.tools})`);
    // The key went as "Bearer <key>" although configured without the prefix; shown masked.
    const init = res.steps.find((s) => s.msg.endsWith('  initialize') && s.msg.startsWith('POST'))!;
    expect(init.data?.headers).toMatchObject({ authorization: 'Bearer sk-…cdef', 'x-mcp-servers': FS_SERVER });
    // With or without the prefix is fine (docs/configuration.md): nothing is warned.
    expect(r.logLines.some((l) => String(l.msg).includes('no "Bearer " prefix'))).toBe(false);
    // Stateful gateways get their session ended (DELETE) at the end of the run.
    expect(requestSteps(res).some((m) => m.startsWith('DELETE '))).toBe(b!.stateful);
  });

  it('mcp_catalog with both servers; grown from one server it is a change naming the added tools; the same again is no change', async () => {
    // The previous catalog of this probe is the one a run with only the filesystem server saw
    // (as after someone added mcp_everything to the gateway): then the catalog with both.
    const fsOnly = await run('cat-fs', { fresh: true });
    r.setState('cat-both', r.state('cat-fs')!);
    const res = await run('cat-both');
    expect(res.outcome, res.reason).toBe('ok');
    const c = res.details!.catalog as {
      tools: number;
      toolsPerServer: Record<string, number>;
      fingerprint: string;
      changed: boolean;
      added: string[];
      removed: string[];
      changedSchemas: string[];
    };
    expect(c.toolsPerServer[FS_SERVER]).toBeGreaterThanOrEqual(10);
    expect(c.toolsPerServer[EVERYTHING_SERVER]).toBeGreaterThanOrEqual(5);
    expect(c.tools).toBe(c.toolsPerServer[FS_SERVER]! + c.toolsPerServer[EVERYTHING_SERVER]!);
    expect(res.details?.expectedTools).toEqual({
      [`${FS_SERVER}-read_text_file`]: true,
      [`${EVERYTHING_SERVER}-echo`]: true,
    });
    expect(c.changed).toBe(true);
    expect(c.removed).toEqual([]);
    expect(c.changedSchemas).toEqual([]);
    expect(c.added.length).toBe(c.tools - (fsOnly.details!.catalog as { tools: number }).tools);
    expect(c.added.every((n) => n.startsWith(`${EVERYTHING_SERVER}-`))).toBe(true);
    expect(res.reason).toBe(
      `${c.tools} tools (${FS_SERVER}: ${c.toolsPerServer[FS_SERVER]}, ${EVERYTHING_SERVER}: ${c.toolsPerServer[EVERYTHING_SERVER]}); catalog changed (+${c.added.length} -0 ~0)`,
    );
    // Same catalog again: no change, same fingerprint (stable across runs and key order on the wire).
    const again = await run('cat-both');
    expect(again.details?.catalog).toMatchObject({ changed: false, fingerprint: c.fingerprint, added: [] });
  });

  it('an expected tool that is missing is expectation_failed', async () => {
    const res = await run('cat-missing');
    expect(res.outcome).toBe('expectation_failed');
    expect(res.reason).toMatch(
      new RegExp(`^expected tool missing: ${FS_SERVER}-no_such_tool — \\d+ tools \\(${FS_SERVER}: \\d+\\)$`),
    );
    expect(res.details?.expectedTools).toEqual({ [`${FS_SERVER}-no_such_tool`]: false });
  });

  it('mcp_call: a filesystem tool and an everything tool', async () => {
    const fs = await run('call-fs');
    expect(fs.outcome, fs.reason).toBe('ok');
    expect(fs.reason).toBe(`${FS_SERVER}-read_text_file returned hello from the scratch folder`);
    expect(Object.keys(fs.phases).sort()).toEqual(['call_tool', 'connect', 'initialize']);
    const ev = await run('call-everything');
    expect(ev.outcome, ev.reason).toBe('ok');
    expect(ev.reason).toBe(`${EVERYTHING_SERVER}-echo returned Echo: mcpwatch says hi`);
  });

  it('mcp_call: an unknown tool is tool_error (1.77 reports it with isError: false)', async () => {
    const res = await run('call-unknown-tool');
    expect(res.outcome).toBe('tool_error');
    expect(res.reason).toMatch(/^mcp_fs-no_such_tool failed: .*Tool no_such_tool not found/);
    if (version === '1.77.1') expect(res.reason).toContain('(reported by the gateway with isError: false)');
  });

  it(`mcp_call: a path the upstream refuses is ${b?.deniedPath} (isError as the gateway reports it)`, async () => {
    const res = await run('call-denied');
    expect(res.outcome).toBe(b!.deniedPath);
    expect(res.reason).toMatch(/Access denied - path outside allowed directories/);
  });

  it('mcp_call: a tool slower than the timeout is timeout in call_tool, and the session is still ended', async () => {
    const mark = ll.proc.out.total;
    const res = await run('call-slow');
    expect(res.outcome).toBe('timeout');
    expect(res.reason).toBe(
      `timeout after 2s in call_tool: ${EVERYTHING_SERVER}-trigger-long-running-operation (server ${EVERYTHING_SERVER}) did not answer, while the gateway answered initialize: the upstream server is stuck or waits on its own backend`,
    );
    expect(res.durationMs).toBeLessThan(3_500);
    if (b!.stateful) {
      // The DELETE after the abort goes out on its own connection and deadline.
      await expect
        .poll(() => ll.proc.out.since(mark).toString('utf8'), { timeout: 5_000 })
        .toMatch(/"DELETE \/mcp\/ HTTP\/1\.1" 200/);
    }
  });

  it(`auth_guard: no key, no "Bearer ", a wrong key are all rejected (${b?.guardStatuses.join(', ')}); the real key is accepted`, async () => {
    const res = await run('guard');
    expect(res.outcome, JSON.stringify(res.details)).toBe('ok');
    const [noKey, noBearer, wrong] = b!.guardStatuses;
    expect(res.reason).toBe(
      `all 3 rejected (no_key ${noKey}, no_bearer_prefix ${noBearer}, wrong_key ${wrong}); the real key is accepted`,
    );
    expect(res.details?.authChecks).toMatchObject({
      no_key: { enforced: true, status: noKey },
      no_bearer_prefix: { enforced: true, status: noBearer },
      wrong_key: { enforced: true, status: wrong },
      valid_key: { accepted: true },
    });
    // The wrong key is recognisable (sk-mcpwatch-guard-…); what the step log shows of it is masked.
    const wrongStep = res.steps.find((s) => s.msg.startsWith('[wrong_key] POST'))!;
    expect(String((wrongStep.data?.headers as Record<string, string>).authorization)).toMatch(
      /^Bearer sk-…[0-9a-f]{4}$/,
    );
  });

  it('apiKeyHeader x-litellm-api-key: LiteLLM takes the key there while Authorization carries another token; the guard checks that header, keeping Authorization', async () => {
    const cat = await run('cat-keyheader');
    expect(cat.outcome, cat.reason).toBe('ok');
    expect(Object.values(cat.details?.gatewayHealth?.servers ?? {})).toContainEqual(
      expect.objectContaining({ healthy: true }),
    );
    const init = cat.steps.find((s) => s.msg.endsWith('initialize'))!;
    expect(init.data?.headers).toMatchObject({
      'x-litellm-api-key': expect.stringMatching(/^Bearer sk-…[0-9a-z]{4}$/),
      authorization: 'Bearer ***',
    });
    const guard = await run('guard-keyheader');
    expect(guard.outcome, JSON.stringify(guard.details)).toBe('ok');
    // no_bearer_prefix is about Authorization; in x-litellm-api-key 1.109 takes a key without the
    // prefix too, so the guard leaves that check out for this target (parse.ts).
    expect(Object.keys(guard.details?.authChecks ?? {})).toEqual(['no_key', 'wrong_key', 'valid_key']);
    expect(guard.details?.authChecks).toMatchObject({
      no_key: { enforced: true },
      wrong_key: { enforced: true },
      valid_key: { accepted: true },
    });
    const sent = (check: string): Record<string, string> =>
      guard.steps.find((s) => s.msg.startsWith(`[${check}] POST`))!.data!.headers as Record<string, string>;
    expect(sent('no_key')['x-litellm-api-key']).toBeUndefined();
    expect(sent('no_key').authorization).toBe('Bearer ***');
    expect(sent('wrong_key')['x-litellm-api-key']).toMatch(/^Bearer sk-…[0-9a-f]{4}$/);
    expect(JSON.stringify([cat, guard])).not.toContain(SSO_LIKE_TOKEN);
  });

  it('auth_guard with a key the gateway does not know: the three are rejected, the key is auth_rejected', async () => {
    const res = await run('guard-wrong');
    expect(res.outcome).toBe('auth_rejected');
    expect(res.reason).toMatch(/^the real key was refused: /);
    expect(res.details?.authChecks).toMatchObject({
      no_key: { enforced: true },
      no_bearer_prefix: { enforced: true },
      wrong_key: { enforced: true },
      valid_key: { accepted: false },
    });
  });

  it('a wrong key is auth_rejected with a reason that says why', async () => {
    const res = await run('cat-wrong');
    expect(res.outcome).toBe('auth_rejected');
    expect(res.reason).toMatch(b!.wrongKeyReason);
    expect(JSON.stringify(res)).not.toContain(WRONG_KEY);
  });

  it(`mcpPath /mcp without the slash: ${b?.noSlash}`, async () => {
    const res = await run('cat-noslash');
    expect(res.outcome, res.reason).toBe(b!.noSlash);
    if (b!.noSlash === 'http_error')
      expect(res.reason).toBe(`307 Temporary Redirect from noslash: redirect to ${ll.url}/mcp/ — use mcpPath /mcp/`);
  });

  it(`transport: sse (legacy GET /mcp/sse): ${b?.legacySse}`, async () => {
    const res = await run('cat-sse');
    expect(res.outcome, res.reason).toBe(b!.legacySse);
    if (b!.legacySse === 'timeout') {
      expect(res.reason).toBe(
        `timeout after 4s in initialize: ${ll.url}/mcp/sse never sent the legacy SSE "endpoint" event (LiteLLM 1.77 serves only streamable HTTP there: use transport: streamable-http)`,
      );
    } else {
      expect(res.reason).toMatch(new RegExp(`^\\d+ tools \\(${FS_SERVER}: \\d+\\)$`));
      expect(requestSteps(res)[0]).toMatch(/^GET http:.*\/mcp\/sse {2}\(open SSE session stream\)$/);
    }
  });

  it(`a server name LiteLLM does not know: ${b?.unknownServer}`, async () => {
    const res = await run('cat-unknown-server');
    expect(res.outcome).toBe(b!.unknownServer);
    if (b!.unknownServer === 'auth_rejected') {
      expect(res.reason).toMatch(
        /^403 Forbidden from lan — the key may not use MCP server mcp_nope: is the name in servers right/,
      );
    } else {
      // 1.77 ignores the filter and lists every server's tools.
      expect(res.reason).toMatch(/^server down: mcp_nope: no_tools — listed no tools .* — \d+ tools \(mcp_nope: 0, /);
    }
  });

  it('an upstream that does not start: expectation_failed for the catalog, tool_error for a call', async () => {
    const cat = await run('cat-broken');
    expect(cat.outcome).toBe('expectation_failed');
    expect(cat.reason).toMatch(b!.brokenReason);
    expect(cat.details?.catalog).toMatchObject({ tools: 0, toolsPerServer: { mcp_broken: 0 } });
    expect(cat.details?.servers).toEqual({
      mcp_broken:
        version === '1.77.1'
          ? { up: false, tools: 0, reason: 'no_tools' }
          : { up: false, tools: 0, reason: 'internal', said: 'internal' },
    });
    const call = await run('call-broken');
    expect(call.outcome).toBe('tool_error');
    expect(call.reason).toMatch(
      version === '1.77.1'
        ? /^mcp_broken-anything failed: server mcp_broken is down: the gateway has no session to it \(its words: MCP client session is not initialized\)$/
        : /^mcp_broken-anything failed: server mcp_broken is down: the gateway could not list its tools \(internal\), so it does not know the tool \(its words: Error: Tool anything not found\)$/,
    );
  });

  it('results feed the metrics: tools per server, expected tools, auth checks', async () => {
    const m = createMetrics(new Registry(), { defaultMetrics: false });
    const rec = new ProbeRecorder(m);
    rec.declare(r.config.probes);
    for (const res of results) rec.record(res);
    const text = await m.registry.metrics();
    expect(sampleValue(text, 'mcp_catalog_tools', { probe: 'cat-fs', server: FS_SERVER })).toBeGreaterThanOrEqual(10);
    expect(
      sampleValue(text, 'mcp_catalog_tool_present', { probe: 'cat-missing', tool: `${FS_SERVER}-no_such_tool` }),
    ).toBe(0);
    expect(
      sampleValue(text, 'mcp_catalog_tool_present', { probe: 'cat-both', tool: `${EVERYTHING_SERVER}-echo` }),
    ).toBe(1);
    expect(sampleValue(text, 'mcp_catalog_changes_total', { probe: 'cat-both' })).toBe(1);
    for (const check of ['no_key', 'no_bearer_prefix', 'wrong_key'])
      expect(sampleValue(text, 'mcp_auth_enforced', { probe: 'guard', check })).toBe(1);
    expect(text).not.toContain('check="valid_key"');
    expect(sampleValue(text, 'mcp_catalog_tools', { probe: 'cat-broken', server: 'mcp_broken' })).toBe(0);
  });

  it('mcpwatch probe NAME (the built CLI) prints what was sent, masked, each phase and the result', async () => {
    const dir = tempDir();
    const cfg = writeConfig(dir, probesYaml(ll, '${LL_KEY}'));
    const guard = await runCli(['probe', 'guard', '--config', cfg], {
      env: { LL_KEY: ll.masterKey },
      timeoutMs: 60_000,
    });
    expect(guard.code, guard.stderr).toBe(0);
    expect(guard.stdout).toMatch(/^probe guard \(auth_guard\) → target lan http:\/\/127\.0\.0\.1:\d+\n/);
    // protocol: auto, a one-off run (no era remembered): server/discover first, refused; then initialize.
    expect(guard.stdout).toMatch(/\[no_key\] POST http:\/\/127\.0\.0\.1:\d+\/mcp\/\S* {2}server\/discover\n/);
    expect(guard.stdout).toMatch(/\[valid_key\] POST http:\/\/127\.0\.0\.1:\d+\/mcp\/ {2}initialize\n/);
    expect(guard.stdout).toContain('protocol: legacy 2025-');
    expect(guard.stdout).toMatch(
      /\[wrong_key\] POST .*\n {14}\(headers as above, but:\)\n {14}authorization: Bearer sk-…[0-9a-f]{4}\n/,
    );
    expect(guard.stdout).toMatch(/phases: {3}connect [\d.]+m?s, initialize [\d.]+m?s\n/);
    expect(guard.stdout).toContain(
      `result:   OK ok: all 3 rejected (no_key ${b!.guardStatuses[0]}, no_bearer_prefix ${b!.guardStatuses[1]}, wrong_key ${b!.guardStatuses[2]}); the real key is accepted\n`,
    );
    expect(guard.stdout).toMatch(/\n {2}no_key {12}rejected, as it must be: rejected: /);
    expect(guard.stdout + guard.stderr).not.toContain(ll.masterKey);

    const wrong = await runCli(['probe', 'cat-wrong', '--config', cfg], {
      env: { LL_KEY: ll.masterKey },
      timeoutMs: 60_000,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/\nresult: {3}FAILED auth_rejected: /);
    expect(wrong.stdout + wrong.stderr).not.toContain(WRONG_KEY);

    const call = await runCli(['probe', 'call-everything', '--config', cfg, '--json'], {
      env: { LL_KEY: ll.masterKey },
      timeoutMs: 60_000,
    });
    expect(call.code, call.stdout).toBe(0);
    const json = JSON.parse(call.stdout) as LooseResult;
    expect(json).toMatchObject({
      outcome: 'ok',
      type: 'mcp_call',
      details: { tool: `${EVERYTHING_SERVER}-echo`, isError: false },
    });
    expect(call.stdout).not.toContain(ll.masterKey);
  });

  it('nothing mcpwatch produced holds a key; the gateway never ran out of sessions', () => {
    const all =
      JSON.stringify(results) + results.map((x) => formatResult(x, ll.url)).join('') + JSON.stringify(r.logLines);
    expect(all).not.toContain(ll.masterKey);
    expect(all).not.toContain(WRONG_KEY);
    expect(all).not.toMatch(new RegExp(`${GUARD_KEY_PREFIX}[0-9a-f]{8,}`));
    // LiteLLM 1.108+ allow 8 open sessions per key: every run above ended its session.
    expect(ll.stderr() + ll.stdout()).not.toContain('Caller subscription limit reached');
  });
});
