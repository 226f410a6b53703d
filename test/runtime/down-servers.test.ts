import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/probes/table.js';
import { DownServers } from '../../src/runtime/down-servers.js';

const catalog = (probe: string, servers: Record<string, boolean>): ProbeResult =>
  ({
    probe,
    type: 'mcp_catalog',
    target: 'gw',
    details: {
      catalog: [],
      servers: Object.fromEntries(
        Object.entries(servers).map(([n, up]) => [n, up ? { up, tools: 1 } : { up, tools: 0, reason: 'failed' }]),
      ),
    },
  }) as unknown as ProbeResult;

describe('DownServers', () => {
  it("a server is down while some catalog probe's last run found it down", () => {
    const d = new DownServers();
    d.result(catalog('a', { ev: false, fs: true }));
    d.result(catalog('b', { ev: false }));
    expect([d.isDown('ev'), d.isDown('fs'), d.isDown('other')]).toStrictEqual([true, false, false]);
    d.result(catalog('a', { ev: true, fs: true }));
    expect(d.isDown('ev')).toBe(true); // b still finds it down
    d.result(catalog('b', { ev: true }));
    expect(d.isDown('ev')).toBe(false);
  });

  it('a run that could not tell (no per-server state), and other probe types, change nothing', () => {
    const d = new DownServers();
    d.result(catalog('a', { ev: false }));
    d.result({ probe: 'a', type: 'mcp_catalog', target: 'gw' } as unknown as ProbeResult);
    d.result({ probe: 'h', type: 'http', target: 'gw' } as unknown as ProbeResult);
    expect(d.isDown('ev')).toBe(true);
  });

  it('a probe the config no longer has is forgotten', () => {
    const d = new DownServers();
    d.result(catalog('a', { ev: false }));
    d.retain(new Set(['b']));
    expect(d.isDown('ev')).toBe(false);
  });
});
