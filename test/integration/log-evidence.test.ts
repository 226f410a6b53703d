import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult } from '../../src/cli/format.js';
import type { ProbeResult } from '../../src/probes/table.js';
import { AgentProcess, runCli, startAgentWith, tempDir, writeConfig } from '../support/agent-proc.js';
import { ensureDocker } from '../support/docker.js';
import { startLiteLLMContainer, type LiteLLMContainer } from '../support/litellm-container.js';
import {
  ensurePostgresMcp,
  PG_PASSWORD,
  PG_ROW,
  postgresMcpServer,
  startPostgres,
  type Postgres,
} from '../support/postgres.js';

// The gateway's own log as the evidence of a failed run: REAL LiteLLM 1.77.1 (the deployment's
// version) in a REAL container, spawning REAL postgres-mcp on a REAL PostgreSQL and a server whose
// command fails at start; mcpwatch follows the container through the Docker API (`run`) or reads
// the run's window once (`probe`). PostgreSQL is stopped in the middle.

const VERSION = '1.77.1';

interface Rec {
  container: string;
  at: string;
  stream: string;
  text: string;
}
interface GatewayLog {
  from: string;
  to: string;
  containers: string[];
  about: string[];
  records: Rec[];
  omitted?: number;
  incomplete?: string[];
}
interface Result {
  outcome: string;
  reason: string;
  success: boolean;
  startedAt: number | string;
  durationMs: number;
  gatewayLog?: GatewayLog;
}

