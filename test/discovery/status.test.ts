import { describe, expect, it } from 'vitest';
import { discoveryStatus } from '../../src/discovery/status.js';
import type { ListState } from '../../src/discovery/servers.js';
import { configOf } from '../support/runtime-config.js';

const config = configOf(`
targets:
  gw:
    url: http://127.0.0.1:9
    discover:
      every: 2m
      exclude: [mcpwatch]
      probes: [{ type: mcp_catalog }]
  quiet:
    url: http://127.0.0.1:8
    discover: { probes: [{ type: mcp_catalog }] }
  plain:
    url: http://127.0.0.1:7
probes:
  - { name: fs-catalog, type: mcp_catalog, target: gw, servers: [fs] }
`);

describe('discovery in /status', () => {
  it('the list in use (source, when, each server and its probes) and the last attempt; a target with none yet', () => {
    const states: Record<string, ListState> = {
      gw: {
        known: { servers: ['ev', 'fs', 'mcpwatch'], source: 'server_list', at: Date.UTC(2026, 0, 1) },
        last: { at: Date.UTC(2026, 0, 1, 0, 5), ok: false, error: 'connect ECONNREFUSED 127.0.0.1:9' },
      },
    };
    expect(discoveryStatus(config, (t) => states[t])).toEqual([
      {
        target: 'gw',
        every: '2m',
        list: {
          source: 'server_list',
          readAt: '2026-01-01T00:00:00.000Z',
          servers: [
            { name: 'ev', probes: ['gw/ev/mcp_catalog'] },
            { name: 'fs', probes: [], configured: { mcp_catalog: 'fs-catalog' } },
            { name: 'mcpwatch', excluded: true, probes: [] },
          ],
        },
        lastAttempt: { at: '2026-01-01T00:05:00.000Z', ok: false, error: 'connect ECONNREFUSED 127.0.0.1:9' },
      },
      { target: 'quiet', every: '5m' },
    ]);
  });

  it('a list kept from before the start says so', () => {
    const state: ListState = { known: { servers: ['ev'], source: 'tool_prefixes', at: 0, restored: true } };
    const [gw] = discoveryStatus(config, (t) => (t === 'gw' ? state : undefined));
    expect(gw?.list).toMatchObject({ source: 'tool_prefixes', restored: true });
    expect(gw?.lastAttempt).toBeUndefined();
  });
});
