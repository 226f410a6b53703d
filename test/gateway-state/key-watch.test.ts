import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Target } from '../../src/config/target.js';
import { GuardCorrelator } from '../../src/correlate/guard.js';
import type { KeyInfo } from '../../src/gateway-state/key-info.js';
import {
  KEYS_AFTER_START_MS,
  KEYS_EVERY_MS,
  KEYS_UNAVAILABLE_EVERY_MS,
  KeyWatch,
  keyInfoReader,
} from '../../src/gateway-state/key-watch.js';
import { GatewayRecorder } from '../../src/metrics/gateway-recorder.js';
import { GUARD_MARKER_PARAM } from '../../src/probes/guard-marks.js';
import { samples, value } from '../support/exposition.js';
import { accessLine, authError } from '../support/log-records.js';
import { capturingLogger, recorderOnTestMetrics } from '../support/runtime-config.js';

const CODEX = 'sk-codex-1234567890abcdef';
const WEBUI = 'sk-webui-1234567890abcdef';

function target(name: string, keys: Record<string, string | undefined>, over: Partial<Target> = {}): Target {
  return {
    name,
    url: `http://${name}:4000`,
    apiKey: 'sk-master-1234567890abcdef',
    apiKeyHeader: 'authorization',
    headers: {},
    tls: { insecureSkipVerify: false },
    keys: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, { apiKey: v }])),
    ...over,
  } as unknown as Target;
}

const OK: KeyInfo = { state: 'ok', expiresAt: null, maxBudget: null, spend: 0, blocked: false, status: 'active' };
const NO_DB: KeyInfo = { state: 'no_database', status: 400, said: 'No connected db.' };

function watch(answer: (target: string, key: string) => KeyInfo) {
  const changes: Array<[string, string, string | undefined]> = [];
  const asked: string[] = [];
  const { logger, lines } = capturingLogger('debug');
  const w = new KeyWatch(
    (t, k) => {
      asked.push(`${t.name}/${k.name}`);
      return Promise.resolve(answer(t.name, k.name));
    },
    (t, k, info) => changes.push([t, k, info?.state]),
    logger,
    0,
  );
  return { w, changes, asked, lines };
}

