import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as catalogRun } from '../../src/probes/mcp-catalog/run.js';
import { run as callRun } from '../../src/probes/mcp-call/run.js';
import { ensureMcpServers, MASTER_KEY, startLiteLLM, versionsUnderTest, type LiteLLM } from '../support/litellm.js';
import { asFrames, runPipeline } from '../support/log-pipeline.js';
import { failureOf, probeHarness } from '../support/run-harness.js';

// LiteLLM's 2026 refusals, named (issue 26), against a REAL LiteLLM (the newest, 1.110.2: env
// MCPWATCH_LITELLM_VERSIONS overrides) with the everything server from npm over stdio: the client allowlist
// (general_settings.mcp_allowed_clients with mcp_client_id_header) refusing a target without clientId and taking one
// with it; a server's own rpm limit (its mcp_servers entry's `rpm`) refusing the call over it; a token-exchange server
// (auth_type oauth2_token_exchange) the gateway has no credential for, since mcpwatch sends a LiteLLM key, not an
// identity-provider token. What each release has: docs/litellm-observed.md.

const VERSIONS = versionsUnderTest(['1.110.2']);
const CLIENT = 'mcpwatch-probe';
const HEADER = 'x-mcp-client';
/** A server with no limit, one with `rpm: 1`, and a token-exchange one whose upstream is never reached. */
const EV = 'mcp_ev';
const LIM = 'mcp_lim';
const OBO = 'mcp_obo';
/** auth_type bearer_token with no auth_value: the gateway fails closed, and says why only in its log. */
const STATIC = 'mcp_static';
/**
 * LiteLLM's rate-limit window (LITELLM_RATE_LIMIT_WINDOW_SIZE, 60 s by default): long enough that the second call
 * falls in the first one's window on a busy machine, however long its session takes to open.
 */
const WINDOW_S = 30;

const call = probeHarness('mcp_call', callRun, MASTER_KEY);
const catalog = probeHarness('mcp_catalog', catalogRun, MASTER_KEY);
/** 1.109+ starts its stdio servers per request: seconds each on a busy machine. */
const timeout = (s: number) => `, timeout: ${s}s`;
const ID = `, clientId: ${CLIENT}, protocol: legacy`;
const catalogOf = (server: string, t = 60) =>
  `{ name: c, type: mcp_catalog, target: gw, servers: [${server}]${timeout(t)} }`;
const echo = (server: string, t = 60) =>
  `{ name: k, type: mcp_call, target: gw, servers: [${server}], tool: ${server}-echo, arguments: { message: hi }${timeout(t)} }`;

