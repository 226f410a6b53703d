import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { AgentProcess, freePort, REPO, startAgentWith, tempDir } from '../support/agent-proc.js';
import { ensureNodeFromNpm, ensureNpmPackage } from '../support/npm-tools.js';

// The official MCP conformance suite (npm @modelcontextprotocol/conformance, on a Node 26 from npm:
// it needs Node >= 22) against mcpwatch on both sides: the real `mcpwatch run` process as the server
// (its /mcp endpoint), and `mcpwatch probe` as the client (test/conformance/client.mjs turns the URL
// the suite hands over into a config). Every scenario runs (--suite all); the ones mcpwatch is
// expected to fail are listed, each with why, in test/conformance/expected-failures.yaml, and the
// suite itself fails a run where a listed one passes or an unlisted one fails.
//
// The 0.2 line (0.2.0-alpha.12, the first with the 2026-07-28 revision) runs beside it on both sides,
// once per revision (--spec-version 2026-07-28 and 2025-11-25): the server side against an agent with
// the shipped default access (no allowedOrigins: the DNS-rebinding scenario's valid loopback origin
// passes as the server's own), the client side through the same client.mjs on this Node (20 in
// `npm test`, 26 in scripts/test-node26.sh). Its baselines, a server and a client list per revision,
// are in test/conformance/expected-failures-0.2.yaml. `--spec-version` leaves the extension scenarios
// out of `--suite all`, so the client-credentials ones run one by one at each revision (`--force`).

const CONFORMANCE_VERSION = '0.1.16';
const BASELINE = join(REPO, 'test/conformance/expected-failures.yaml');
/** Scenarios that apply to mcpwatch: they must pass, and must never be moved to the baseline. */
const MUST_PASS = {
  server: ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'],
  client: [
    'initialize',
    'tools_call',
    'sse-retry',
    'auth/client-credentials-basic',
    'auth/client-credentials-jwt',
    'auth/resource-mismatch',
  ],
};
/** The client under test: `mcpwatch probe` through client.mjs, on the Node running the tests. */
const CLIENT_COMMAND = `${process.execPath} ${join(REPO, 'test/conformance/client.mjs')}`;
/** Methods of capabilities mcpwatch does not declare: their scenarios fail on -32601, nothing else. */
const UNDECLARED = /^(logging-set-level|completion-complete|resources-.*|prompts-.*)$/;

const ALPHA_VERSION = '0.2.0-alpha.12';
const ALPHA_BASELINES = join(REPO, 'test/conformance/expected-failures-0.2.yaml');
type Revision = '2026-07-28' | '2025-11-25';
type Side = 'server' | 'client';
const REVISIONS = ['2026-07-28', '2025-11-25'] as const;
/** The alpha's scenarios that apply to mcpwatch, per revision and side: they must pass. */
const ALPHA_MUST_PASS: Record<Revision, Record<Side, string[]>> = {
  '2026-07-28': {
    server: [
      'tools-list',
      'http-header-validation',
      'dns-rebinding-protection',
      'server-sse-multiple-streams',
      'input-required-result-unsupported-methods',
      'input-required-result-validate-input',
    ],
    client: [
      'tools_call',
      'request-metadata',
      'http-standard-headers',
      'http-invalid-tool-headers',
      'json-schema-ref-no-deref',
      'auth/resource-mismatch',
      'auth/metadata-issuer-mismatch',
    ],
  },
  '2025-11-25': {
    server: ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'],
    client: ['initialize', 'tools_call', 'sse-retry'],
  },
};
/** The alpha's extension scenarios that apply (client side): run one by one at each revision, they must pass. */
const ALPHA_EXTENSIONS = ['auth/client-credentials-basic', 'auth/client-credentials-jwt'];

