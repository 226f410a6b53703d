import {
  OAuthError,
  OAuthErrorCode,
  type AuthInfo,
  type OAuthMetadata,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run as guardRun } from '../../src/probes/auth-guard/run.js';
import { run as clientRun } from '../../src/probes/client-config/run.js';
import { run as catalogRun } from '../../src/probes/mcp-catalog/run.js';
import { processEras } from '../../src/probes/mcp/eras.js';
import { runCli, tempDir, writeConfig } from '../support/agent-proc.js';
import {
  startEraServer,
  type EraRequest,
  type EraServer,
  type EraServerKind,
  type GatewayServer,
} from '../support/era-servers.js';
import { probeHarness, withEnv } from '../support/run-harness.js';

// The probes beyond mcp_call and mcp_catalog's listing in both protocol eras (MCP 2026-07-28 and the 2025 revisions),
// against real SDK servers made in the test (test/support/era-servers.ts: the SDK v2 server modern-only and dual-era,
// the SDK 1.32.2 server legacy), each demanding `Authorization: Bearer <key>` as LiteLLM does (the SDK v2 server's
// bearer check with a verifier that takes exactly one key) and answering LiteLLM 1.110.2's own REST view of its
// servers (GET /v1/mcp/server, /v1/mcp/server/health): auth_guard's checks, client_config's live tries (in-process and
// through the built `mcpwatch check-clients --live`) and the catalog's gatewayHealth, each speaking the target's
// protocol. What each server was sent is read from its own log of requests.

const KEY = 'sk-probes-eras-0123456789abcdef';
/** Where the database server's password sits in /v1/mcp/server (LiteLLM lists each server's env in clear). */
const DB_SECRET = 'pg-password-in-clear';

/**
 * A LiteLLM-style static key as a bearer token: exactly KEY is accepted; any other is the SDK's invalid_token (v2's
 * `OAuthError` with `InvalidToken`, its InvalidTokenError), which verifyBearerToken turns into a 401.
 */
