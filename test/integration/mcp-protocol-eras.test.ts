import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processEras } from '../../src/probes/mcp/eras.js';
import { run as catalogRun } from '../../src/probes/mcp-catalog/run.js';
import { run as callRun } from '../../src/probes/mcp-call/run.js';
import type { ProbeMemory } from '../../src/probes/types.js';
import { startEraServer, type EraServer, type EraServerKind } from '../support/era-servers.js';
import { failureOf, probeHarness } from '../support/run-harness.js';

// The probes on the SDK v2 client against real servers of each era: the SDK v2 server modern-only and dual-era, the
// SDK 1.32.2 server (legacy), each probed with protocol auto, legacy, modern and exact versions, mismatches named.

const KEY = 'sk-eras-0123456789abcdef';
const catalog = probeHarness('mcp_catalog', catalogRun, KEY);
const call = probeHarness('mcp_call', callRun, KEY);
const CATALOG = '{ name: c, type: mcp_catalog, target: gw, expect: { tools: [echo] } }';
const CALL = '{ name: k, type: mcp_call, target: gw, tool: echo, arguments: { text: hi }, expect: { contains: hi } }';
const at = (protocol: string) => `, mcpPath: /mcp, protocol: "${protocol}"`;

const servers = {} as Record<EraServerKind, EraServer>;
beforeAll(async () => {
  for (const kind of ['modern_only', 'dual', 'legacy'] as const) servers[kind] = await startEraServer(kind);
});
afterAll(async () => {
  for (const s of Object.values(servers)) await s.stop();
});
beforeEach(() => {
  processEras.clear();
  for (const s of Object.values(servers)) {
    s.requests.length = 0;
    delete s.rewriteMcpMethod;
  }
});

const MODERN = { era: 'modern', version: '2026-07-28' };
const LEGACY = { era: 'legacy', version: '2025-11-25', via: 'initialize' };

describe('what each server speaks, by protocol setting', () => {
  it.each<[EraServerKind, string, object]>([
    ['modern_only', 'auto', { ...MODERN, via: 'discover' }],
    ['modern_only', 'modern', { ...MODERN, via: 'pinned' }],
    ['modern_only', '2026-07-28', { ...MODERN, via: 'pinned' }],
    ['dual', 'auto', { ...MODERN, via: 'discover' }],
    ['dual', 'modern', { ...MODERN, via: 'pinned' }],
    ['dual', 'legacy', LEGACY],
    ['dual', '2025-06-18', { ...LEGACY, version: '2025-06-18' }],
    ['legacy', 'auto', LEGACY],
    ['legacy', 'legacy', LEGACY],
    ['legacy', '2025-06-18', { ...LEGACY, version: '2025-06-18' }],
  ])('%s server, protocol %s: a call ok, details.protocol %j', async (kind, protocol, spoken) => {
    const s = servers[kind];
    const { out, msgs } = await call(s.url, CALL, { targetMore: at(protocol) });
    expect(out).toMatchObject({ outcome: 'ok', reason: 'echo returned hi', details: { protocol: spoken } });
    expect(msgs).toContainEqual(expect.stringMatching(/^protocol: (modern|legacy) /));
    // The handshake as steps: server/discover (modern) or initialize (legacy).
    const first = (spoken as { via: string }).via === 'initialize' ? 'initialize' : 'server/discover';
    expect(msgs).toContainEqual(`POST ${s.url}/mcp  ${first}`);
    if (kind === 'legacy') expect(s.openSessions).toBe(0); // the session DELETEd at the end
  });

  it('modern requests carry the modern headers; legacy ones none', async () => {
    await call(servers.dual.url, CALL, { targetMore: at('modern') });
    const toolsCall = servers.dual.requests.find((r) => r.rpc === 'tools/call')!;
    expect(toolsCall).toMatchObject({ protocolVersion: '2026-07-28', mcpMethod: 'tools/call', status: 200 });
    servers.dual.requests.length = 0;
    await call(servers.dual.url, CALL, { targetMore: at('legacy') });
    expect(servers.dual.requests.map((r) => r.rpc).filter(Boolean)).toEqual([
      'initialize',
      'notifications/initialized',
      'tools/call',
    ]);
    expect(servers.dual.requests.find((r) => r.rpc === 'initialize')!.mcpMethod).toBeUndefined();
  });
});