describe('KeyWatch', () => {
  it('asks each named key, never the target’s own; every 5 minutes', async () => {
    const { w, asked, changes } = watch(() => OK);
    w.setTargets({ lan: target('lan', { codex: CODEX, webui: WEBUI }), plain: target('plain', {}) }, 0);
    await w.tick(0);
    expect(asked).toEqual(['lan/codex', 'lan/webui']);
    expect(changes).toEqual([
      ['lan', 'codex', 'ok'],
      ['lan', 'webui', 'ok'],
    ]);
    const now = Date.now();
    await w.tick(now + KEYS_EVERY_MS - 1_000);
    expect(asked).toHaveLength(2);
    await w.tick(now + KEYS_EVERY_MS + 1_000);
    expect(asked).toHaveLength(4);
    expect(w.status()).toEqual([
      {
        target: 'lan',
        keys: [
          expect.objectContaining({
            key: 'codex',
            state: 'ok',
            expiresAt: null,
            budgetRemaining: null,
            blocked: false,
          }),
          expect.objectContaining({ key: 'webui', state: 'ok' }),
        ],
      },
    ]);
    expect(w.status()[0]!.keys[0]).not.toHaveProperty('message');
  });

  it('no database: said once for the target, logged once at info, asked again hourly or soon after a restart', async () => {
    const { w, asked, lines } = watch(() => NO_DB);
    w.setTargets({ lan: target('lan', { codex: CODEX, webui: WEBUI }) }, 0);
    await w.tick(0);
    const now = Date.now();
    await w.tick(now + KEYS_EVERY_MS + 1_000);
    expect(asked).toHaveLength(2);
    const [s] = w.status();
    expect(s!.lifetimes).toBe('unavailable: the gateway has no database (it answered 400: "No connected db.")');
    expect(s!.keys.map((k) => [k.key, k.state, k.message])).toEqual([
      ['codex', 'no_database', undefined],
      ['webui', 'no_database', undefined],
    ]);
    await w.tick(now + KEYS_UNAVAILABLE_EVERY_MS + 1_000);
    expect(asked).toHaveLength(4);
    w.started('lan', now + KEYS_UNAVAILABLE_EVERY_MS + 2_000);
    await w.tick(now + KEYS_UNAVAILABLE_EVERY_MS + 2_000 + KEYS_AFTER_START_MS);
    expect(asked).toHaveLength(6);
    const said = lines.filter((l) => l.target === 'lan');
    expect(said.map((l) => [l.level, l.key])).toEqual([[30, undefined]]);
    expect(said[0]!.msg).toMatch(/no database/);
  });

  it('a refused key is said per key, with what to do; logged once at warn; never the key', async () => {
    const answers: Record<string, KeyInfo> = {
      expired: { state: 'expired', expiresAt: Date.UTC(2026, 10, 1), said: 'Authentication Error - Expired Key.' },
      blocked: { state: 'blocked', said: 'Authentication Error, Key is blocked.' },
      gone: { state: 'refused', status: 401, said: 'Authentication Error, Invalid proxy server token passed' },
      spent: { state: 'ok', expiresAt: null, maxBudget: 1, spend: 1.5, blocked: false, status: 'active' },
      down: { state: 'error', status: null, said: 'could not ask http://lan:4000/key/info: connect ECONNREFUSED' },
    };
    const { w, lines } = watch((_t, k) => answers[k]!);
    w.setTargets(
      { lan: target('lan', { expired: CODEX, blocked: WEBUI, gone: 'sk-g', spent: 'sk-s', down: 'sk-d' }) },
      0,
    );
    await w.tick(0);
    await w.tick(Date.now() + KEYS_EVERY_MS + 1_000);
    const [s] = w.status();
    expect(s!.lifetimes).toBeUndefined();
    const by = Object.fromEntries(s!.keys.map((k) => [k.key, k]));
    expect(by.expired).toMatchObject({ state: 'expired', expiresAt: '2026-11-01T00:00:00.000Z' });
    expect(by.expired!.message).toMatch(/refuses the key: it has expired/);
    expect(by.blocked).toMatchObject({ state: 'blocked', blocked: true });
    expect(by.gone!.message).toMatch(/refuses the key \(401\): it is invalid, deleted or rotated/);
    expect(by.spent).toMatchObject({ state: 'ok', budgetRemaining: -0.5 });
    expect(by.spent!.message).toBe("the key's budget is spent (1.5 of 1)");
    expect(by.down!.message).toMatch(/ECONNREFUSED/);
    const warned = lines.filter((l) => l.level === 40);
    expect(warned.map((l) => l.key)).toEqual(['expired', 'blocked', 'gone', 'down']);
    expect(JSON.stringify([lines, w.status()])).not.toMatch(/sk-codex|sk-webui/);
  });

  it('a reload: a removed key forgotten (its series with it), a rotated key asked at once, an SSO target not asked', async () => {
    const { w, asked, changes } = watch(() => OK);
    w.setTargets({ lan: target('lan', { codex: CODEX, webui: WEBUI }) }, 0);
    await w.tick(0);
    w.setTargets({ lan: target('lan', { codex: 'sk-codex-rotated-1234567890' }) }, Date.now());
    expect(changes.slice(2)).toEqual([
      ['lan', 'webui', undefined],
      ['lan', 'codex', undefined],
    ]);
    await w.tick(Date.now());
    expect(asked).toEqual(['lan/codex', 'lan/webui', 'lan/codex']);
    w.setTargets({
      sso: target('sso', { codex: CODEX }, { oauth2: { clientId: 'mcpwatch' } } as unknown as Partial<Target>),
    });
    expect(changes.at(-1)).toEqual(['lan', 'codex', undefined]);
    await w.tick(Date.now() + KEYS_EVERY_MS);
    expect(asked).toHaveLength(3);
    expect(w.status()).toEqual([
      {
        target: 'sso',
        lifetimes: expect.stringMatching(/^unavailable: the target is behind an SSO gate/),
        keys: [expect.objectContaining({ key: 'codex', state: 'not_asked' })],
      },
    ]);
  });

  it('stop ends an ask under way and makes no more', async () => {
    let aborted = false;
    const { logger } = capturingLogger();
    const w = new KeyWatch(
      (_t, _k, signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(OK);
          }),
        ),
      () => undefined,
      logger,
      0,
    );
    w.setTargets({ lan: target('lan', { codex: CODEX }) }, 0);
    const t = w.tick(0);
    w.stop();
    await t;
    expect(aborted).toBe(true);
    expect(w.status()[0]!.keys[0]!.state).toBe('pending');
  });
});

