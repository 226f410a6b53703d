import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badRequest } from '../support/bad-client.js';
import { AgentProcess, startAgentWith, sumSamples, tempDir } from '../support/agent-proc.js';
import { ensureDocker } from '../support/docker.js';
import { ensureMcpServers, LITELLM_EDGE_VERSIONS } from '../support/litellm.js';
import { startLiteLLMContainer, type LiteLLMContainer } from '../support/litellm-container.js';

// The auth errors mcpwatch's own auth_guard provokes, told apart from real clients' errors in
// the log of a real LiteLLM running in a real container. Real bad clients send their requests
// from another address (127.0.0.2, as a client on another host would) at the same moments.

const sumMatches = (text: string, labels: Record<string, string>): number =>
  sumSamples(text, 'mcpwatch_log_matches_total', labels);

describe.each(LITELLM_EDGE_VERSIONS)('origin of auth errors, LiteLLM %s in a container', (version) => {
  let litellm: LiteLLMContainer;
  let agent: AgentProcess;

  beforeAll(async () => {
    ensureDocker();
    // One upstream (LiteLLM 1.108+ refuses even the master key on /mcp when no MCP server is loaded).
    litellm = await startLiteLLMContainer({
      version,
      mcpServers: {
        mcp_everything: {
          transport: 'stdio',
          command: process.execPath,
          args: [ensureMcpServers().everything, 'stdio'],
        },
      },
    });
    agent = await startAgentWith(
      `stateDir: ${tempDir()}
targets:
  gw: { url: "${litellm.url}", apiKey: "${litellm.masterKey}", timeout: 30s }
probes:
  - { name: guard, type: auth_guard, target: gw, every: 1h }
logs:
  containers:
    - { name: ${litellm.name} }
`,
    );
    await agent.waitForTail(litellm.name);
    await agent.waitFor(
      async () => (await agent.metric('mcp_probe_success', { probe: 'guard' })) === 1,
      60_000,
      'first guard run ok',
    );
  }, 240_000);
  afterAll(async () => {
    await agent?.stop();
    await litellm?.stop();
  });

  it('guard runs and concurrent bad clients give exactly the expected split', async () => {
    const metricsBefore = await agent.text('/metrics');
    const RUNS = 3;
    const guardRuns = (async () => {
      for (let i = 0; i < RUNS; i++) {
        const r = (await (await agent.get('/probe?name=guard')).json()) as { outcome: string };
        expect(r.outcome).toBe('ok');
        // /probe runs a probe at most once per 10 s: a request sooner would get this run again.
        await new Promise((res) => setTimeout(res, 10_100));
      }
    })();
    // Real clients failing at the same moments (spread over the guard's runs): keys without "Bearer ", and wrong keys.
    const clients = (async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(await badRequest(litellm.url, litellm.masterKey)); // no "Bearer " prefix
        statuses.push(await badRequest(litellm.url, 'Bearer sk-some-client-wrong-key-0123456789'));
        await new Promise((res) => setTimeout(res, 4_000));
      }
      return statuses;
    })();
    const [, statuses] = await Promise.all([guardRuns, clients]);
    expect(statuses.every((s) => s >= 400)).toBe(true);

    // Guard: per run, no_key and no_bearer_prefix are logged as malformed_key; the wrong key as
    // no_db (newer) or an empty message, auth_other (1.77). Clients: 6 malformed, 6 wrong.
    const delta = async (labels: Record<string, string>): Promise<number> =>
      sumMatches(await agent.text('/metrics'), labels) - sumMatches(metricsBefore, labels);
    const want = {
      probeMalformed: 2 * RUNS,
      probeWrong: RUNS,
      externalMalformed: 6,
      externalWrong: 6,
    };
    const got = async () => ({
      probeMalformed: await delta({ category: 'auth', origin: 'probe', kind: 'malformed_key' }),
      probeWrong:
        (await delta({ category: 'auth', origin: 'probe', kind: 'no_db' })) +
        (await delta({ category: 'auth', origin: 'probe', kind: 'auth_other' })),
      externalMalformed: await delta({ category: 'auth', origin: 'external', kind: 'malformed_key' }),
      externalWrong:
        (await delta({ category: 'auth', origin: 'external', kind: 'no_db' })) +
        (await delta({ category: 'auth', origin: 'external', kind: 'auth_other' })),
    });
    await agent
      .waitFor(
        async () => JSON.stringify(await got()) === JSON.stringify(want),
        20_000,
        `split ${JSON.stringify(want)}`,
      )
      .catch(async (err: Error) => {
        const recent = ((await (await agent.get('/status')).json()) as { logs: { recentMatches: unknown[] } }).logs
          .recentMatches;
        throw new Error(
          `${err.message.split('\n')[0]}: got ${JSON.stringify(await got())}\nrecent matches: ${JSON.stringify(recent.slice(0, 40), null, 1)}`,
        );
      });
    // Nothing else in the auth category, from either side.
    expect(await delta({ category: 'auth', kind: 'missing_key' })).toBe(0);
    expect(await delta({ category: 'auth', kind: 'invalid_key' })).toBe(0);
    // The guard's marked access lines reach the log: the correlation holds, /health says nothing of it.
    expect(await agent.metric('mcp_log_origin_correlation_ok', { container: litellm.name })).toBe(1);
    const health = (await (await agent.get('/health')).json()) as { checks: { logs?: { status: string } } };
    expect(health.checks.logs?.status).toBe('ok');
    // The access lines split the same way: every guard request is marked in its URL.
    expect(await delta({ category: 'http', origin: 'external' })).toBe(
      statuses.filter((s) => s === 401 || s === 403 || s === 429 || s >= 500).length,
    );
  }, 120_000);
});
