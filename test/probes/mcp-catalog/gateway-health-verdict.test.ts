import { describe, expect, it } from 'vitest';
import type { ServerState } from '../../../src/probes/types.js';
import {
  compareGatewayHealth,
  describeMismatches,
  healthEntriesOf,
  serverNamesOf,
} from '../../../src/probes/mcp-catalog/gateway-health-verdict.js';

// LiteLLM's own MCP health, in the shapes 1.77.1 and 1.109.1 answer (taken from real answers,
// ids shortened; the env of /v1/mcp/server masked).

const LIST = [
  {
    server_id: 'id-pg',
    server_name: 'mcp_postgres',
    alias: 'mcp_postgres',
    command: 'postgres-mcp',
    env: { DATABASE_URI: 'postgresql://u:secret-password@db/x' },
  },
  { server_id: 'id-fs', server_name: 'mcp_filesystem', command: 'node' },
  { server_id: 'id-broken', alias: 'mcp_broken' },
  { server_name: 'no id' },
];
const HEALTH_177 = {
  total_servers: 3,
  healthy_count: 3,
  servers: {
    'id-pg': { server_id: 'id-pg', status: 'healthy', tools_count: 9, response_time_ms: 3020.79, error: null },
    'id-fs': { server_id: 'id-fs', status: 'healthy', tools_count: 14, error: null },
    'id-broken': { server_id: 'id-broken', status: 'healthy', tools_count: 0, error: null },
  },
};
const HEALTH_1109 = [
  { server_id: 'id-pg', status: 'healthy' },
  { server_id: 'id-fs', status: 'healthy' },
  { server_id: 'id-broken', status: 'unhealthy' },
  { server_id: 'id-unknown', status: 'unknown' },
];
const SEEN: Record<string, ServerState> = {
  mcp_postgres: { up: true, tools: 9 },
  mcp_filesystem: { up: true, tools: 14 },
  mcp_broken: { up: false, tools: 0, reason: 'internal' },
};

describe('the gateway health check', () => {
  it('reads only ids and names from /v1/mcp/server (never its env)', () => {
    const names = serverNamesOf(LIST);
    expect([...names]).toEqual([
      ['id-pg', 'mcp_postgres'],
      ['id-fs', 'mcp_filesystem'],
      ['id-broken', 'mcp_broken'],
    ]);
    expect(JSON.stringify([...names])).not.toContain('secret-password');
    expect(serverNamesOf({ servers: LIST }).size).toBe(3);
    expect(serverNamesOf('garbage').size).toBe(0);
  });

  it('reads both shapes of /v1/mcp/server/health', () => {
    expect(healthEntriesOf(HEALTH_177)).toEqual([
      { id: 'id-pg', status: 'healthy' },
      { id: 'id-fs', status: 'healthy' },
      { id: 'id-broken', status: 'healthy' },
    ]);
    expect(healthEntriesOf(HEALTH_1109)).toHaveLength(4);
    expect(healthEntriesOf(null)).toEqual([]);
    expect(healthEntriesOf({ servers: 'x' })).toEqual([]);
  });

  it('1.77.1 calls a server that listed nothing healthy: a mismatch, named', () => {
    const h = compareGatewayHealth(serverNamesOf(LIST), healthEntriesOf(HEALTH_177), SEEN);
    expect(h).toEqual({
      mcp_postgres: { healthy: true, status: 'healthy', mismatch: false },
      mcp_filesystem: { healthy: true, status: 'healthy', mismatch: false },
      mcp_broken: { healthy: true, status: 'healthy', mismatch: true },
    });
    expect(describeMismatches(h)).toEqual(['mcp_broken: the gateway says healthy, the catalog showed it down']);
  });

  it('1.109.1 agrees; a server the catalog did not show has no mismatch; an unnamed id stays an id', () => {
    const h = compareGatewayHealth(serverNamesOf(LIST), healthEntriesOf(HEALTH_1109), SEEN);
    expect(h['mcp_broken']).toEqual({ healthy: false, status: 'unhealthy', mismatch: false });
    expect(h['id-unknown']).toEqual({ healthy: false, status: 'unknown' });
    expect(describeMismatches(h)).toEqual([]);
    // The reverse: unhealthy while it listed its tools.
    const r = compareGatewayHealth(serverNamesOf(LIST), [{ id: 'id-fs', status: 'unhealthy' }], SEEN);
    expect(describeMismatches(r)).toEqual(['mcp_filesystem: the gateway says unhealthy, the catalog showed it up']);
  });
});