interface Check {
  id: string;
  name?: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

let node: string;
let cli: string;
let alphaCli: string;

/** Runs a suite (`suite`: its CLI); resolves with its exit code and output (it prints its summary to stdout). */
function conformance(suite: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [suite, ...args], { cwd: tempDir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Every check of every scenario in a results folder, by scenario (the folder names carry a timestamp). */
function results(dir: string): Map<string, Check[]> {
  const byScenario = new Map<string, Check[]>();
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (!e.isDirectory()) continue;
      if (existsSync(join(path, 'checks.json'))) {
        const scenario = `${prefix}${e.name.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '')}`;
        byScenario.set(scenario, JSON.parse(readFileSync(join(path, 'checks.json'), 'utf8')) as Check[]);
      } else {
        walk(path, `${prefix}${e.name}/`);
      }
    }
  };
  walk(dir, '');
  return byScenario;
}

/** Each scenario ran, and passed on its own checks (not only by the suite's verdict). */
function expectPassed(checks: Map<string, Check[]>, scenarios: readonly string[]): void {
  for (const s of scenarios) {
    const c = checks.get(s);
    expect(c, `scenario ${s} ran`).toBeDefined();
    expect(
      c!.filter((x) => x.status === 'FAILURE'),
      s,
    ).toEqual([]);
    expect(c!.filter((x) => x.status === 'SUCCESS').length, s).toBeGreaterThan(0);
  }
}

/**
 * Runs every scenario of one side (`how`: the server's URL or the client's command), the baseline's expected to
 * fail: the suite passes, and each scenario that must pass did on its own checks. Resolves with every check.
 */
async function runSuite(side: 'server' | 'client', how: string[]): Promise<Map<string, Check[]>> {
  const out = tempDir();
  const run = await conformance(cli, [side, ...how, '--suite', 'all', '--expected-failures', BASELINE, '-o', out]);
  expect(run.code, run.out).toBe(0);
  const checks = results(out);
  expectPassed(checks, MUST_PASS[side]);
  return checks;
}

/**
 * The alpha, one side (`how`: the server's URL or the client's command), every scenario of one revision, with that
 * revision's baseline: the suite passes, and each scenario that must pass did on its own checks.
 */
async function runAlpha(side: Side, how: string[], revision: Revision): Promise<Map<string, Check[]>> {
  const out = tempDir();
  const file = join(tempDir(), 'baseline.yaml');
  writeFileSync(file, stringify(alphaBaselines[revision]));
  const args = [side, ...how, '--suite', 'all', '--spec-version', revision, '--expected-failures', file];
  const run = await conformance(alphaCli, [...args, '-o', out]);
  expect(run.code, run.out).toBe(0);
  const checks = results(out);
  expectPassed(checks, ALPHA_MUST_PASS[revision][side]);
  return checks;
}

/** The alpha's extension scenarios, client side, one by one at `revision` (which they are not tagged with). */
async function runAlphaExtensions(revision: Revision): Promise<Map<string, Check[]>> {
  const out = tempDir();
  for (const scenario of ALPHA_EXTENSIONS) {
    const args = ['client', '--command', CLIENT_COMMAND, '--scenario', scenario, '--spec-version', revision];
    const run = await conformance(alphaCli, [...args, '--force', '-o', out]);
    expect(run.code, run.out).toBe(0);
  }
  const checks = results(out);
  expectPassed(checks, ALPHA_EXTENSIONS);
  for (const s of ALPHA_EXTENSIONS)
    for (const id of ['token-request', 'valid-bearer-token'])
      expect(statusOf(checks, s)[id], `${s} ${id}`).toBe('SUCCESS');
  return checks;
}

/** A scenario's checks by id (the worst status of an id that appears more than once). */
function statusOf(checks: Map<string, Check[]>, scenario: string): Record<string, Check['status']> {
  const c = checks.get(scenario);
  expect(c, `scenario ${scenario} ran`).toBeDefined();
  const rank = ['FAILURE', 'WARNING', 'SUCCESS', 'INFO', 'SKIPPED'];
  const out: Record<string, Check['status']> = {};
  for (const x of c!) if (!out[x.id] || rank.indexOf(x.status) < rank.indexOf(out[x.id]!)) out[x.id] = x.status;
  return out;
}

/** The failed checks of a scenario (warnings too: the suite's baseline counts them as failures). */
function failed(checks: Map<string, Check[]>, scenario: string, statuses = ['FAILURE']): Check[] {
  const c = checks.get(scenario);
  expect(c, `scenario ${scenario} ran`).toBeDefined();
  return c!.filter((x) => statuses.includes(x.status));
}

/** Each listed scenario of capabilities mcpwatch does not declare failed on -32601, and on nothing else. */
function expectUndeclaredFailures(checks: Map<string, Check[]>, listed: readonly string[]): void {
  for (const s of listed.filter((x) => UNDECLARED.test(x))) {
    const failures = failed(checks, s);
    expect(failures.length, s).toBeGreaterThan(0);
    for (const f of failures) expect(f.errorMessage, s).toMatch(/(-32601: )?Method not found/);
  }
}

const baseline = parse(readFileSync(BASELINE, 'utf8')) as { server: string[]; client: string[] };
const alphaBaselines = parse(readFileSync(ALPHA_BASELINES, 'utf8')) as Record<Revision, Record<Side, string[]>>;

beforeAll(() => {
  node = ensureNodeFromNpm();
  cli = ensureNpmPackage(
    `conformance-${CONFORMANCE_VERSION}`,
    `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`,
    'dist/index.js',
  );
  alphaCli = ensureNpmPackage(
    `conformance-${ALPHA_VERSION}`,
    `@modelcontextprotocol/conformance@${ALPHA_VERSION}`,
    'dist/index.js',
  );
}, 180_000);

it('the expected-failures lists never hold a scenario that applies to mcpwatch', () => {
  expect(baseline.server.filter((s) => MUST_PASS.server.includes(s))).toEqual([]);
  expect(baseline.client.filter((s) => MUST_PASS.client.includes(s))).toEqual([]);
  for (const revision of REVISIONS)
    for (const side of ['server', 'client'] as const) {
      const listed = alphaBaselines[revision][side];
      const applies = [...ALPHA_MUST_PASS[revision][side], ...(side === 'client' ? ALPHA_EXTENSIONS : [])];
      expect(
        listed.filter((s) => applies.includes(s)),
        `${revision} ${side}`,
      ).toEqual([]);
    }
});

describe('mcpwatch as an MCP server: the conformance suite against `mcpwatch run`', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    const deadPort = await freePort();
    // No token (the DNS-rebinding scenario is for servers without auth, like the shipped default);
    // the loopback origin the suite sends as the valid one is allowed, Host is checked too.
    agent = await startAgentWith(
      (port) => `targets:
  gw: { url: "http://127.0.0.1:${deadPort}" }
probes:
  - { name: gw-live, type: http, target: gw, path: /, auth: false, every: 1m }
mcpServer:
  enabled: true
web:
  allowedOrigins: ["http://127.0.0.1:${port}", "http://localhost:${port}"]
  allowedHosts: [127.0.0.1, localhost]
`,
    );
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
  });

  it('passes every scenario that applies; the others fail as listed, undeclared capabilities on -32601', async () => {
    const checks = await runSuite('server', ['--url', `${agent.baseUrl}/mcp`]);
    expect(checks.get('dns-rebinding-protection')!.map((c) => [c.id, c.status])).toEqual([
      ['localhost-host-rebinding-rejected', 'SUCCESS'],
      ['localhost-host-valid-accepted', 'SUCCESS'],
    ]);
    expectUndeclaredFailures(checks, baseline.server);
    // The reference server's test tools: a call to a tool mcpwatch does not have is -32602.
    for (const s of ['tools-call-simple-text', 'tools-call-error'])
      expect(failed(checks, s).map((c) => c.errorMessage)).toEqual([
        expect.stringMatching(/-32602: Tool test_\w+ not found/),
      ]);
    // mcpwatch answered every request of the suite without failing itself.
    expect((await agent.get('/health')).status).toBe(200);
  }, 300_000);
});

