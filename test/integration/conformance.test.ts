import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AgentProcess, freePort, REPO, startAgentWith, tempDir } from '../support/agent-proc.js';
import { ensureNodeFromNpm, ensureNpmPackage } from '../support/npm-tools.js';

// The official MCP conformance suite (npm @modelcontextprotocol/conformance, on a Node 26 from npm:
// it needs Node >= 22) against mcpwatch on both sides: the real `mcpwatch run` process as the server
// (its /mcp endpoint), and `mcpwatch probe` as the client (test/conformance/client.mjs turns the URL
// the suite hands over into a config). Every scenario runs (--suite all); the ones mcpwatch is
// expected to fail are listed, each with why, in test/conformance/expected-failures.yaml, and the
// suite itself fails a run where a listed one passes or an unlisted one fails.

const CONFORMANCE_VERSION = '0.1.16';
const BASELINE = join(REPO, 'test/conformance/expected-failures.yaml');
/** Scenarios that apply to mcpwatch: they must pass, and must never be moved to the baseline. */
const MUST_PASS = {
  server: ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection', 'tools-call-error'],
  client: ['initialize', 'tools_call', 'sse-retry', 'auth/client-credentials-basic', 'auth/client-credentials-jwt'],
};
/** Methods of capabilities mcpwatch does not declare: their scenarios fail on -32601, nothing else. */
const UNDECLARED = /^(logging-set-level|completion-complete|resources-.*|prompts-.*)$/;

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

let node: string;
let cli: string;

/** Runs the suite; resolves with its exit code and output (the suite prints its summary to stdout). */
function conformance(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [cli, ...args], { cwd: tempDir(), stdio: ['ignore', 'pipe', 'pipe'] });
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
  const run = await conformance([side, ...how, '--suite', 'all', '--expected-failures', BASELINE, '-o', out]);
  expect(run.code, run.out).toBe(0);
  const checks = results(out);
  expectPassed(checks, MUST_PASS[side]);
  return checks;
}

const baseline = parse(readFileSync(BASELINE, 'utf8')) as { server: string[]; client: string[] };

beforeAll(() => {
  node = ensureNodeFromNpm();
  cli = ensureNpmPackage(
    `conformance-${CONFORMANCE_VERSION}`,
    `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`,
    'dist/index.js',
  );
}, 180_000);

it('the expected-failures list never holds a scenario that applies to mcpwatch', () => {
  expect(baseline.server.filter((s) => MUST_PASS.server.includes(s))).toEqual([]);
  expect(baseline.client.filter((s) => MUST_PASS.client.includes(s))).toEqual([]);
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
    for (const s of baseline.server.filter((x) => UNDECLARED.test(x))) {
      const failures = checks.get(s)?.filter((x) => x.status === 'FAILURE') ?? [];
      expect(failures.length, s).toBeGreaterThan(0);
      for (const f of failures) expect(f.errorMessage, s).toMatch(/MCP error -32601: Method not found/);
    }
    // mcpwatch answered every request of the suite without failing itself.
    expect((await agent.get('/health')).status).toBe(200);
  }, 300_000);
});

describe('mcpwatch as an MCP client: the conformance suite against `mcpwatch probe`', () => {
  it('initialize, tools_call, sse-retry and the client-credentials scenarios pass; the others fail as listed', async () => {
    const command = `${process.execPath} ${join(REPO, 'test/conformance/client.mjs')}`;
    const checks = await runSuite('client', ['--command', command]);
    expect(
      checks
        .get('sse-retry')!
        .filter((c) => c.status === 'SUCCESS')
        .map((c) => c.id),
    ).toEqual(['client-sse-graceful-reconnect', 'client-sse-retry-timing', 'client-sse-last-event-id']);
  }, 300_000);
});