describe.each(VERSIONS)("LiteLLM %s's refusals, named", (version) => {
  let ll: LiteLLM;
  beforeAll(async () => {
    const s = ensureMcpServers();
    const everything = { transport: 'stdio' as const, command: process.execPath, args: [s.everything, 'stdio'] };
    ll = await startLiteLLM({
      version,
      servers: {
        [EV]: everything,
        [LIM]: { ...everything, rpm: 1 },
        // Its upstream and token endpoint are a closed port: the gateway refuses before it would reach them.
        [OBO]: {
          transport: 'http',
          url: 'http://127.0.0.1:9/mcp',
          auth_type: 'oauth2_token_exchange',
          token_exchange_endpoint: 'http://127.0.0.1:9/token',
          client_id: 'gateway',
          client_secret: 'gateway-secret',
        },
        [STATIC]: { transport: 'http', url: 'http://127.0.0.1:9/mcp', auth_type: 'bearer_token' },
      },
      config: {
        general_settings: {
          mcp_allowed_clients: [{ alias: 'mcpwatch', value: CLIENT }],
          mcp_client_id_header: HEADER,
        },
      },
      env: { LITELLM_RATE_LIMIT_WINDOW_SIZE: String(WINDOW_S) },
    });
  });
  afterAll(async () => {
    await ll?.stop();
  });

  it('the client allowlist: no clientId is refused naming mcp_allowed_clients and the header; with it, served', async () => {
    const err = await failureOf(catalog(ll.url, catalogOf(EV), { targetMore: ', protocol: legacy' }));
    expect(err.outcome).toBe('auth_rejected');
    expect(err.message).toBe(
      "403 Forbidden from gw — refused by the gateway's client allowlist (general_settings.mcp_allowed_clients): it " +
        `reads the client application from the ${HEADER} header (its mcp_client_id_header), and this target sends no ` +
        'clientId: set clientId on the target, to a value listed there',
    );
    const { out, msgs } = await catalog(ll.url, catalogOf(EV), { targetMore: ID });
    expect(out.outcome).toBe('ok');
    expect(msgs.some((m) => m.startsWith('POST '))).toBe(true);
  });

  it('a clientId the gateway does not list, and one sent in another header, each named', async () => {
    const wrong = await failureOf(
      catalog(ll.url, catalogOf(EV), { targetMore: ', clientId: someone-else, protocol: legacy' }),
    );
    expect(wrong.message).toBe(
      "403 Forbidden from gw — refused by the gateway's client allowlist (general_settings.mcp_allowed_clients): " +
        `client "someone-else" (sent in the ${HEADER} header) is not listed there: add { alias: mcpwatch, value: ` +
        '"someone-else" } to mcp_allowed_clients, or set clientId to a listed value',
    );
    const elsewhere = await failureOf(
      catalog(ll.url, catalogOf(EV), { targetMore: `${ID}, clientIdHeader: x-client-app` }),
    );
    expect(elsewhere.message).toBe(
      "403 Forbidden from gw — refused by the gateway's client allowlist (general_settings.mcp_allowed_clients): it " +
        `reads the client application from the ${HEADER} header (its mcp_client_id_header), and this target sends ` +
        `its clientId in x-client-app: set clientIdHeader: ${HEADER}`,
    );
  });

  it("a server's own rpm: the call over it is refused naming the server's limit and when its window resets", async () => {
    const first = await call(ll.url, echo(LIM), { targetMore: ID });
    expect(first.out).toMatchObject({ outcome: 'ok' });
    const over = await call(ll.url, echo(LIM), { targetMore: ID });
    expect(over.out.outcome).toBe('http_error');
    expect(over.out.reason).toMatch(
      new RegExp(
        `^${LIM}-echo failed: rate limited by MCP server ${LIM}'s own limit \\(rpm in its mcp_servers entry: 1 ` +
          'request per window\\): retry after the window resets at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC ' +
          '\\(said in the answer: no Retry-After\\)$',
      ),
    );
    // In LiteLLM's log ("HTTPException in MCP tool call: 429: Rate limit exceeded …"), as the log tailing reads it.
    const logged = runPipeline([asFrames(ll.stderr(), 2)]).matches.map((m) => `${m.category}/${m.kind}`);
    expect(logged).toContain('mcp/rate_limited');
  });

  it('a token-exchange server: the gateway has no credential for it, named', async () => {
    const err = await failureOf(call(ll.url, echo(OBO, 30), { targetMore: ID }));
    expect(err.outcome).toBe('auth_rejected');
    expect(err.message).toBe(
      `401 Unauthorized from gw — the gateway has no credential for upstream MCP server ${OBO}: it gets one by ` +
        "exchanging the caller's identity-provider token (oauth2_token_exchange), and this request carried none it " +
        'can exchange (a LiteLLM key cannot be): probe that server with such a token, or leave it out of servers',
    );
    expect(err.details).toMatchObject({
      status: 401,
      wwwAuthenticate: expect.stringContaining(`/.well-known/oauth-protected-resource/mcp/${OBO}"`),
    });
  });

  it('a static auth_type without its value: the gateway fails closed but says only "internal" (its log has why)', async () => {
    const err = await failureOf(catalog(ll.url, catalogOf(STATIC, 30), { targetMore: ID }));
    expect(err.outcome).toBe('expectation_failed');
    expect(err.message).toContain(`no server could list its tools: ${STATIC}: internal (HTTP 500)`);
    expect(ll.stderr()).toContain('misconfigured: MCPAuth.bearer_token requires a usable upstream credential');
  });
});