describe(`mcpwatch as an MCP server, 2026-07-28 and 2025-11-25: the ${ALPHA_VERSION} suite against \`mcpwatch run\``, () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    const deadPort = await freePort();
    // The shipped default access: no token, no allowedOrigins, no allowedHosts, on 127.0.0.1.
    agent = await startAgentWith(
      `targets:
  gw: { url: "http://127.0.0.1:${deadPort}" }
probes:
  - { name: gw-live, type: http, target: gw, path: /, auth: false, every: 1m }
mcpServer:
  enabled: true
`,
    );
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
  });

  it('2026-07-28: every scenario that applies passes; the others fail only as listed', async () => {
    const checks = await runAlpha('server', ['--url', `${agent.baseUrl}/mcp`], '2026-07-28');
    expectUndeclaredFailures(checks, alphaBaselines['2026-07-28'].server);
    // server-stateless: every protocol check passes; only those needing the reference server's
    // diagnostic tools fail, as not testable.
    const stateless = failed(checks, 'server-stateless');
    expect(stateless.map((c) => c.id).sort()).toEqual([
      'sep-2575-http-server-no-independent-requests-on-stream',
      'sep-2575-missing-capability-http-400',
      'sep-2575-server-no-log-without-loglevel',
      'sep-2575-server-rejects-undeclared-capability',
    ]);
    for (const c of stateless) expect(c.errorMessage).toMatch(/^Not testable/);
    expect(checks.get('server-stateless')!.filter((c) => c.status === 'SUCCESS').length).toBeGreaterThanOrEqual(24);
    // caching: tools/list carries its hints; only the methods mcpwatch does not serve fail.
    const caching = checks.get('caching')!;
    for (const id of ['sep-2549-tools-list-caching-hints', 'sep-2549-ttl-non-negative', 'sep-2549-cache-scope-valid'])
      expect(caching.find((c) => c.id === id)?.status, id).toBe('SUCCESS');
    for (const c of failed(checks, 'caching')) expect(c.errorMessage).toMatch(/returned JSON-RPC error -32601/);
    for (const c of failed(checks, 'http-custom-header-server-validation'))
      expect(c.errorMessage).toMatch(/^Not testable/);
    // sep-2164: warnings only (no resources: -32601, not -32602), no failure.
    expect(failed(checks, 'sep-2164-resource-not-found')).toEqual([]);
    expect(failed(checks, 'sep-2164-resource-not-found', ['WARNING']).length).toBeGreaterThan(0);
    expect(checks.get('dns-rebinding-protection')!.map((c) => [c.id, c.status])).toEqual([
      ['localhost-host-rebinding-rejected', 'SUCCESS'],
      ['localhost-host-valid-accepted', 'SUCCESS'],
    ]);
    expect((await agent.get('/health')).status).toBe(200);
  }, 300_000);

  it('2025-11-25: every scenario that applies passes; the others fail only as listed', async () => {
    const checks = await runAlpha('server', ['--url', `${agent.baseUrl}/mcp`], '2025-11-25');
    expectUndeclaredFailures(checks, alphaBaselines['2025-11-25'].server);
    expect(checks.get('dns-rebinding-protection')!.map((c) => c.status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect((await agent.get('/health')).status).toBe(200);
  }, 300_000);
});

