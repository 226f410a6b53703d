import { describe, expect, it } from 'vitest';
import { DiscoveryRecorder } from '../../src/metrics/discovery-recorder.js';
import { samples, value } from '../support/exposition.js';
import { recorderOnTestMetrics } from '../support/runtime-config.js';

describe('DiscoveryRecorder', () => {
  it('declared: the change counters at 0, nothing else until a list or a read', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new DiscoveryRecorder(m));
    rec.declare('gw');
    const t = await text();
    expect(value(t, 'mcp_discovery_changes_total', { target: 'gw', change: 'added' })).toBe(0);
    expect(value(t, 'mcp_discovery_changes_total', { target: 'gw', change: 'removed' })).toBe(0);
    expect(samples(t, 'mcp_discovery_success')).toEqual([]);
    expect(samples(t, 'mcp_discovery_server_info')).toEqual([]);
  });

  it('a list: its count and one info series per server; a server gone loses its series; changes counted', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new DiscoveryRecorder(m));
    rec.declare('gw');
    rec.attempt('gw', true);
    rec.servers('gw', ['ev', 'fs']);
    let t = await text();
    expect(value(t, 'mcp_discovery_success', { target: 'gw' })).toBe(1);
    expect(value(t, 'mcp_discovery_servers', { target: 'gw' })).toBe(2);
    expect(samples(t, 'mcp_discovery_server_info').map((s) => [s.labels.server, s.value])).toEqual([
      ['ev', 1],
      ['fs', 1],
    ]);
    rec.servers('gw', ['fs', 'pg']);
    rec.changed('gw', { added: ['pg'], removed: ['ev'] });
    rec.attempt('gw', false);
    t = await text();
    expect(samples(t, 'mcp_discovery_server_info').map((s) => s.labels.server)).toEqual(['fs', 'pg']);
    expect(value(t, 'mcp_discovery_changes_total', { target: 'gw', change: 'added' })).toBe(1);
    expect(value(t, 'mcp_discovery_changes_total', { target: 'gw', change: 'removed' })).toBe(1);
    expect(value(t, 'mcp_discovery_success', { target: 'gw' })).toBe(0);
  });

  it('a target no longer discovered: every series of it goes, the other target keeps its own', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new DiscoveryRecorder(m));
    for (const target of ['gw', 'other']) {
      rec.declare(target);
      rec.attempt(target, true);
      rec.servers(target, ['fs']);
    }
    rec.forget('gw');
    const t = await text();
    for (const family of [
      'mcp_discovery_success',
      'mcp_discovery_servers',
      'mcp_discovery_server_info',
      'mcp_discovery_changes_total',
    ])
      expect(new Set(samples(t, family).map((s) => s.labels.target)), family).toEqual(new Set(['other']));
  });
});