describe('mismatches, named for the operator', () => {
  it('a modern-only server behind protocol: legacy (or an exact legacy version): it speaks only 2026-07-28', async () => {
    for (const protocol of ['legacy', '2025-06-18']) {
      const err = await failureOf(call(servers.modern_only.url, CALL, { targetMore: at(protocol) }));
      expect(err.outcome).toBe('protocol_error');
      expect(err.message).toMatch(
        /^gw speaks only 2026-07-28: it refused the 2025 initialize handshake \(-32022 unsupported protocol version 2025-\d\d-\d\d\) — set protocol: auto or modern$/,
      );
      expect(err.details).toMatchObject({ status: 400, jsonRpcError: -32022, supported: ['2026-07-28'] });
    }
  });

  it('protocol: modern against a legacy server: what it answered to server/discover, and the fix', async () => {
    const err = await failureOf(call(servers.legacy.url, CALL, { targetMore: at('modern') }));
    expect(err.outcome).toBe('protocol_error');
    expect(err.message).toMatch(
      /^gw did not answer server\/discover as a 2026-07-28 server \(it answered 400 Bad Request: .*Server not initialized.*\) — it speaks only the 2025 protocol \(legacy\): set protocol: auto or legacy$/,
    );
    expect(err.details).toMatchObject({ status: 400 });
  });

  it('-32020: a proxy rewriting the Mcp-Method header, named as such', async () => {
    servers.modern_only.rewriteMcpMethod = 'tools/call';
    const err = await failureOf(call(servers.modern_only.url, CALL, { targetMore: at('modern') }));
    expect(err.outcome).toBe('protocol_error');
    expect(err.message).toMatch(/^gw refused the request because its MCP headers and its body disagree .*\(-32020\)/);
    expect(err.message).toMatch(/often a proxy\) rewrote or dropped the Mcp-Method, Mcp-Name or MCP-Protocol-Version/);
  });

  it('an exact legacy version is the one initialize offers, and the one spoken (the oldest here)', async () => {
    const { out } = await call(servers.legacy.url, CALL, { targetMore: at('2024-11-05') });
    expect(out).toMatchObject({ outcome: 'ok', details: { protocol: { version: '2024-11-05' } } });
  });
});

describe('protocol: auto remembers the era per target', () => {
  it('a legacy gateway is sent server/discover once, then initialize only; every probe of the target shares it', async () => {
    const s = servers.legacy;
    await call(s.url, CALL, { targetMore: at('auto') });
    expect(s.requests.filter((r) => r.rpc === 'server/discover')).toHaveLength(1);
    s.requests.length = 0;
    const { out, msgs } = await catalog(s.url, CATALOG, { targetMore: at('auto') });
    expect(out).toMatchObject({ outcome: 'ok', details: { protocol: { ...LEGACY, remembered: true } } });
    expect(s.requests.filter((r) => r.rpc === 'server/discover')).toHaveLength(0);
    expect(msgs).toContainEqual(expect.stringMatching(/no server\/discover sent/));
  });

  it('a remembered legacy gateway that now refuses the 2025 handshake is negotiated again in the same run', async () => {
    // The legacy server's era remembered under the modern-only server's URL: as if the gateway was upgraded.
    const url = servers.modern_only.url;
    const { out: first } = await call(servers.legacy.url, CALL, { targetMore: at('auto') });
    expect(first).toMatchObject({ outcome: 'ok' });
    const target = { name: 'gw', url, mcpPath: '/mcp', transport: 'streamable-http', protocol: 'auto' };
    processEras.remember(target as never, 'legacy', '2025-11-25');
    const { out, msgs } = await call(url, CALL, { targetMore: at('auto') });
    expect(out).toMatchObject({ outcome: 'ok', details: { protocol: { ...MODERN, via: 'discover' } } });
    expect(msgs).toContainEqual(
      expect.stringMatching(/spoke legacy 2025-11-25 before and now refused it .*negotiating/),
    );
  });

  it('a change of era between runs of a probe is named in its result', async () => {
    const memory: ProbeMemory = {};
    await call(servers.dual.url, CALL, { targetMore: at('legacy'), memory });
    const { out, msgs } = await call(servers.dual.url, CALL, { targetMore: at('auto'), memory });
    expect(out).toMatchObject({
      outcome: 'ok',
      details: { protocol: { ...MODERN, via: 'discover', changedFrom: { era: 'legacy', version: '2025-11-25' } } },
    });
    expect(msgs).toContain('protocol changed since the last run: legacy 2025-11-25 → modern 2026-07-28');
  });
});

describe('the modern catalog', () => {
  it("records server/discover and the list's ttlMs/cacheScope, and lists afresh every run (the client's cache bypassed)", async () => {
    const s = servers.dual;
    for (let i = 0; i < 2; i++) {
      const { out } = await catalog(s.url, CATALOG, { targetMore: at('modern') });
      expect(out).toMatchObject({
        outcome: 'ok',
        details: {
          protocol: { ...MODERN, via: 'pinned' },
          discover: { server: { name: 'era-v2', version: '2.4.0' }, supportedVersions: ['2026-07-28'] },
          listCache: { ttlMs: 60_000, cacheScope: 'public' },
          toolNames: ['echo'],
        },
      });
    }
    expect(s.requests.filter((r) => r.rpc === 'tools/list')).toHaveLength(2);
  });

  it('a legacy catalog has no discover or cache hints', async () => {
    const { out } = await catalog(servers.legacy.url, CATALOG, { targetMore: at('legacy') });
    expect(out.details).not.toHaveProperty('discover');
    expect(out.details).not.toHaveProperty('listCache');
    expect(out).toMatchObject({ outcome: 'ok', details: { protocol: LEGACY, toolNames: ['echo'] } });
  });
});