describe('mcpwatch as an MCP client: the conformance suite against `mcpwatch probe`', () => {
  it('initialize, tools_call, sse-retry and the auth scenarios with client credentials pass; the others fail as listed', async () => {
    const checks = await runSuite('client', ['--command', CLIENT_COMMAND]);
    expect(
      checks
        .get('sse-retry')!
        .filter((c) => c.status === 'SUCCESS')
        .map((c) => c.id),
    ).toEqual(['client-sse-graceful-reconnect', 'client-sse-retry-timing', 'client-sse-last-event-id']);
    // The resource metadata names another resource: refused before any token request.
    expect(statusOf(checks, 'auth/resource-mismatch')['token-request']).toBeUndefined();
  }, 300_000);
});

describe(`mcpwatch as an MCP client, 2026-07-28 and 2025-11-25: the ${ALPHA_VERSION} suite against \`mcpwatch probe\``, () => {
  it('2026-07-28: every scenario that applies passes, the client-credentials ones too; the others fail only as listed', async () => {
    const checks = await runAlpha('client', ['--command', CLIENT_COMMAND], '2026-07-28');
    // SEP-2575: _meta and MCP-Protocol-Version on every request, and after the first request is refused with
    // -32022 the retry speaks the version the server named; mcpwatch declares no client capability.
    expect(statusOf(checks, 'request-metadata')).toEqual({
      'sep-2575-http-client-sends-version-header': 'SUCCESS',
      'sep-2575-client-populates-meta': 'SUCCESS',
      'sep-2575-client-sends-client-info': 'SUCCESS',
      'sep-2575-http-version-header-matches-meta': 'SUCCESS',
      'sep-2575-client-declares-roots-capability': 'SKIPPED',
      'sep-2575-client-declares-sampling-capability': 'SKIPPED',
      'sep-2575-client-declares-elicitation-capability': 'SKIPPED',
      'sep-2575-client-retry-supported-version': 'SUCCESS',
    });
    // SEP-2243: Mcp-Method on tools/list and tools/call, Mcp-Name on tools/call (the rest is never sent).
    expect(
      checks
        .get('http-standard-headers')!
        .filter((c) => c.status === 'SUCCESS')
        .map((c) => c.name)
        .sort(),
    ).toEqual([
      'ClientMcpMethodHeader_tools_call',
      'ClientMcpMethodHeader_tools_list',
      'ClientMcpNameHeader_tools_call',
    ]);
    expect(statusOf(checks, 'http-invalid-tool-headers')['sep-2243-client-reject-invalid-tool']).toBe('SUCCESS');
    // Listed: the calls carry no Mcp-Param-* header (nothing else fails); nothing is sent for null or unannotated.
    for (const f of failed(checks, 'http-custom-headers'))
      expect(f.errorMessage).toMatch(/^(Missing Mcp-Param-\w+ header|Client called test_custom_headers but sent no)/);
    expect(statusOf(checks, 'http-custom-headers')['sep-2243-client-omit-null']).toBe('SUCCESS');
    // Listed: only the input-required rounds fail; a call between them carries none of their state.
    expect(
      failed(checks, 'sep-2322-client-request-state')
        .map((c) => c.id)
        .sort(),
    ).toEqual([
      'sep-2322-client-jsonrpc-id-different',
      'sep-2322-client-no-state-omitted',
      'sep-2322-client-request-state-echoed',
      'sep-2322-default-result-type-complete',
    ]);
    expect(statusOf(checks, 'sep-2322-client-request-state')['sep-2322-client-parallel-isolation']).toBe('SUCCESS');
    expectSchemaListedNotEchoed(checks);
    // The resource's or the issuer's metadata does not match: refused before any token request.
    for (const s of ['auth/resource-mismatch', 'auth/metadata-issuer-mismatch'])
      expect(statusOf(checks, s)['token-request'], s).toBeUndefined();
    await runAlphaExtensions('2026-07-28');
  }, 300_000);

  it('2025-11-25: every scenario that applies passes, the client-credentials ones too; the others fail only as listed', async () => {
    const checks = await runAlpha('client', ['--command', CLIENT_COMMAND], '2025-11-25');
    expect(
      checks
        .get('sse-retry')!
        .filter((c) => c.status === 'SUCCESS')
        .map((c) => c.id),
    ).toEqual(['client-sse-graceful-reconnect', 'client-sse-retry-timing', 'client-sse-last-event-id']);
    expectSchemaListedNotEchoed(checks);
    await runAlphaExtensions('2025-11-25');
  }, 300_000);
});

/** json-schema-2020-12-preservation (listed at both revisions): the catalog lists the tool; only the echo fails. */
function expectSchemaListedNotEchoed(checks: Map<string, Check[]>): void {
  const s = 'json-schema-2020-12-preservation';
  expect(failed(checks, s).map((c) => c.id)).toEqual(['json-schema-2020-12-client-echo-completed']);
  expect(statusOf(checks, s)['json-schema-2020-12-client-tool-found']).toBe('SUCCESS');
}