const oneKey: OAuthTokenVerifier = {
  verifyAccessToken(token: string): Promise<AuthInfo> {
    if (token !== KEY) return Promise.reject(new OAuthError(OAuthErrorCode.InvalidToken, 'invalid key'));
    return Promise.resolve({
      token,
      clientId: 'litellm-key',
      scopes: [],
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
  },
};
/**
 * The bearer check names an authorization server in its protected resource metadata; with a static key nobody asks it
 * for a token (mcpwatch's targets here have no oauth2), so it is never contacted.
 */
const NO_AUTH_SERVER: OAuthMetadata = {
  issuer: 'https://auth.invalid',
  authorization_endpoint: 'https://auth.invalid/authorize',
  token_endpoint: 'https://auth.invalid/token',
  response_types_supported: ['code'],
};

/**
 * The gateway's servers: mcp_fs up and healthy; mcp_db called healthy while it lists nothing (LiteLLM #18134);
 * mcp_web called unhealthy while it lists (#40079); mcp_idle, which no probe asks about.
 */
const GATEWAY: GatewayServer[] = [
  { id: '6f1c0d8e-fs', name: 'mcp_fs', status: 'healthy', listsTools: true },
  {
    id: '9a2b7c4d-db',
    name: 'mcp_db',
    status: 'healthy',
    listsTools: false,
    env: { DATABASE_URI: `postgresql://mcp:${DB_SECRET}@db:5432/app` },
  },
  { id: '3e5f1a2b-web', name: 'mcp_web', status: 'unhealthy', listsTools: true },
  { id: '0d4e8f6a-idle', name: 'mcp_idle', status: 'unknown', listsTools: false },
];

const guard = probeHarness('auth_guard', guardRun, KEY);
const catalog = probeHarness('mcp_catalog', catalogRun, KEY);
const client = probeHarness('client_config', clientRun, KEY);
const GUARD = '{ name: g, type: auth_guard, target: gw }';
const HEALTH = '{ name: c, type: mcp_catalog, target: gw, servers: [mcp_fs, mcp_db, mcp_web], gatewayHealth: true }';
const at = (protocol: string) => `, mcpPath: /mcp, protocol: "${protocol}"`;

const MODERN = { era: 'modern', version: '2026-07-28' };
const LEGACY = { era: 'legacy', version: '2025-11-25', via: 'initialize' };

/** Servers behind the key check, by kind; and two without one. */
const guarded = {} as Record<EraServerKind, EraServer>;
const open = {} as Record<'modern_only' | 'legacy', EraServer>;
beforeAll(async () => {
  for (const kind of ['modern_only', 'dual', 'legacy'] as const)
    guarded[kind] = await startEraServer(kind, {
      bearer: { verifier: oneKey, authorizationServer: NO_AUTH_SERVER },
      gatewayRoutes: GATEWAY,
    });
  for (const kind of ['modern_only', 'legacy'] as const) open[kind] = await startEraServer(kind);
});
afterAll(async () => {
  for (const s of [...Object.values(guarded), ...Object.values(open)]) await s.stop();
});
beforeEach(() => {
  processEras.clear();
  for (const s of [...Object.values(guarded), ...Object.values(open)]) s.requests.length = 0;
});

/** The JSON-RPC requests a server was sent to its MCP endpoint. */
const mcpPosts = (s: EraServer): EraRequest[] => s.requests.filter((r) => r.method === 'POST' && r.path === '/mcp');

/** Every MCP request was a 2026-07-28 one: its version and method in the headers; no 2025 initialize. */
function expectAllModern(s: EraServer): void {
  const posts = mcpPosts(s);
  expect(posts.length).toBeGreaterThan(0);
  for (const r of posts) expect(r).toMatchObject({ protocolVersion: '2026-07-28', mcpMethod: r.rpc });
}

describe('auth_guard in both eras', () => {
  /** What each check's request was answered by the SDK's bearer check, and the real key's session. */
  const ENFORCED = {
    no_key: {
      enforced: true,
      status: 401,
      reason: 'rejected: 401 Unauthorized {"error":"invalid_token","error_description":"Missing Authorization header"}',
    },
    no_bearer_prefix: {
      enforced: true,
      status: 401,
      reason: expect.stringMatching(
        /^rejected: 401 Unauthorized \{"error":"invalid_token","error_description":"Invalid Authorization header format/,
      ) as unknown,
    },
    wrong_key: {
      enforced: true,
      status: 401,
      reason: 'rejected: 401 Unauthorized {"error":"invalid_token","error_description":"invalid key"}',
    },
    valid_key: { accepted: true, reason: 'the real key opened a session' },
  };
  const ALL_REJECTED = 'all 3 rejected (no_key 401, no_bearer_prefix 401, wrong_key 401); the real key is accepted';

  it.each<[EraServerKind, string, string, object]>([
    ['modern_only', 'auto', 'server/discover', { ...MODERN, via: 'discover' }],
    ['modern_only', 'modern', 'server/discover', { ...MODERN, via: 'pinned' }],
    ['modern_only', '2026-07-28', 'server/discover', { ...MODERN, via: 'pinned' }],
    ['dual', 'auto', 'server/discover', { ...MODERN, via: 'discover' }],
    ['dual', 'legacy', 'initialize', LEGACY],
    ['legacy', 'legacy', 'initialize', LEGACY],
    // Not known yet: the checks ask server/discover (refused for the key before any protocol), the real key falls
    // back to initialize. The next run sends initialize only (below).
    ['legacy', 'auto', 'server/discover', LEGACY],
  ])(
    '%s server, protocol %s: every check refused, each with %s; the real key speaks %j',
    async (kind, protocol, sent, spoken) => {
      const s = guarded[kind];
      const { out } = await guard(s.url, GUARD, { targetMore: at(protocol) });
      expect(out).toMatchObject({ outcome: 'ok', reason: ALL_REJECTED, details: { protocol: spoken } });
      expect(out.details).toMatchObject({ authChecks: ENFORCED });
      // The three checks' requests, in order, in the protocol the target asked for: the key check refused each.
      const checks = mcpPosts(s).slice(0, 3);
      expect(checks.map((r) => [r.rpc, r.bearer, r.status])).toEqual([
        [sent, 'none', 401],
        [sent, 'refused', 401],
        [sent, 'refused', 401],
      ]);
      for (const r of checks) {
        if (sent === 'initialize') expect(r.mcpMethod).toBeUndefined();
        else expect(r).toMatchObject({ protocolVersion: '2026-07-28', mcpMethod: 'server/discover' });
      }
      if ((spoken as { era: string }).era === 'modern') expectAllModern(s);
      expect(JSON.stringify(out)).not.toContain(KEY);
    },
  );

  it('a modern server whose server/discover is open to anyone: each check is refused at tools/list, not a false alarm', async () => {
    const s = await startEraServer('modern_only', {
      bearer: { verifier: oneKey, authorizationServer: NO_AUTH_SERVER },
      openDiscover: true,
    });
    try {
      const { out } = await guard(s.url, GUARD, { targetMore: at('modern') });
      expect(out).toMatchObject({ outcome: 'ok', reason: ALL_REJECTED });
      // Each check: server/discover answered without the key, then tools/list refused by the key check.
      expect(
        mcpPosts(s)
          .slice(0, 6)
          .map((r) => [r.rpc, r.bearer ?? 'unchecked', r.status]),
      ).toEqual([
        ['server/discover', 'unchecked', 200],
        ['tools/list', 'none', 401],
        ['server/discover', 'unchecked', 200],
        ['tools/list', 'refused', 401],
        ['server/discover', 'unchecked', 200],
        ['tools/list', 'refused', 401],
      ]);
      // The real key's session is not made to list: its handshake is all the guard needs of it.
      expect(
        mcpPosts(s)
          .slice(6)
          .map((r) => r.rpc),
      ).toEqual(['server/discover']);
    } finally {
      await s.stop();
    }
  });

  it('protocol auto on a legacy server: once its era is known, the checks send the 2025 initialize', async () => {
    const s = guarded.legacy;
    await guard(s.url, GUARD, { targetMore: at('auto') });
    s.requests.length = 0;
    const { out } = await guard(s.url, GUARD, { targetMore: at('auto') });
    expect(out).toMatchObject({ outcome: 'ok', reason: ALL_REJECTED, details: { protocol: { remembered: true } } });
    expect(mcpPosts(s).map((r) => r.rpc)).not.toContain('server/discover');
    expect(
      mcpPosts(s)
        .slice(0, 3)
        .map((r) => [r.rpc, r.status]),
    ).toEqual([
      ['initialize', 401],
      ['initialize', 401],
      ['initialize', 401],
    ]);
  });

  it('a modern-only server behind protocol legacy: the checks are refused, the real key fails naming the protocol', async () => {
    // The key check stands in front of the protocol: the checks tell nothing of it; the real key's session does.
    const { out } = await guard(guarded.modern_only.url, GUARD, { targetMore: at('legacy') });
    expect(out.outcome).toBe('protocol_error');
    expect(out.reason).toBe(
      'the real key was refused: gw speaks only 2026-07-28: it refused the 2025 initialize handshake ' +
        '(-32022 unsupported protocol version 2025-11-25) — set protocol: auto or modern',
    );
    expect(out.details).toMatchObject({
      authChecks: { ...ENFORCED, valid_key: { accepted: false, status: 400 } },
    });
  });

  it.each<['modern_only' | 'legacy', object]>([
    ['modern_only', { ...MODERN, via: 'discover' }],
    ['legacy', LEGACY],
  ])('%s server without a key check: auth_not_enforced, naming each check', async (kind, spoken) => {
    const s = open[kind];
    const { out } = await guard(s.url, GUARD, { targetMore: at('auto') });
    expect(out).toMatchObject({ outcome: 'auth_not_enforced', details: { protocol: spoken } });
    expect(out.reason).toBe(
      'gw (/mcp) accepted MCP requests with no key, the key without "Bearer ", a wrong key ' +
        '(checks no_key, no_bearer_prefix, wrong_key): anyone who reaches the gateway can use its tools',
    );
    expect(out.details).toMatchObject({
      authChecks: {
        no_key: { enforced: false, reason: 'an MCP session opened with no key' },
        no_bearer_prefix: { enforced: false, reason: 'an MCP session opened with the key without "Bearer "' },
        wrong_key: { enforced: false, reason: 'an MCP session opened with a wrong key' },
      },
    });
    if (kind === 'modern_only') expectAllModern(s);
    else expect(s.openSessions).toBe(0); // each 2025 session it opened was ended
  });

  it('one check asked for: the finding names it alone', async () => {
    const { out } = await guard(
      open.modern_only.url,
      '{ name: g, type: auth_guard, target: gw, checks: [wrong_key] }',
      {
        targetMore: at('modern'),
      },
    );
    expect(out).toMatchObject({
      outcome: 'auth_not_enforced',
      reason:
        'gw (/mcp) accepted MCP requests with a wrong key (check wrong_key): anyone who reaches the gateway can use ' +
        'its tools',
    });
    expectAllModern(open.modern_only);
  });
});

describe("gatewayHealth: LiteLLM's own health set against the catalog, in both eras", () => {
  const REASON =
    'server down: mcp_db: no_tools — listed no tools (LiteLLM 1.77 gives no reason: an upstream that fails to start ' +
    'lists nothing, and a name it does not know is ignored; check the name and that the server starts) — 2 tools ' +
    '(mcp_fs: 1, mcp_db: 0, mcp_web: 1); gateway health disagrees: mcp_db: the gateway says healthy, the catalog ' +
    'showed it down; mcp_web: the gateway says unhealthy, the catalog showed it up';
  const HEALTH_SEEN = {
    servers: {
      mcp_fs: { healthy: true, status: 'healthy', mismatch: false },
      mcp_db: { healthy: true, status: 'healthy', mismatch: true },
      mcp_web: { healthy: false, status: 'unhealthy', mismatch: true },
      // mcp_idle: not in the catalog's servers, so not asked about (?server_ids=) and not shown.
    },
  };

  it.each<[EraServerKind, string, object]>([
    ['modern_only', 'auto', { ...MODERN, via: 'discover' }],
    ['modern_only', 'modern', { ...MODERN, via: 'pinned' }],
    ['dual', 'auto', { ...MODERN, via: 'discover' }],
    ['dual', 'legacy', LEGACY],
    ['legacy', 'auto', LEGACY],
    ['legacy', 'legacy', LEGACY],
  ])('%s server, protocol %s: the same health, mismatches and reason; spoke %j', async (kind, protocol, spoken) => {
    const s = guarded[kind];
    const { out, msgs } = await catalog(s.url, HEALTH, { targetMore: at(protocol) });
    expect(out).toMatchObject({ outcome: 'expectation_failed', reason: REASON, details: { protocol: spoken } });
    expect(out.details).toMatchObject({
      gatewayHealth: HEALTH_SEEN,
      servers: {
        mcp_fs: { up: true, tools: 1 },
        mcp_db: { up: false, tools: 0, reason: 'no_tools' },
        mcp_web: { up: true, tools: 1 },
      },
    });
    expect((out.details as { gatewayHealth: object }).gatewayHealth).not.toHaveProperty('error');
    // Both endpoints read with the target's key, as plain REST (no MCP headers), after the catalog's own requests.
    const rest = s.requests.filter((r) => r.path?.startsWith('/v1/'));
    expect(rest.map((r) => [r.method, r.path, r.bearer, r.status, r.mcpMethod]).sort()).toEqual([
      ['GET', '/v1/mcp/server', 'accepted', 200, undefined],
      ['GET', '/v1/mcp/server/health', 'accepted', 200, undefined],
    ]);
    if ((spoken as { era: string }).era === 'modern') expectAllModern(s);
    else expect(mcpPosts(s).map((r) => r.rpc)).toContain('initialize');
    // The server list's env (a database password) is read past, never kept or logged; nor is the key.
    for (const text of [JSON.stringify(out), msgs.join('\n')]) {
      expect(text).not.toContain(DB_SECRET);
      expect(text).not.toContain(KEY);
    }
  });
});

describe('client_config: an entry tried as its client sends it, in both eras', () => {
  withEnv('ERA_KEY', KEY);

  /** A VS Code mcp.json for `s`: the key with its prefix, without it, and naming a down and an unknown server. */
  function vscodeFile(s: EraServer): string {
    const entry = (authorization: string, servers: string) => ({
      type: 'http',
      url: `${s.url}/mcp`,
      headers: { Authorization: authorization, 'x-mcp-servers': servers },
    });
    const servers = {
      good: entry('Bearer ${env:ERA_KEY}', 'mcp_fs,mcp_web'),
      bare: entry('${env:ERA_KEY}', 'mcp_fs,mcp_web'),
      partly: entry('Bearer ${env:ERA_KEY}', 'mcp_fs,mcp_db,mcp_nope'),
    };
    return writeConfig(tempDir('mcpwatch-client-eras-'), JSON.stringify({ servers }, null, 2), 'mcp.json');
  }
  const probe = (file: string, server: string) =>
    `{ name: cc, type: client_config, target: gw, file: "${file}", server: ${server} }`;

  it.each<[EraServerKind, string, object]>([
    ['modern_only', 'auto', { ...MODERN, via: 'discover' }],
    ['modern_only', 'modern', { ...MODERN, via: 'pinned' }],
    ['dual', 'legacy', LEGACY],
    ['legacy', 'auto', LEGACY],
    ['legacy', 'legacy', LEGACY],
  ])('%s server, protocol %s: the right entry lists its tools (%j)', async (kind, protocol, spoken) => {
    const s = guarded[kind];
    const file = vscodeFile(s);
    const { out } = await client(s.url, probe(file, 'good'), { targetMore: at(protocol) });
    expect(out).toMatchObject({
      outcome: 'ok',
      reason: 'as VS Code sends it: 2 tools (mcp_fs: 1, mcp_web: 1)',
      details: { findings: [], protocol: spoken, live: { outcome: 'ok', toolsPerServer: { mcp_fs: 1, mcp_web: 1 } } },
    });
    // The entry's own key, accepted, on every request.
    for (const r of mcpPosts(s)) expect(r.bearer).toBe('accepted');
    expect(mcpPosts(s).map((r) => r.rpc)).toContain('tools/list');
    if ((spoken as { era: string }).era === 'modern') expectAllModern(s);
    expect(JSON.stringify(out)).not.toContain(KEY);
  });

  it.each<[EraServerKind, string, string]>([
    ['modern_only', 'auto', 'server/discover'],
    ['modern_only', 'modern', 'server/discover'],
    ['dual', 'legacy', 'initialize'],
    ['legacy', 'legacy', 'initialize'],
  ])(
    '%s server, protocol %s: the key without "Bearer " is refused, the prefix named (sent: %s)',
    async (kind, protocol, sent) => {
      const s = guarded[kind];
      const file = vscodeFile(s);
      const { out } = await client(s.url, probe(file, 'bare'), { targetMore: at(protocol) });
      const refused =
        '401 Unauthorized from bare (VS Code) — key sent without "Bearer " prefix?: {"error":"invalid_token",' +
        `"error_description":"Invalid Authorization header format, expected 'Bearer TOKEN'"}`;
      expect(out).toMatchObject({
        outcome: 'auth_rejected',
        reason: `as VS Code sends it: ${refused}; the file: [missing_bearer_prefix] line 15`,
        details: {
          live: { outcome: 'auth_rejected', reason: refused },
          findings: [{ line: 15, code: 'missing_bearer_prefix', severity: 'error' }],
        },
      });
      expect(mcpPosts(s).map((r) => [r.rpc, r.bearer, r.status])).toEqual([[sent, 'refused', 401]]);
      expect(JSON.stringify(out)).not.toContain(KEY);
    },
  );

  it.each<[EraServerKind, string]>([
    ['modern_only', 'modern'],
    ['legacy', 'legacy'],
  ])(
    '%s server, protocol %s: a server down and a name the gateway lacks, told apart by its server list',
    async (kind, protocol) => {
      const s = guarded[kind];
      const file = vscodeFile(s);
      const { out, msgs } = await client(s.url, probe(file, 'partly'), { targetMore: at(protocol) });
      expect(out.outcome).toBe('expectation_failed');
      expect(out.reason).toBe(`1 error in ${file}: [unknown_server] line 24`);
      expect(out.details).toMatchObject({
        findings: [
          {
            code: 'server_down',
            severity: 'warning',
            message: expect.stringMatching(
              /^mcp_db is down at the gateway \(.*\): see the mcp_catalog probes of target gw$/,
            ),
          },
          {
            code: 'unknown_server',
            severity: 'error',
            message:
              "x-mcp-servers names mcp_nope, which the gateway does not have for this key: the gateway's catalog for " +
              'this key lists nothing of it, and its server list has: mcp_fs, mcp_db, mcp_web, mcp_idle',
          },
        ],
      });
      // The server list read with the target's key, as REST; its env never shown.
      expect(s.requests.filter((r) => r.path === '/v1/mcp/server').map((r) => [r.bearer, r.status])).toEqual([
        ['accepted', 200],
      ]);
      if (kind === 'modern_only') expectAllModern(s);
      expect(JSON.stringify(out) + msgs.join('\n')).not.toContain(DB_SECRET);
    },
  );
});

describe('check-clients --live (the built CLI) against both eras', () => {
  it('a Codex config.toml: the right entries list their tools, the bare keys are refused naming the prefix', async () => {
    const m = guarded.modern_only;
    const l = guarded.legacy;
    const dir = tempDir('mcpwatch-check-clients-eras-');
    const config = writeConfig(
      dir,
      'targets:\n' +
        `  modern: { url: "${m.url}", apiKey: ${KEY}, mcpPath: /mcp, protocol: modern }\n` +
        `  legacy: { url: "${l.url}", apiKey: ${KEY}, mcpPath: /mcp, protocol: auto }\n`,
    );
    const servers = 'http_headers = { "x-mcp-servers" = "mcp_fs,mcp_web" }';
    const entry = (name: string, s: EraServer, key: string) =>
      `[mcp_servers.${name}]\nurl = "${s.url}/mcp"\n${key}\n${servers}\n`;
    const withPrefix = 'bearer_token_env_var = "ERA_KEY"';
    const bare = 'env_http_headers = { Authorization = "ERA_KEY" }';
    const file = writeConfig(
      dir,
      [
        entry('modern', m, withPrefix),
        entry('modern-bare', m, bare),
        entry('legacy', l, withPrefix),
        entry('legacy-bare', l, bare),
      ].join('\n'),
      'config.toml',
    );
    const r = await runCli(['check-clients', '--config', config, '--live', file], {
      env: { ERA_KEY: KEY },
      timeoutMs: 60_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    const refused = (name: string) =>
      `${file}: ${name}: live: auth_rejected — 401 Unauthorized from ${name} (Codex CLI) — key sent without ` +
      `"Bearer " prefix?: {"error":"invalid_token","error_description":"Invalid Authorization header format, ` +
      `expected 'Bearer TOKEN'"}`;
    expect(lines).toEqual(
      expect.arrayContaining([
        `${file}: modern: live: ok — 2 tools (mcp_fs: 1, mcp_web: 1)`,
        `${file}: legacy: live: ok — 2 tools (mcp_fs: 1, mcp_web: 1)`,
        refused('modern-bare'),
        refused('legacy-bare'),
      ]),
    );
    for (const [line, name] of [
      [8, 'modern-bare'],
      [18, 'legacy-bare'],
    ] as const)
      expect(lines.find((x) => x.startsWith(`${file}:${line}: error: ${name}: [missing_bearer_prefix]`))).toBeDefined();
    // What each server was sent: 2026-07-28 only to the modern one; the 2025 session to the legacy one.
    expectAllModern(m);
    expect(mcpPosts(m).map((x) => [x.rpc, x.bearer])).toEqual(
      expect.arrayContaining([
        ['tools/list', 'accepted'],
        ['server/discover', 'refused'],
      ]),
    );
    expect(mcpPosts(l).map((x) => [x.rpc, x.bearer])).toEqual(
      expect.arrayContaining([
        ['initialize', 'accepted'],
        ['tools/list', 'accepted'],
      ]),
    );
    expect(l.openSessions).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });
});
