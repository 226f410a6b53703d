import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, runCli, startAgentWith, tempDir, writeConfig } from '../support/agent-proc.js';
import { TestHttpServer } from '../support/http-server.js';
import { LITELLM_EDGE_VERSIONS, startLiteLLM, type LiteLLM } from '../support/litellm.js';

// mcpwatch registered in a real LiteLLM as the "monitoring" MCP server (transport: http), as the
// deployment plans: a client reaches monitoring-get_health through the gateway. LiteLLM sends
// mcpwatch's token itself (auth_type: bearer_token in its config); LiteLLM 1.77 also repeats the
// mcp-protocol-version header upstream (BerriAI/litellm#14069), which mcpwatch's endpoint tolerates.
// LiteLLM's MCP client (the Python SDK) speaks the 2025 revisions: `initialize`, which mcpwatch
// serves on the SDK's stateless legacy leg (no session; its GET stream and DELETE are answered 405,
// which it takes). The client below talks to LiteLLM, not to mcpwatch: the 1.32.2 SDK's.

const TOKEN = 'mcpwatch-token-via-litellm-0123456789';

describe.each(LITELLM_EDGE_VERSIONS)('mcpwatch behind LiteLLM %s', (version) => {
  let gw: TestHttpServer;
  let agent: AgentProcess;
  let litellm: LiteLLM;

  beforeAll(async () => {
    gw = await new TestHttpServer().start();
    agent = await startAgentWith(
      `targets:
  gw: { url: "${gw.url}" }
probes:
  - { name: gw-live, type: http, target: gw, auth: false, every: 1h }
mcpServer: { enabled: true, token: "${TOKEN}" }
`,
    );
    litellm = await startLiteLLM({
      version,
      servers: {
        monitoring: {
          transport: 'http',
          url: `${agent.baseUrl}/mcp`,
          auth_type: 'bearer_token',
          authentication_token: TOKEN,
        },
      },
    });
  }, 240_000);
  afterAll(async () => {
    await litellm?.stop();
    await agent?.stop();
    await gw?.stop();
  });

  async function viaGateway(): Promise<Client> {
    const client = new Client({ name: 'test-client', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${litellm.url}/mcp/`), {
      requestInit: {
        headers: {
          authorization: `Bearer ${litellm.masterKey}`,
          'x-mcp-servers': 'monitoring',
        },
      },
    });
    await client.connect(transport);
    return client;
  }

  it('lists monitoring-get_health among the gateway tools and calls it', async () => {
    const client = await viaGateway();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(['monitoring-get_health', 'monitoring-list_probes', 'monitoring-run_probe']),
      );
      const r = (await client.callTool({ name: 'monitoring-get_health', arguments: {} })) as {
        isError?: boolean;
        content: Array<{ text: string }>;
      };
      expect(r.isError ?? false).toBe(false);
      const health = JSON.parse(r.content[0]!.text);
      expect(health.mcpwatch.status).toBe('ok');
      expect(health.targets.gw).toMatchObject({ up: true });
    } finally {
      await client.close();
    }
  }, 120_000);

  it("mcpwatch's own mcp_call probe reaches it through the gateway", async () => {
    const cfg = writeConfig(
      tempDir(),
      `targets:
  litellm: { url: "${litellm.url}", apiKey: "${litellm.masterKey}", timeout: 60s }
probes:
  - name: monitoring-health
    type: mcp_call
    target: litellm
    servers: [monitoring]
    tool: monitoring-get_health
    expect: { contains: '"status": "ok"' }
  - name: monitoring-catalog
    type: mcp_catalog
    target: litellm
    servers: [monitoring]
    expect: { tools: [monitoring-get_health, monitoring-get_catalog] }
`,
    );
    for (const name of ['monitoring-health', 'monitoring-catalog']) {
      const r = await runCli(['probe', name, '--config', cfg, '--json'], { timeoutMs: 90_000 });
      const out = JSON.parse(r.stdout) as { outcome: string; reason: string };
      expect(out.outcome, `${name}: ${out.reason}`).toBe('ok');
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
    }
  }, 180_000);
});
