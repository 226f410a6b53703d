import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetKeysStatus } from '../../src/gateway-state/key-watch.js';
import type { StatusDocument } from '../../src/runtime/status-view.js';
import { GUARD_MARKER_PARAM } from '../../src/probes/guard-marks.js';
import { AgentSlot, sampleValue, tempDir } from '../support/agent-proc.js';
import { MASTER_KEY, startLiteLLM, type LiteLLM } from '../support/litellm.js';

// Key lifetimes (issue 27): each named key of a target asks the gateway about itself (GET /key/info with the key as
// Bearer, no `key` parameter), and the built `mcpwatch run` exports mcp_key_* and shows each key in /status.
//
// (a) A STAND-IN for LiteLLM's key table. LiteLLM keeps virtual keys (expiry, budget, spend, blocked) in its database
// through Prisma, whose native query engine is downloaded at `prisma generate` from binaries.prisma.sh, a host this
// machine cannot reach (ENOTFOUND; no native engine in npm, PyPI or Debian): a LiteLLM with keys in a database cannot
// run here. The stand-in answers in the shape of LiteLLM 1.110.2's own code:
// - litellm/proxy/management_endpoints/key_management_endpoints.py, `info_key_fn`: 200 `{"key": <the key as asked>,
//   "info": {key_alias, spend, max_budget, expires (ISO datetime or null), blocked, status ("active" | "expired" |
//   "revoked" | "deleted"), budget_duration, budget_reset_at, models, metadata, …}}`; an over-budget key is answered
//   (the budget check is for LLM routes, not /key/info);
// - litellm/proxy/auth/user_api_key_auth.py: an expired key refused before it, 401 `{"error": {"message":
//   "Authentication Error - Expired Key. Key Expiry time <datetime> and current time <datetime>", "type":
//   "expired_key", "param": "sk-...<last 4>", "code": "401"}}`; a blocked key 401 "Authentication Error, Key is
//   blocked. Update via `/key/unblock` if you're an admin."; an unknown key 401 "Authentication Error, Invalid proxy
//   server token passed".
// (b) REAL LiteLLM 1.110.2 without a database, twice: as deployed (a named key refused by the auth: 400
// "No connected db.") and with a custom_auth hook that lets the named key in (info_key_fn's "Database not connected"
// then comes back as 500 "Internal server error from /key/info"). /status says it once per target, the agent logs it
// once at info, and no probe fails because of it.

const DAY = 86_400_000;
const KEYS = {
  normal: 'sk-test-kl-normal-0123456789abcdef',
  unlimited: 'sk-test-kl-unlimited-0123456789ab',
  over: 'sk-test-kl-over-budget-0123456789a',
  expired: 'sk-test-kl-expired-0123456789abcd',
  blocked: 'sk-test-kl-blocked-0123456789abcd',
  gone: 'sk-test-kl-gone-0123456789abcdefg',
} as const;
type KeyName = keyof typeof KEYS;

/** Python's str(datetime) with a UTC zone, as LiteLLM's refusal prints it. */
const pyTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '+00:00');

function row(over: Record<string, unknown>): Record<string, unknown> {
  return {
    key_name: 'sk-...abcd',
    key_alias: null,
    spend: 0,
    max_budget: null,
    expires: null,
    models: [],
    aliases: {},
    config: {},
    user_id: 'default_user_id',
    team_id: null,
    max_parallel_requests: null,
    metadata: {},
    tpm_limit: null,
    rpm_limit: null,
    budget_duration: null,
    budget_reset_at: null,
    allowed_cache_controls: [],
    permissions: {},
    model_spend: {},
    model_max_budget: {},
    soft_budget_cooldown: false,
    blocked: null,
    litellm_budget_table: null,
    org_id: null,
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    last_active: null,
    object_permission: null,
    status: 'active',
    ...over,
  };
}

