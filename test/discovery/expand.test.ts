import { describe, expect, it } from 'vitest';
import { forShard } from '../../src/config/shard.js';
import { discoveredName, discoveredProbes, expandTarget, withDiscovered } from '../../src/discovery/expand.js';
import { configOf } from '../support/runtime-config.js';

const CONFIG = `
targets:
  gw:
    url: http://127.0.0.1:9
    apiKey: sk-test-1234567890abcdef
    discover:
      exclude: [mcpwatch]
      probes:
        - { type: mcp_catalog, every: 1m, timeout: 30s, gatewayHealth: true }
        - { type: auth_guard, every: 10m, validKey: false }
  other:
    url: http://127.0.0.1:8
probes:
  - { name: fs-catalog, type: mcp_catalog, target: gw, servers: [fs, db] }
  - { name: other-catalog, type: mcp_catalog, target: other, servers: [ev] }
  - { name: other-http, type: http, target: gw, path: /health }
`;

describe('discover templates expanded over a server list', () => {
  const config = configOf(CONFIG);

  it('a probe per template and server, named {target}/{server}/{type}, asking for that server alone', () => {
    const probes = discoveredProbes(config, new Map([['gw', ['ev']]]));
    expect(probes.map((p) => p.name)).toEqual(['gw/ev/mcp_catalog', 'gw/ev/auth_guard']);
    const [catalog, guard] = probes;
    expect(catalog).toMatchObject({
      type: 'mcp_catalog',
      target: 'gw',
      servers: ['ev'],
      gatewayHealth: true,
      scheduleSpec: { kind: 'every', ms: 60_000 },
      timeoutMs: 30_000,
    });
    // The type's own settling applied to the template (the guard's checks that apply to the target).
    expect(guard).toMatchObject({ type: 'auth_guard', servers: ['ev'], validKey: false, timeoutMs: 10_000 });
    expect(discoveredName('gw', 'ev', 'auth_guard')).toBe('gw/ev/auth_guard');
  });

  it('a configured probe of the target and type that asks for the server wins; excluded servers get none', () => {
    const servers = expandTarget(config, 'gw', ['db', 'ev', 'fs', 'mcpwatch']);
    expect(servers.map((s) => [s.server, s.excluded, s.probes.map((p) => p.name), s.configured] as const)).toEqual([
      ['db', false, ['gw/db/auth_guard'], { mcp_catalog: 'fs-catalog' }],
      ['ev', false, ['gw/ev/mcp_catalog', 'gw/ev/auth_guard'], {}],
      ['fs', false, ['gw/fs/auth_guard'], { mcp_catalog: 'fs-catalog' }],
      ['mcpwatch', true, [], {}],
    ]);
  });

  it("another target's probe for a server of the same name does not count", () => {
    const names = discoveredProbes(configOf(CONFIG), new Map([['gw', ['ev']]])).map((p) => p.name);
    expect(names).toContain('gw/ev/mcp_catalog');
  });

  it('the config with its discovered probes after the configured ones; none known: the config itself', () => {
    const none = withDiscovered(config, new Map());
    expect(none).toBe(config);
    const merged = withDiscovered(
      config,
      new Map([
        ['gw', ['ev']],
        ['other', ['x']],
      ]),
    );
    expect(merged.probes.map((p) => p.name)).toEqual([
      'fs-catalog',
      'other-catalog',
      'other-http',
      'gw/ev/mcp_catalog',
      'gw/ev/auth_guard',
    ]);
    // A target without a discover block makes nothing of a list.
    expect(merged.probes.some((p) => p.target === 'other' && p.name.includes('/'))).toBe(false);
  });

  it('the same lists make the same probes (a reload plan compares their definitions)', () => {
    const a = discoveredProbes(config, new Map([['gw', ['ev', 'x']]]));
    const b = discoveredProbes(configOf(CONFIG), new Map([['gw', ['ev', 'x']]]));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('discovered probes obey shards as configured ones do: each in exactly one shard, by its name', () => {
    const servers = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const of = (index: number) =>
      forShard(withDiscovered({ ...config, shard: { index, total: 3 } }, new Map([['gw', servers]])));
    const shards = [0, 1, 2].map(of);
    const discovered = (i: number) => shards[i]!.config.probes.filter((p) => p.name.includes('/')).map((p) => p.name);
    const all = [0, 1, 2].flatMap(discovered);
    expect(all.sort()).toEqual(
      discoveredProbes(config, new Map([['gw', servers]]))
        .map((p) => p.name)
        .sort(),
    );
    for (const i of [0, 1, 2]) expect(discovered(i).length).toBeGreaterThan(0);
    for (const name of all) expect(shards[0]!.shardOf(name)).toBeDefined();
  });
});
