import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { processEras } from '../../src/probes/mcp/eras.js';
import { run as catalogRun } from '../../src/probes/mcp-catalog/run.js';
import { run as callRun } from '../../src/probes/mcp-call/run.js';
import type { ProbeMemory } from '../../src/probes/types.js';
import { startEraServer, type EraServer, type EraServerKind } from '../support/era-servers.js';
import { failureOf, probeHarness } from '../support/run-harness.js';

// The probes on the SDK v2 client against real servers of each era: the SDK v2 server modern-only and dual-era, the
// SDK 1.32.2 server (legacy), each probed with protocol auto, legacy, modern and exact versions, mismatches named. For
// the answers the SDK client never asks for (a 2025 method in the 2026-07-28 envelope, a version no server knows), a
// proxy made here rewrites its requests on their way to the real server; an SDK v2 server of an older revision list
// makes the counter-offer.

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

/** The prefix of the 2026-07-28 envelope's keys in `_meta`. */
const META = 'io.modelcontextprotocol/';

interface Local {
  url: string;
  stop(): Promise<void>;
}

async function listen(server: http.Server, close: () => Promise<void> = async () => {}): Promise<Local> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await close();
    },
  };
}

/** A JSON-RPC POST on its way through the proxy: its headers and message, both rewritable. */
interface Passing {
  headers: http.OutgoingHttpHeaders;
  msg: { method?: string; params?: Record<string, unknown> } & Record<string, unknown>;
}

/**
 * A proxy in front of `upstream` that rewrites each JSON-RPC POST with `rewrite` and passes everything else on as
 * it is, the answers too.
 */
async function startRewriter(upstream: string, rewrite: (req: Passing) => void): Promise<Local> {
  const to = new URL(upstream);
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let body = Buffer.concat(chunks);
      const headers: http.OutgoingHttpHeaders = { ...req.headers, host: to.host };
      if (req.method === 'POST' && body.length > 0) {
        const passing: Passing = { headers, msg: JSON.parse(body.toString('utf8')) as Passing['msg'] };
        rewrite(passing);
        body = Buffer.from(JSON.stringify(passing.msg));
        headers['content-length'] = String(body.length);
      }
      const out = http.request(
        { host: to.hostname, port: to.port, path: req.url, method: req.method, headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    })().catch(() => res.destroy());
  });
  return listen(server);
}

/** The SDK v2 server (dual era) whose 2025 leg knows only `legacyVersions`, as a server on an older SDK would. */
async function startOldRevisionServer(legacyVersions: string[]): Promise<Local> {
  const handler = createMcpHandler(
    () => {
      const s = new McpServer(
        { name: 'era-v2-old', version: '2.4.0' },
        { capabilities: { tools: {} }, supportedProtocolVersions: legacyVersions },
      );
      s.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, ({ text }) =>
        Promise.resolve({ content: [{ type: 'text' as const, text }] }),
      );
      return s;
    },
    { legacy: 'stateless' },
  );
  const node = toNodeHandler(handler);
  return listen(
    http.createServer((req, res) => void node(req, res)),
    () => handler.close(),
  );
}
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
    expect(err.message).toBe(
      'gw did not answer server/discover as a 2026-07-28 server (it answered 400 Bad Request: -32000 "Bad Request: ' +
        'Server not initialized") — it speaks only the 2025 protocol (legacy): set protocol: auto or legacy, or ' +
        'upgrade the gateway to a release that speaks 2026-07-28',
    );
    expect(err.details).toMatchObject({ status: 400, jsonRpcError: -32000 });
  });

  it('a 2025 method sent to a modern-only server (404, -32601): it speaks only 2026-07-28', async () => {
    // The SDK client never sends initialize in the 2026-07-28 envelope; a proxy that stamps every request with it
    // does, and the real server's answer to that is the one to name.
    const proxy = await startRewriter(servers.modern_only.url, (req) => {
      if (req.msg.method !== 'initialize') return;
      const { capabilities, clientInfo } = req.msg.params as { capabilities?: unknown; clientInfo?: unknown };
      req.headers['mcp-protocol-version'] = '2026-07-28';
      req.headers['mcp-method'] = 'initialize';
      req.msg.params = {
        ...req.msg.params,
        _meta: {
          [`${META}protocolVersion`]: '2026-07-28',
          [`${META}clientCapabilities`]: capabilities ?? {},
          [`${META}clientInfo`]: clientInfo,
        },
      };
    });
    try {
      const err = await failureOf(call(proxy.url, CALL, { targetMore: at('legacy') }));
      expect(err.outcome).toBe('protocol_error');
      expect(err.message).toBe(
        'gw does not know the 2025 method initialize (404, -32601 Method not found): the server speaks only ' +
          '2026-07-28 — set protocol: auto or modern',
      );
      expect(err.details).toMatchObject({ status: 404, jsonRpcError: -32601 });
      expect(servers.modern_only.requests).toContainEqual(
        expect.objectContaining({ rpc: 'initialize', protocolVersion: '2026-07-28', status: 404 }),
      );
    } finally {
      await proxy.stop();
    }
  });

  it('-32022, a version the server does not support: the versions it supports, and the fix', async () => {
    // A proxy that rewrites the version mcpwatch asks for (the SDK only ever asks for 2026-07-28, which every
    // modern server speaks): the real server's -32022 with its data.supported.
    const proxy = await startRewriter(servers.modern_only.url, (req) => {
      if (req.msg.method !== 'server/discover') return;
      req.headers['mcp-protocol-version'] = '2027-01-01';
      const params = (req.msg.params ?? {}) as { _meta?: Record<string, unknown> };
      req.msg.params = { ...params, _meta: { ...params._meta, [`${META}protocolVersion`]: '2027-01-01' } };
    });
    try {
      for (const protocol of ['modern', 'auto']) {
        const err = await failureOf(call(proxy.url, CALL, { targetMore: at(protocol) }));
        expect(err.outcome).toBe('protocol_error');
        expect(err.message).toBe(
          'gw does not support protocol 2027-01-01 (-32022): it supports 2026-07-28 — pin a version both speak ' +
            '(protocol: 2026-07-28), or upgrade the server',
        );
        expect(err.details).toMatchObject({ jsonRpcError: -32022, supported: ['2026-07-28'] });
      }
    } finally {
      await proxy.stop();
    }
  });

  it('a counter-offer: a pinned 2025 version answered with another, named with the one to pin', async () => {
    // The SDK v2 server of an older revision list (its 2025 leg knows up to 2025-06-18): it answers initialize
    // with its newest when it does not know the version offered.
    const old = await startOldRevisionServer(['2025-06-18', '2025-03-26']);
    try {
      const err = await failureOf(call(old.url, CALL, { targetMore: at('2025-11-25') }));
      expect(err.outcome).toBe('protocol_error');
      expect(err.message).toBe(
        'gw answered initialize with protocol 2025-06-18, not 2025-11-25 (protocol: 2025-11-25): set protocol to a ' +
          'version it speaks (2025-06-18), or auto',
      );
      // legacy takes what it offers; an exact version it knows is spoken.
      const { out: legacy } = await call(old.url, CALL, { targetMore: at('legacy') });
      expect(legacy).toMatchObject({ outcome: 'ok', details: { protocol: { ...LEGACY, version: '2025-06-18' } } });
      const { out: exact } = await call(old.url, CALL, { targetMore: at('2025-03-26') });
      expect(exact).toMatchObject({ outcome: 'ok', details: { protocol: { ...LEGACY, version: '2025-03-26' } } });
    } finally {
      await old.stop();
    }
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
