import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processEras } from '../../src/probes/mcp/eras.js';
import { run as catalogRun } from '../../src/probes/mcp-catalog/run.js';
import { run as callRun } from '../../src/probes/mcp-call/run.js';
import { PYTHON_MCP_SERVER_NAME, startPythonMcpServer, type PythonMcpServer } from '../support/python-mcp.js';
import { probeHarness } from '../support/run-harness.js';

// The probes on the SDK v2 client against the official Python SDK's server (PyPI mcp 2.3.0, MCPServer on
// streamable HTTP, scripts/ensure-python-mcp.sh), with sessions and stateless, probed with each protocol setting.
// It serves both eras on one /mcp: 2026-07-28 (server/discover) and the 2025 initialize at every 2025 revision,
// so every setting speaks and none is a protocol_error (there is no modern-only or legacy-only switch in it).

const KEY = 'sk-python-0123456789abcdef';
const catalog = probeHarness('mcp_catalog', catalogRun, KEY);
const call = probeHarness('mcp_call', callRun, KEY);
const CATALOG = '{ name: c, type: mcp_catalog, target: gw, expect: { tools: [echo] } }';
const CALL = '{ name: k, type: mcp_call, target: gw, tool: echo, arguments: { text: hi }, expect: { contains: hi } }';
const at = (protocol: string) => `, mcpPath: /mcp, timeout: 30s, protocol: "${protocol}"`;

const MODERN = { era: 'modern', version: '2026-07-28' };
const LEGACY = { era: 'legacy', version: '2025-11-25', via: 'initialize' };

/** Each setting, what the Python server speaks with it. */
const SPOKEN: Array<[string, object]> = [
  ['auto', { ...MODERN, via: 'discover' }],
  ['modern', { ...MODERN, via: 'pinned' }],
  ['2026-07-28', { ...MODERN, via: 'pinned' }],
  ['legacy', LEGACY],
  ['2025-06-18', { ...LEGACY, version: '2025-06-18' }],
  ['2024-11-05', { ...LEGACY, version: '2024-11-05' }],
];

describe.each([false, true])('the Python SDK server (stateless: %s)', (stateless) => {
  let py: PythonMcpServer;
  beforeAll(async () => {
    py = await startPythonMcpServer({ stateless });
  });
  afterAll(async () => {
    await py?.stop();
  });
  beforeEach(() => processEras.clear());

  it.each(SPOKEN)('protocol %s: a call ok, details.protocol %j', async (protocol, spoken) => {
    const { out, msgs } = await call(py.url, CALL, { targetMore: at(protocol) });
    expect(out).toMatchObject({ outcome: 'ok', reason: 'echo returned hi', details: { protocol: spoken } });
    const first = (spoken as { via: string }).via === 'initialize' ? 'initialize' : 'server/discover';
    expect(msgs).toContainEqual(`POST ${py.url}/mcp  ${first}`);
    if (first === 'initialize') {
      expect(msgs).not.toContainEqual(`POST ${py.url}/mcp  server/discover`);
      // The 2025 leg: a session with mcp-session-id, ended by a DELETE; stateless, none.
      const sessions = stateless ? 'stateless (no mcp-session-id)' : 'stateful (mcp-session-id)';
      const { version } = spoken as { version: string };
      expect(msgs).toContainEqual(
        `initialized: ${PYTHON_MCP_SERVER_NAME} ${py.mcpVersion} (protocol ${version}, ${sessions})`,
      );
      if (stateless) expect(msgs).not.toContainEqual(expect.stringMatching(/^DELETE /));
      else expect(msgs).toContainEqual('← 200 OK (application/json)  (end session)');
    } else {
      // 2026-07-28: no session whatever the server's mode; the handshake is the one server/discover.
      expect(msgs).toContainEqual(expect.stringMatching(/^connected: .*stateless \(no mcp-session-id\)\)$/));
      expect(msgs.filter((m) => m.startsWith('POST '))).toEqual([
        `POST ${py.url}/mcp  server/discover`,
        `POST ${py.url}/mcp  tools/call`,
      ]);
    }
  });

  it.each(SPOKEN)('protocol %s: the catalog ok, details.protocol %j', async (protocol, spoken) => {
    const { out } = await catalog(py.url, CATALOG, { targetMore: at(protocol) });
    expect(out).toMatchObject({ outcome: 'ok', details: { protocol: spoken, toolNames: ['echo'] } });
    if ((spoken as { era: string }).era === 'modern') {
      expect(out.details).toMatchObject({
        discover: {
          server: { name: PYTHON_MCP_SERVER_NAME, version: py.mcpVersion },
          supportedVersions: ['2026-07-28'],
        },
      });
    } else {
      expect(out.details).not.toHaveProperty('discover');
    }
  });
});
