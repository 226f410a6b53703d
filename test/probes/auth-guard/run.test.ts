import { processEras } from '../../../src/probes/mcp/eras.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/probes/auth-guard/run.js';
import type { AuthCheck } from '../../../src/probes/auth-guard/schema.js';
import { GUARD_KEY_PREFIX, guardMarkerIn } from '../../../src/probes/guard-marks.js';
import type { GuardAnnouncer } from '../../../src/probes/types.js';
import { FakeMcpGateway, type FakeMcpOptions } from '../../support/fake-mcp.js';
import { goneUrl, probeHarness } from '../../support/run-harness.js';

// The auth guard's run against the MCP SDK's own server (test/support/fake-mcp.ts) in front of which the
// fake checks the key as a gateway would (or does not): each request that must be rejected, and the real key.

const KEY = 'sk-guard-run-0123456789abcdef';
/** The guard with its defaults: every check, then the real key. */
const GUARD = '{ name: g, type: auth_guard, target: gw }';
const runOnce = probeHarness('auth_guard', run, KEY);

/** What a run against the SDK 1.x fake speaks: the 2025 handshake after its refused server/discover. */
const LEGACY = { era: 'legacy', version: '2025-11-25', via: 'initialize' };

// Each test negotiates afresh (the agent's memory of a target's era is the process's).
beforeEach(() => processEras.clear());

describe('auth_guard run against the SDK MCP server', () => {
  const fakes: FakeMcpGateway[] = [];
  const gateway = async (opts: FakeMcpOptions): Promise<FakeMcpGateway> => {
    const f = await new FakeMcpGateway({ key: KEY, ...opts }).start();
    f.tools = [{ name: 'mcp_fs-read' }];
    fakes.push(f);
    return f;
  };
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.stop();
  });

  it('a gateway that enforces the key: every check rejected, the real key accepted', async () => {
    const fake = await gateway({ auth: 'enforce' });
    const { out } = await runOnce(fake.url, GUARD);
    expect(out.outcome).toBe('ok');
    expect(out.reason).toBe(
      'all 3 rejected (no_key 401, no_bearer_prefix 401, wrong_key 401); the real key is accepted',
    );
    const rejected = {
      enforced: true,
      status: 401,
      reason: 'rejected: 401 Unauthorized {"detail":"Authentication required"}',
    };
    expect(out.details).toEqual({
      authChecks: {
        no_key: rejected,
        no_bearer_prefix: rejected,
        wrong_key: rejected,
        valid_key: { accepted: true, reason: 'the real key opened a session' },
      },
      protocol: LEGACY,
    });
    // What each request carried: nothing, the key without its scheme, a made-up key; then the real key. Each
    // session's first request (protocol: auto, no era known yet) is server/discover.
    const inits = fake.requests.filter((r) => r.rpc === 'server/discover');
    expect(inits.map((r) => r.headers.authorization)).toEqual([
      undefined,
      KEY,
      expect.stringMatching(new RegExp(`^Bearer ${GUARD_KEY_PREFIX}[0-9a-f]{24}$`)),
      `Bearer ${KEY}`,
    ]);
    // The rejection checks are marked in the URL (for the log correlator); the real key's request is not.
    expect(inits.map((r) => guardMarkerIn(r.url) !== undefined)).toEqual([true, true, true, false]);
    expect(fake.sessionsClosed).toBe(fake.sessionsOpened);
  });

  it('a gateway that enforces nothing: auth_not_enforced, every check named', async () => {
    const fake = await gateway({ auth: 'none' });
    const { out } = await runOnce(fake.url, GUARD);
    expect(out.outcome).toBe('auth_not_enforced');
    expect(out.reason).toBe(
      'gw (/mcp/) accepted MCP requests with no key, the key without "Bearer ", a wrong key ' +
        '(checks no_key, no_bearer_prefix, wrong_key): anyone who reaches the gateway can use its tools',
    );
    expect(out.details).toMatchObject({
      authChecks: {
        no_key: { enforced: false, reason: 'an MCP session opened with no key' },
        wrong_key: { enforced: false },
        valid_key: { accepted: true },
      },
    });
  });

  it('a gateway that takes any Bearer value: only the wrong key gets through', async () => {
    const fake = await gateway({ auth: 'any_bearer' });
    const { out } = await runOnce(fake.url, GUARD);
    expect(out.outcome).toBe('auth_not_enforced');
    expect(out.reason).toMatch(/accepted MCP requests with a wrong key \(check wrong_key\): anyone/);
    expect(out.details).toMatchObject({
      authChecks: { no_key: { enforced: true }, no_bearer_prefix: { enforced: true }, wrong_key: { enforced: false } },
    });
  });

  it('the real key refused too: every check rejected, but the run fails as auth_rejected', async () => {
    const fake = await gateway({ auth: 'enforce', key: 'sk-some-other-key-00000000' });
    const { out } = await runOnce(fake.url, '{ name: g, type: auth_guard, target: gw, checks: [no_key] }');
    expect(out.outcome).toBe('auth_rejected');
    expect(out.reason).toMatch(/^the real key was refused: 401 Unauthorized from gw — the gateway refused the key/);
    expect(out.details).toMatchObject({
      authChecks: { no_key: { enforced: true }, valid_key: { accepted: false, status: 401 } },
    });
  });

  it('validKey: false sends only the checks; an announcer marks each and hears when it ended', async () => {
    const fake = await gateway({ auth: 'enforce' });
    const events: string[] = [];
    const guard: GuardAnnouncer = {
      begin: (check: AuthCheck) => {
        events.push(`begin ${check}`);
        return { query: `mcpwatch_guard=${check}`, end: () => void events.push(`end ${check}`) };
      },
    };
    const { out } = await runOnce(
      fake.url,
      '{ name: g, type: auth_guard, target: gw, checks: [wrong_key, no_key], validKey: false }',
      { guard },
    );
    expect(out).toMatchObject({ outcome: 'ok', reason: 'all 2 rejected (wrong_key 401, no_key 401)' });
    expect(out.details).not.toHaveProperty('authChecks.valid_key');
    expect(events).toEqual(['begin wrong_key', 'end wrong_key', 'begin no_key', 'end no_key']);
    // protocol: auto, nothing remembered yet: each check's first request is server/discover, refused as initialize was.
    const firsts = fake.requests.filter((r) => r.rpc === 'initialize' || r.rpc === 'server/discover');
    expect(firsts.map((r) => guardMarkerIn(r.url))).toEqual(['wrong_key', 'no_key']);
  });
});

describe('auth_guard run: a gateway that is not there', () => {
  let url: string;
  beforeAll(async () => {
    url = await goneUrl();
  });

  it('cannot tell: the connection failure is the outcome, naming the first check', async () => {
    const { out } = await runOnce(url, '{ name: g, type: auth_guard, target: gw, checks: [no_key], validKey: false }');
    expect(out.outcome).toBe('connect_error');
    expect(out.reason).toMatch(/^could not tell whether gw \(\/mcp\/\) enforces auth \(no_key\): /);
    expect(out.details).toMatchObject({ authChecks: { no_key: { reason: expect.any(String) } } });
    expect(out.details).not.toHaveProperty('authChecks.no_key.enforced');
  });
});
