import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processEras } from '../../src/probes/mcp/eras.js';
import { run as catalogRun } from '../../src/probes/mcp-catalog/run.js';
import { run as callRun } from '../../src/probes/mcp-call/run.js';
import {
  ensureMcpServers,
  EVERYTHING_SERVER,
  LITELLM_EDGE_VERSIONS,
  MASTER_KEY,
  startLiteLLM,
  versionsUnderTest,
  type LiteLLM,
} from '../support/litellm.js';
import { failureOf, probeHarness } from '../support/run-harness.js';

// The probes' `protocol` setting against a REAL LiteLLM (the oldest and the newest tested: env
// MCPWATCH_LITELLM_VERSIONS overrides), one real upstream (the everything server from npm, over stdio). LiteLLM speaks
// only the 2025 revisions: legacy and an exact 2025 version it knows speak, auto falls back to legacy after one refused
// server/discover, modern fails naming the versions it speaks and the fix.

const VERSIONS = versionsUnderTest(LITELLM_EDGE_VERSIONS);

interface Eras {
  /** The version `legacy` (initialize offering 2025-11-25) ends up speaking: the gateway's newest. */
  legacy: string;
  /** The 2025 revisions it names when it refuses server/discover. */
  supported: string[];
  /** Its refusal of server/discover (400, -32600), as it words it. */
  refusal: string;
}

const V1109: Eras = {
  legacy: '2025-11-25',
  supported: ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'],
  refusal: 'Unsupported MCP-Protocol-Version 2026-07-28; supported: 2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25',
};
const ERAS: Record<string, Eras> = {
  // The Python SDK 1.12 inside it: 2025-06-18 at most, and the SDK's own refusal of an unknown version header.
  '1.77.1': {
    legacy: '2025-06-18',
    supported: ['2024-11-05', '2025-03-26', '2025-06-18'],
    refusal:
      'Bad Request: Unsupported protocol version: 2026-07-28. Supported versions: 2024-11-05, 2025-03-26, 2025-06-18',
  },
  // Its own check of MCP-Protocol-Version (1.110.2 answers as 1.109.1, byte for byte).
  '1.109.1': V1109,
  '1.110.2': V1109,
};

const call = probeHarness('mcp_call', callRun, MASTER_KEY);
const catalog = probeHarness('mcp_catalog', catalogRun, MASTER_KEY);
const TOOL = `${EVERYTHING_SERVER}-echo`;
const CALL =
  `{ name: k, type: mcp_call, target: gw, servers: [${EVERYTHING_SERVER}], tool: ${TOOL}, ` +
  'arguments: { message: hi }, expect: { matches: "^Echo: hi$" } }';
const CATALOG = `{ name: c, type: mcp_catalog, target: gw, servers: [${EVERYTHING_SERVER}], expect: { tools: [${TOOL}] } }`;
// 1.109+ starts its stdio servers per request: seconds each on a busy machine.
const at = (protocol: string) => `, timeout: 60s, protocol: "${protocol}"`;

const legacy = (version: string) => ({ era: 'legacy', version, via: 'initialize' });

describe.each(VERSIONS)('protocol settings against a real LiteLLM %s', (version) => {
  const eras = ERAS[version];
  let ll: LiteLLM;
  beforeAll(async () => {
    if (!eras)
      throw new Error(
        `no protocol behaviour written down for LiteLLM ${version} (known: ${Object.keys(ERAS).join(', ')})`,
      );
    const s = ensureMcpServers();
    ll = await startLiteLLM({
      version,
      servers: {
        [EVERYTHING_SERVER]: { transport: 'stdio', command: process.execPath, args: [s.everything, 'stdio'] },
      },
    });
  });
  afterAll(async () => {
    await ll?.stop();
  });
  beforeEach(() => processEras.clear());

  it('legacy: initialize only, at the newest version the gateway speaks', async () => {
    const { out, msgs } = await call(ll.url, CALL, { targetMore: at('legacy') });
    expect(out).toMatchObject({
      outcome: 'ok',
      reason: `${TOOL} returned Echo: hi`,
      details: { protocol: legacy(eras!.legacy) },
    });
    expect(msgs).toContainEqual(`POST ${ll.url}/mcp/  initialize`);
    expect(msgs).not.toContainEqual(`POST ${ll.url}/mcp/  server/discover`);
  });

  it('a pinned 2025 version it speaks (2025-06-18): that version', async () => {
    const { out } = await call(ll.url, CALL, { targetMore: at('2025-06-18') });
    expect(out).toMatchObject({ outcome: 'ok', details: { protocol: legacy('2025-06-18') } });
  });

  it('2025-11-25 pinned: spoken where the gateway knows it, else its counter-offer named', async () => {
    if (eras!.supported.includes('2025-11-25')) {
      const { out } = await call(ll.url, CALL, { targetMore: at('2025-11-25') });
      expect(out).toMatchObject({ outcome: 'ok', details: { protocol: legacy('2025-11-25') } });
      return;
    }
    const err = await failureOf(call(ll.url, CALL, { targetMore: at('2025-11-25') }));
    expect(err.outcome).toBe('protocol_error');
    expect(err.message).toBe(
      `gw answered initialize with protocol ${eras!.legacy}, not 2025-11-25 (protocol: 2025-11-25): set protocol to ` +
        `a version it speaks (${eras!.legacy}), or auto`,
    );
  });

  it('auto: one server/discover refused (400), then initialize; the target remembered as legacy', async () => {
    const { out, msgs } = await call(ll.url, CALL, { targetMore: at('auto') });
    expect(out).toMatchObject({ outcome: 'ok', details: { protocol: legacy(eras!.legacy) } });
    const posts = msgs.filter((m) => m.startsWith('POST ') || m.startsWith('← '));
    expect(posts.slice(0, 3)).toEqual([
      `POST ${ll.url}/mcp/  server/discover`,
      '← 400 Bad Request (application/json)  server/discover',
      `POST ${ll.url}/mcp/  initialize`,
    ]);
    // The next probe of the target sends no server/discover.
    const { out: next, msgs: nextMsgs } = await catalog(ll.url, CATALOG, { targetMore: at('auto') });
    expect(next).toMatchObject({ outcome: 'ok', details: { protocol: { ...legacy(eras!.legacy), remembered: true } } });
    expect(nextMsgs).not.toContainEqual(`POST ${ll.url}/mcp/  server/discover`);
  });

  it('modern (or 2026-07-28): protocol_error naming the 2025 revisions it speaks, and the fix', async () => {
    const reason =
      `gw did not answer server/discover as a 2026-07-28 server (it answered 400 Bad Request: -32600 ` +
      `"${eras!.refusal}") — it speaks only the 2025 revisions ${eras!.supported.join(', ')} (legacy): set ` +
      'protocol: auto or legacy, or upgrade the gateway to a release that speaks 2026-07-28';
    const byCatalog = await failureOf(catalog(ll.url, CATALOG, { targetMore: at('modern') }));
    const byCall = await failureOf(call(ll.url, CALL, { targetMore: at('2026-07-28') }));
    for (const err of [byCatalog, byCall]) {
      expect(err.outcome).toBe('protocol_error');
      expect(err.message).toBe(reason);
      expect(err.details).toMatchObject({ status: 400, jsonRpcError: -32600, supported: eras!.supported });
      expect(err.details).not.toHaveProperty('protocol'); // nothing was spoken
    }
  });
});