describe(`the gateway's log in a failed result, LiteLLM ${VERSION} in a container`, () => {
  let pg: Postgres;
  let litellm: LiteLLMContainer;
  let agent: AgentProcess;

  beforeAll(async () => {
    ensureDocker();
    pg = await startPostgres();
    const exe = ensurePostgresMcp();
    litellm = await startLiteLLMContainer({
      version: VERSION,
      mcpServers: {
        mcp_postgres: postgresMcpServer(pg, exe),
        mcp_broken: { transport: 'stdio', command: 'false', args: [] },
      },
    });
    agent = await startAgentWith(
      `stateDir: ${tempDir()}
targets:
  gw: { url: "${litellm.url}", apiKey: "${litellm.masterKey}" }
probes:
  - { name: cat, type: mcp_catalog, target: gw, servers: [mcp_postgres, mcp_broken], every: 1h, timeout: 60s }
  - { name: sql, type: mcp_call, target: gw, servers: [mcp_postgres], tool: mcp_postgres-execute_sql, arguments: { sql: "SELECT name FROM probe_items WHERE id = 1" }, every: 1h, timeout: 20s, expect: { contains: "${PG_ROW.name}" } }
logs:
  containers:
    - { name: ${litellm.name} }
`,
    );
    await agent.waitForTail(litellm.name);
  }, 300_000);
  afterAll(async () => {
    await agent?.stop();
    await litellm?.stop();
    await pg?.cleanup();
  });

  /** A new run of the probe: /probe runs one at most once per 10 s; an answer that is the last run waits that out. */
  const probe = async (name: string): Promise<Result> => {
    for (;;) {
      const r = (await (await agent.get(`/probe?name=${name}`)).json()) as Result & { reused?: { run: string } };
      if (r.reused?.run !== 'recent') return r;
      await new Promise((res) => setTimeout(res, Date.parse(String(r.startedAt)) + 10_100 - Date.now()));
    }
  };

  const status = async (name: string): Promise<{ last?: Result }> =>
    ((await (await agent.get('/status')).json()) as { probes: Array<{ name: string; last?: Result }> }).probes.find(
      (p) => p.name === name,
    )!;

  it("a catalog with mcp_broken down carries LiteLLM's words about it, in the result and in /status", async () => {
    const cat = await probe('cat');
    expect(cat.outcome).toBe('expectation_failed');
    expect(cat.reason).toMatch(/^server down: mcp_broken: no_tools/);
    const g = cat.gatewayLog!;
    expect(g.containers).toEqual([litellm.name]);
    expect(g.about).toEqual(['mcp_broken']);
    // LiteLLM's words about the failed start: naming the server (one or both of these), or, depending on
    // when it notices the failure, only its MCP client's warnings, which name no server (a CI run saw that).
    expect(g.records.map((r) => r.text)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          '^\\d\\d:\\d\\d:\\d\\d - LiteLLM:WARNING: (' +
            'mcp_server_manager\\.py:\\d+ - (Client operation cancelled for|Task cancelled while listing tools from) mcp_broken|' +
            'client\\.py:\\d+ - (MCP client connection failed: Connection closed|MCP client session is not initialized)' +
            ')$',
        ),
      ),
    );
    // Within the run's window, from this container, nothing about the server seen working.
    for (const r of g.records) {
      expect(Date.parse(r.at)).toBeGreaterThanOrEqual(Date.parse(g.from));
      expect(Date.parse(r.at)).toBeLessThanOrEqual(Date.parse(g.to));
      expect(r.text).not.toMatch(/\bmcp_postgres\b/);
    }
    expect(g.incomplete).toBeUndefined();
    expect((await status('cat')).last?.gatewayLog).toEqual(g);
    // A run that succeeds carries none.
    const ok = await probe('sql');
    expect(ok.outcome).toBe('ok');
    expect(ok.gatewayLog).toBeUndefined();
    expect((await status('sql')).last?.gatewayLog).toBeUndefined();
  }, 120_000);

  it("PostgreSQL stopped: the call's timeout comes with postgres-mcp's own warning; `mcpwatch probe` reads the same from Docker", async () => {
    await pg.stop();
    try {
      const cliCfg = writeConfig(
        tempDir(),
        `${readFileSync(agent.configPath, 'utf8')}    - { name: no-such-container-${litellm.name} }\n`,
      );
      // The agent's run and the command's at once (each waits 20 s for the call).
      const [sql, json] = await Promise.all([
        probe('sql'),
        runCli(['probe', 'sql', '--config', cliCfg, '--json'], { timeoutMs: 90_000 }),
      ]);
      expect(sql.outcome).toBe('timeout');
      const evidence = (g: GatewayLog | undefined): Rec => {
        expect(g?.about).toEqual(['mcp_postgres']);
        const refused = g!.records.filter((r) => r.text.includes('failed: Connection refused'));
        expect(refused, JSON.stringify(g, null, 1)).toHaveLength(1);
        return refused[0]!;
      };
      const fromAgent = evidence(sql.gatewayLog);
      expect(fromAgent.text).toMatch(
        /WARNING {2}error connecting in 'pool-\d':\s+pool_async\.py:\d+\n\s+connection failed: connection to\n\s+server at "127\.0\.0\.1", port \d+\n\s+failed: Connection refused/,
      );
      expect(fromAgent.stream).toBe('stderr');

      expect(json.code).toBe(1);
      const cli = JSON.parse(json.stdout) as Result;
      expect(cli.outcome).toBe('timeout');
      expect(evidence(cli.gatewayLog).text).toMatch(/error connecting in 'pool-\d'/);
      expect(cli.gatewayLog?.containers).toEqual([litellm.name, `no-such-container-${litellm.name}`]);
      expect(cli.gatewayLog?.incomplete).toEqual([
        `no-such-container-${litellm.name}: no container named no-such-container-${litellm.name}`,
      ]);

      // Human-readable (what `mcpwatch probe` without --json prints of the same result): each record
      // on its time, repeats counted, what could not be read.
      const human = {
        stdout: formatResult(
          { ...cli, startedAt: Date.parse(String(cli.startedAt)) } as unknown as ProbeResult,
          litellm.url,
        ),
      };
      expect(human.stdout).toMatch(/^result: {3}FAILED timeout/m);
      expect(human.stdout).toMatch(
        new RegExp(
          `^gateway log \\(${litellm.name}, no-such-container-${litellm.name}, [\\d:.]+–[\\d:.]+ UTC\\) about mcp_postgres: \\d+ records?`,
          'm',
        ),
      );
      expect(human.stdout).toContain(
        `  (incomplete: no-such-container-${litellm.name}: no container named no-such-container-${litellm.name})`,
      );
      expect(human.stdout).toMatch(
        /^ {2}\d\d:\d\d:\d\d\.\d{3} \S+ +(\[[\d/: ]+\] )?WARNING {2}error connecting in 'pool-\d':.*\(\d+ more times?, the last at [\d:.]+\)$/m,
      );
      // Nothing secret: the database password of postgres-mcp's DATABASE_URI, the gateway key.
      for (const out of [JSON.stringify(sql), json.stdout, human.stdout]) {
        expect(out).not.toContain(PG_PASSWORD);
        expect(out).not.toContain(litellm.masterKey);
      }
    } finally {
      await pg.start();
    }
    // Green again once postgres-mcp reconnects (a call LiteLLM still has in flight may hold the first one).
    let again = await probe('sql');
    for (let i = 0; i < 3 && again.outcome !== 'ok'; i++) again = await probe('sql');
    expect(again.outcome, again.reason).toBe('ok');
    expect(again.gatewayLog).toBeUndefined();
  }, 180_000);
});