describe('keyInfoReader', () => {
  /** Unmarked: what it sends besides the marks. */
  const readKeyInfo = keyInfoReader();

  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function server(
    status: number,
    body: string,
  ): Promise<{ url: string; seen: Array<[string, IncomingHttpHeaders]> }> {
    const seen: Array<[string, IncomingHttpHeaders]> = [];
    const s = createServer((req, res) => {
      seen.push([req.url ?? '', req.headers]);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    close = () => s.close();
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
  }

  it('GET /key/info with the key in the target’s key header and its headers, no key parameter', async () => {
    const gw = await server(200, JSON.stringify({ key: CODEX, info: { expires: null, max_budget: 5, spend: 1 } }));
    const t = target('lan', { codex: CODEX }, {
      url: `${gw.url}/`,
      apiKeyHeader: 'x-litellm-api-key',
      headers: { 'x-team': 'a' },
    } as Partial<Target>);
    const info = await readKeyInfo(t, { name: 'codex', value: CODEX }, new AbortController().signal);
    expect(info).toMatchObject({ state: 'ok', maxBudget: 5, spend: 1 });
    expect(gw.seen[0]![0]).toBe('/key/info');
    expect(gw.seen[0]![1]).toMatchObject({ 'x-litellm-api-key': `Bearer ${CODEX}`, 'x-team': 'a' });
    expect(gw.seen[0]![1].authorization).toBeUndefined();
  });

  it("marked as mcpwatch's own: the refusal it provokes in the gateway's log is not counted as a client's", async () => {
    const gw = await server(400, JSON.stringify({ error: { message: 'No connected db.', type: 'no_db_connection' } }));
    const marks = new GuardCorrelator();
    const t = target('lan', { codex: CODEX }, { url: gw.url } as Partial<Target>);
    const info = await keyInfoReader(marks)(t, { name: 'codex', value: CODEX }, new AbortController().signal);
    expect(info.state).toBe('no_database');
    const [path] = gw.seen[0]!;
    expect(path).toMatch(new RegExp(`^/key/info\\?${GUARD_MARKER_PARAM}=[0-9a-f]{16}$`));
    // LiteLLM's access line of it, and the auth error it logged just before (no_db): both mcpwatch's own.
    expect(marks.attribute('litellm', ...accessLine(path, Date.now(), '172.18.0.5'))).toBe('probe');
    expect(
      marks.attribute(
        'litellm',
        ...authError('no_db', 'user_api_key_auth(): Exception occured - No connected db.', Date.now()),
      ),
    ).toBe('probe');
    // A client's own refusal after it is a client's.
    expect(
      marks.attribute(
        'litellm',
        ...authError('no_db', 'user_api_key_auth(): Exception occured - No connected db.', Date.now()),
      ),
    ).toBe('external');
  });

  it('no answer: an error naming the URL, not the key', async () => {
    const gw = await server(200, '{}');
    close?.();
    const info = await readKeyInfo(
      target('lan', {}, { url: gw.url } as Partial<Target>),
      { name: 'codex', value: CODEX },
      new AbortController().signal,
    );
    expect(info.state).toBe('error');
    expect(info.state === 'error' && info.said).toMatch(/^could not ask http:\/\/127\.0\.0\.1:\d+\/key\/info: /);
    expect(JSON.stringify(info)).not.toContain(CODEX);
  });
});

describe('GatewayRecorder.keyLifetime', () => {
  it('sets what the gateway said, drops what it no longer says, and every series of a key gone', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new GatewayRecorder(m));
    const labels = { target: 'lan', key: 'codex' };
    rec.keyLifetime('lan', 'codex', {
      state: 'ok',
      expiresAt: Date.UTC(2026, 11, 31),
      maxBudget: 10,
      spend: 2.5,
      blocked: false,
      status: 'active',
    });
    let t = await text();
    expect(value(t, 'mcp_key_expiry_timestamp_seconds', labels)).toBe(Date.UTC(2026, 11, 31) / 1000);
    expect(value(t, 'mcp_key_budget_remaining', labels)).toBe(7.5);
    expect(value(t, 'mcp_key_budget_max', labels)).toBe(10);
    expect(value(t, 'mcp_key_blocked', labels)).toBe(0);

    // Unlimited and never expiring: no expiry, no budget.
    rec.keyLifetime('lan', 'codex', { ...OK });
    t = await text();
    expect(samples(t, 'mcp_key_expiry_timestamp_seconds')).toEqual([]);
    expect(samples(t, 'mcp_key_budget_remaining')).toEqual([]);
    expect(value(t, 'mcp_key_blocked', labels)).toBe(0);

    // Refused as expired: the expiry its refusal names; refused as blocked: blocked.
    rec.keyLifetime('lan', 'codex', { state: 'expired', expiresAt: Date.UTC(2026, 10, 1), said: '' });
    t = await text();
    expect(value(t, 'mcp_key_expiry_timestamp_seconds', labels)).toBe(Date.UTC(2026, 10, 1) / 1000);
    expect(samples(t, 'mcp_key_blocked')).toEqual([]);
    rec.keyLifetime('lan', 'codex', { state: 'blocked', said: '' });
    t = await text();
    expect(value(t, 'mcp_key_blocked', labels)).toBe(1);
    expect(samples(t, 'mcp_key_expiry_timestamp_seconds')).toEqual([]);

    // An ask that failed (the gateway down): the series as they were.
    rec.keyLifetime('lan', 'codex', { state: 'error', status: null, said: 'connect ECONNREFUSED' });
    expect(value(await text(), 'mcp_key_blocked', labels)).toBe(1);

    // No database: nothing known.
    rec.keyLifetime('lan', 'codex', NO_DB);
    t = await text();
    for (const f of ['mcp_key_expiry_timestamp_seconds', 'mcp_key_budget_remaining', 'mcp_key_blocked'])
      expect(samples(t, f)).toEqual([]);

    rec.keyLifetime('lan', 'codex', { state: 'ok', expiresAt: 1, maxBudget: 1, spend: 0, blocked: true, status: null });
    rec.keyLifetime('lan', 'codex', undefined);
    expect((await text()).split('\n').filter((l) => l.includes('key="codex"'))).toEqual([]);
  });
});
