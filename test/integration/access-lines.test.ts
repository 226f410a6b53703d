import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, sampleValue, startAgentWith, tempDir } from '../support/agent-proc.js';
import { ensureDocker } from '../support/docker.js';
import { ensureMcpServers, LITELLM_VERSIONS } from '../support/litellm.js';
import { startLiteLLMContainer, type LiteLLMContainer } from '../support/litellm-container.js';

// The origin of auth errors rests on uvicorn's access lines (the guard's marker in the URL). Real
// LiteLLM (the newest tested: 1.110.2, the first with LITELLM_DISABLE_ACCESS_LOG_PATHS) in two real
// containers side by side, one of them dropping the MCP path's access lines, both followed by the
// built `mcpwatch run` with an auth_guard each: mcp_log_origin_correlation_ok is 0 for the one
// and 1 for the other, and /health's logs check is degraded naming the container and the variable.

const VERSION = LITELLM_VERSIONS.at(-1)!;

interface HealthBody {
  status: string;
  checks: { logs?: { status: string; message?: string; originCorrelation?: Record<string, boolean> } };
}

describe(`the guard's access lines missing from the log, LiteLLM ${VERSION} in containers`, () => {
  let quiet: LiteLLMContainer;
  let plain: LiteLLMContainer;
  let agent: AgentProcess;

  beforeAll(async () => {
    ensureDocker();
    const mcpServers = {
      mcp_everything: { transport: 'stdio', command: process.execPath, args: [ensureMcpServers().everything, 'stdio'] },
    };
    // LiteLLM's filter compares the request path without its query to each listed path, exactly.
    [quiet, plain] = await Promise.all([
      startLiteLLMContainer({ version: VERSION, mcpServers, env: { LITELLM_DISABLE_ACCESS_LOG_PATHS: '/mcp,/mcp/' } }),
      startLiteLLMContainer({ version: VERSION, mcpServers }),
    ]);
    agent = await startAgentWith(
      `stateDir: ${tempDir()}
targets:
  quiet: { url: "${quiet.url}", apiKey: "${quiet.masterKey}", timeout: 30s }
  plain: { url: "${plain.url}", apiKey: "${plain.masterKey}", timeout: 30s }
probes:
  - { name: guard-quiet, type: auth_guard, target: quiet, every: 1h }
  - { name: guard-plain, type: auth_guard, target: plain, every: 1h }
logs:
  containers:
    - { name: ${quiet.name}, from: beginning }
    - { name: ${plain.name}, from: beginning }
`,
    );
    await agent.waitForTail(quiet.name);
    await agent.waitForTail(plain.name);
  }, 300_000);
  afterAll(async () => {
    await agent?.stop();
    await Promise.all([quiet?.stop(), plain?.stop()]);
  });

  it('0 and /health degraded where the access lines are dropped, 1 where they come', async () => {
    // A run now (or the first one, reused: its records are read, the logs followed from their beginning).
    for (const probe of ['guard-quiet', 'guard-plain']) {
      const r = (await (await agent.get(`/probe?name=${probe}`)).json()) as { outcome: string };
      expect(r.outcome, probe).toBe('ok');
    }
    const gauge = async (container: string): Promise<number | undefined> =>
      sampleValue(await agent.text('/metrics'), 'mcp_log_origin_correlation_ok', { container });
    await agent
      .waitFor(
        async () => (await gauge(quiet.name)) === 0 && (await gauge(plain.name)) === 1,
        30_000,
        `mcp_log_origin_correlation_ok 0 for ${quiet.name}, 1 for ${plain.name}`,
      )
      .catch(async (err: Error) => {
        const metrics = (await agent.text('/metrics'))
          .split('\n')
          .filter((l) => /origin_correlation|log_matches_total\{[^}]*category="(auth|http)"[^}]*\} [1-9]/.test(l));
        throw new Error(`${err.message.split('\n')[0]}\n${metrics.join('\n')}`);
      });
    const res = await agent.get('/health');
    expect(res.status).toBe(200);
    const health = (await res.json()) as HealthBody;
    expect(health.status).toBe('degraded');
    expect(health.checks.logs?.status).toBe('degraded');
    expect(health.checks.logs?.message).toContain(`no access line of the guard's requests in the log of ${quiet.name}`);
    expect(health.checks.logs?.message).toContain('LITELLM_DISABLE_ACCESS_LOG_PATHS');
    expect(health.checks.logs?.message).not.toContain(plain.name);
    expect(health.checks.logs?.originCorrelation).toEqual({ [quiet.name]: false, [plain.name]: true });
    // The guard's auth errors are still its own there (its requests' time windows): only the proof by the line is gone.
    const metrics = await agent.text('/metrics');
    const probeAuth = (container: string): number =>
      ['malformed_key', 'missing_key', 'no_db', 'invalid_key', 'auth_other'].reduce(
        (s, kind) =>
          s +
          (sampleValue(metrics, 'mcpwatch_log_matches_total', {
            container,
            category: 'auth',
            kind,
            origin: 'probe',
            cause: '',
          }) ?? 0),
        0,
      );
    expect(probeAuth(quiet.name)).toBeGreaterThan(0);
    expect(probeAuth(plain.name)).toBeGreaterThan(0);
  }, 120_000);
});