class KeyTableStandIn {
  readonly asked: Array<{ url: string; auth: string | undefined }> = [];
  readonly expiresAt = { normal: Date.now() + 30 * DAY, expired: Date.now() - 2 * DAY };
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const send = (status: number, body: unknown): void =>
        void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/health') return send(200, 'I am alive!');
      if (!req.url?.startsWith('/key/info')) return send(404, { detail: 'Not Found' });
      const auth = req.headers.authorization;
      this.asked.push({ url: req.url, auth });
      const key = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      const name = (Object.keys(KEYS) as KeyName[]).find((k) => KEYS[k] === key);
      const refuse = (message: string, type: string, param: string | null = null): void =>
        send(401, { error: { message, type, param, code: '401' } });
      const ok = (info: Record<string, unknown>): void => send(200, { key, info: row({ key_alias: name, ...info }) });
      switch (name) {
        case 'normal':
          return ok({ expires: new Date(this.expiresAt.normal).toISOString(), max_budget: 100, spend: 12.5 });
        case 'unlimited':
          return ok({ spend: 3.25 });
        case 'over':
          return ok({ max_budget: 10, spend: 12, budget_duration: '30d', budget_reset_at: '2027-01-01T00:00:00Z' });
        case 'expired':
          return refuse(
            `Authentication Error - Expired Key. Key Expiry time ${pyTime(this.expiresAt.expired)} and current time ${pyTime(Date.now())}`,
            'expired_key',
            `sk-...${key!.slice(-4)}`,
          );
        case 'blocked':
          return refuse(
            "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
            'auth_error',
          );
        default:
          return refuse('Authentication Error, Invalid proxy server token passed', 'auth_error');
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

async function statusOf(agent: { text(p: string): Promise<string> }): Promise<StatusDocument> {
  return JSON.parse(await agent.text('/status')) as StatusDocument;
}

function keysOf(s: StatusDocument, target: string): TargetKeysStatus | undefined {
  return s.keys?.find((k) => k.target === target);
}

function noKeyIn(texts: string[], keys: readonly string[]): void {
  for (const t of texts) for (const k of keys) expect(t).not.toContain(k);
}

describe('key lifetimes: a stand-in key table in LiteLLM 1.110.2’s shape, the built agent', () => {
  const gw = new KeyTableStandIn();
  const slot = new AgentSlot();
  beforeAll(() => gw.start());
  afterAll(async () => {
    await slot.kill();
    await gw.stop();
  });

  it('each named key asks about itself: expiry, budget, blocked in /metrics and /status; no key in any output', async () => {
    const dir = tempDir('mcpwatch-key-lifetimes-');
    const keyFile = join(dir, 'key_normal');
    writeFileSync(keyFile, `${KEYS.normal}\n`);
    const named = (Object.keys(KEYS) as KeyName[])
      .filter((k) => k !== 'normal')
      .map((k) => `      ${k}: { apiKey: ${KEYS[k]} }`)
      .join('\n');
    const agent = await slot.start(`targets:
  gw:
    url: ${gw.url}
    apiKey: ${MASTER_KEY}
    keys:
      normal: { apiKeyFile: ${keyFile} }
${named}
probes:
  - { name: gw-up, type: http, target: gw, path: /health, every: 2s }
`);
    await agent.waitFor(
      async () => (keysOf(await statusOf(agent), 'gw')?.keys ?? []).every((k) => k.state !== 'pending'),
      40_000,
      'every key asked',
    );
    const metrics = await agent.text('/metrics');
    const m = (name: string, key: KeyName): number | undefined => sampleValue(metrics, name, { target: 'gw', key });
    expect(m('mcp_key_expiry_timestamp_seconds', 'normal')).toBeCloseTo(gw.expiresAt.normal / 1000, 3);
    expect(m('mcp_key_budget_remaining', 'normal')).toBe(87.5);
    expect(m('mcp_key_budget_max', 'normal')).toBe(100);
    expect(m('mcp_key_blocked', 'normal')).toBe(0);
    // Unlimited and never expiring: no expiry, no budget series; not blocked.
    expect(m('mcp_key_expiry_timestamp_seconds', 'unlimited')).toBeUndefined();
    expect(m('mcp_key_budget_remaining', 'unlimited')).toBeUndefined();
    expect(m('mcp_key_blocked', 'unlimited')).toBe(0);
    expect(m('mcp_key_budget_remaining', 'over')).toBe(-2);
    // Refused as expired: the expiry its refusal names (LiteLLM prints whole seconds here), in the past.
    expect(m('mcp_key_expiry_timestamp_seconds', 'expired')).toBeCloseTo(gw.expiresAt.expired / 1000, 0);
    expect(m('mcp_key_blocked', 'blocked')).toBe(1);
    for (const f of ['mcp_key_expiry_timestamp_seconds', 'mcp_key_budget_remaining', 'mcp_key_blocked'])
      expect(m(f, 'gone')).toBeUndefined();

    const s = keysOf(await statusOf(agent), 'gw')!;
    expect(s.lifetimes).toBeUndefined();
    const by = Object.fromEntries(s.keys.map((k) => [k.key, k]));
    expect(Object.keys(by)).toEqual(['normal', 'unlimited', 'over', 'expired', 'blocked', 'gone']);
    expect(by.normal).toMatchObject({
      state: 'ok',
      expiresAt: new Date(gw.expiresAt.normal).toISOString(),
      maxBudget: 100,
      spend: 12.5,
      budgetRemaining: 87.5,
      blocked: false,
    });
    expect(by.normal).not.toHaveProperty('message');
    expect(by.unlimited).toMatchObject({ state: 'ok', expiresAt: null, maxBudget: null, budgetRemaining: null });
    expect(by.over!.message).toBe("the key's budget is spent (12 of 10)");
    expect(by.expired).toMatchObject({ state: 'expired' });
    expect(by.expired!.message).toMatch(
      /^the gateway refuses the key: it has expired \(the gateway said: Authentication Error - Expired Key/,
    );
    expect(by.blocked).toMatchObject({ state: 'blocked', blocked: true });
    expect(by.gone).toMatchObject({ state: 'refused' });
    expect(by.gone!.message).toMatch(/refuses the key \(401\): it is invalid, deleted or rotated/);

    // Each key asked with itself, at /key/info without a `key` parameter (only mcpwatch's marker, which tells its
    // asks' errors in the gateway's log from clients'); never the target's own key.
    for (const a of gw.asked) expect(a.url).toMatch(new RegExp(`^/key/info\\?${GUARD_MARKER_PARAM}=[0-9a-f]{16}$`));
    expect(new Set(gw.asked.map((a) => a.auth))).toEqual(new Set(Object.values(KEYS).map((k) => `Bearer ${k}`)));
    noKeyIn([metrics, await agent.text('/status'), agent.stdout, agent.stderr], Object.values(KEYS));
    // Each refused key logged once, at warn; the others not at all.
    const warned = agent.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: string; msg: string; key?: string })
      .filter((l) => /^key lifetime/.test(l.msg));
    expect(warned.map((l) => `${l.level} ${l.key}`).sort()).toEqual(['warn blocked', 'warn expired', 'warn gone']);

    // A reload without two of the keys: every series of theirs gone.
    writeFileSync(
      agent.configPath,
      `listen: 127.0.0.1:${agent.port}
targets:
  gw:
    url: ${gw.url}
    apiKey: ${MASTER_KEY}
    keys:
      normal: { apiKeyFile: ${keyFile} }
      unlimited: { apiKey: ${KEYS.unlimited} }
probes:
  - { name: gw-up, type: http, target: gw, path: /health, every: 2s }
`,
    );
    agent.child.kill('SIGHUP');
    await agent.waitFor(async () => keysOf(await statusOf(agent), 'gw')?.keys.length === 2, 15_000, 'the reload');
    const after = await agent.text('/metrics');
    expect(after.split('\n').filter((l) => /^mcp_key_\w+\{.*key="(over|expired|blocked|gone)"/.test(l))).toEqual([]);
    expect(sampleValue(after, 'mcp_key_budget_remaining', { target: 'gw', key: 'normal' })).toBe(87.5);
  });
});

// custom_auth that lets one named key in as a virtual key would be (no database to look it up in), and the master key.
const HOOK = `# custom_auth for mcpwatch's key-lifetimes test: the master key and one named key are let in.
import os

from litellm.proxy._types import LitellmUserRoles, UserAPIKeyAuth


async def user_api_key_auth(request, api_key):
    key = api_key[7:] if api_key.lower().startswith("bearer ") else api_key
    if key == os.environ["MCPWATCH_TEST_MASTER"]:
        return UserAPIKeyAuth(api_key=key, user_role=LitellmUserRoles.PROXY_ADMIN)
    if key == os.environ["MCPWATCH_TEST_HOOKED"]:
        return UserAPIKeyAuth(api_key=key, key_alias="hooked")
    raise Exception("unknown key")
`;

describe('key lifetimes: real LiteLLM 1.110.2 without a database', () => {
  const VERSION = '1.110.2';
  const CODEX = 'sk-test-kl-codex-0123456789abcdef';
  const WEBUI = 'sk-test-kl-webui-0123456789abcdef';
  const HOOKED = 'sk-test-kl-hooked-0123456789abcde';
  let plain: LiteLLM;
  let hooked: LiteLLM;
  const slot = new AgentSlot();

  beforeAll(async () => {
    const dir = tempDir('mcpwatch-key-lifetimes-hook-');
    writeFileSync(join(dir, 'kl_auth.py'), HOOK);
    [plain, hooked] = await Promise.all([
      startLiteLLM({ version: VERSION, servers: {} }),
      startLiteLLM({
        version: VERSION,
        servers: {},
        config: { general_settings: { custom_auth: 'kl_auth.user_api_key_auth' } },
        env: { PYTHONPATH: dir, MCPWATCH_TEST_MASTER: MASTER_KEY, MCPWATCH_TEST_HOOKED: HOOKED },
      }),
    ]);
  }, 240_000);
  afterAll(async () => {
    await slot.kill();
    await Promise.all([plain?.stop(), hooked?.stop()]);
  });

  it('/status says once per target that the gateway has no database; logged once at info; no probe fails', async () => {
    const agent = await slot.start(`targets:
  plain:
    url: ${plain.url}
    apiKey: ${MASTER_KEY}
    keys:
      codex: { apiKey: ${CODEX} }
      webui: { apiKey: ${WEBUI} }
  hooked:
    url: ${hooked.url}
    apiKey: ${MASTER_KEY}
    keys:
      hooked: { apiKey: ${HOOKED} }
probes:
  - { name: plain-up, type: http, target: plain, path: /health/liveliness, every: 2s }
  - { name: hooked-up, type: http, target: hooked, path: /health/liveliness, every: 2s }
`);
    await agent.waitFor(
      async () => {
        const s = await statusOf(agent);
        return keysOf(s, 'plain')?.lifetimes !== undefined && keysOf(s, 'hooked')?.lifetimes !== undefined;
      },
      60_000,
      'both targets’ keys asked',
    );
    const status = await statusOf(agent);
    const p = keysOf(status, 'plain')!;
    const h = keysOf(status, 'hooked')!;
    // LiteLLM's own words: the auth refuses a key it cannot look up; a key it let in fails in info_key_fn.
    expect(p.lifetimes).toBe('unavailable: the gateway has no database (it answered 400: "No connected db.")');
    expect(h.lifetimes).toBe(
      'unavailable: the gateway has no database (it answered 500: ' +
        '"Internal server error from /key/info. Details are in the proxy server logs.")',
    );
    // Said once: no key repeats it, no lifetime series.
    for (const k of [...p.keys, ...h.keys]) {
      expect(k).toMatchObject({ state: 'no_database', expiresAt: null, budgetRemaining: null, blocked: null });
      expect(k).not.toHaveProperty('message');
    }
    const metrics = await agent.text('/metrics');
    expect(metrics.split('\n').filter((l) => l.startsWith('mcp_key_'))).toEqual([]);

    // The real gateways were asked: their logs say why they could not answer.
    expect(plain.logs()).toContain('No connected db.');
    expect(hooked.logs()).toContain('Database not connected');

    // No probe fails because of it; the agent is healthy.
    await agent.waitFor(
      async () => (await statusOf(agent)).probes.every((pr) => pr.runs >= 2 && pr.failures === 0),
      20_000,
      'the probes ran',
    );
    expect((await agent.get('/health')).status).toBe(200);
    const logLines = agent.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: string; msg: string; target?: string });
    const said = logLines.filter((l) => /key lifetime/.test(l.msg));
    expect(said.map((l) => `${l.level} ${l.target}`).sort()).toEqual(['info hooked', 'info plain']);
    expect(logLines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    noKeyIn([metrics, JSON.stringify(status), agent.stdout, agent.stderr], [CODEX, WEBUI, HOOKED, MASTER_KEY]);
  });
});
