// A pure unit test of what the catalog's series definition writes: the ports are fakes that keep each series'
// value in a map (test/support/fake-series-ports.ts; the metrics layer, prom-client, is not involved).
import { describe, expect, it } from 'vitest';
import type { CatalogDetails } from '../../../src/probes/mcp-catalog/details.js';
import { series } from '../../../src/probes/mcp-catalog/series.js';
import { seriesUnderTest } from '../../support/fake-series-ports.js';

const LABELS = { probe: 'cat' };

/** A catalog run's details: the tools per server, and what else the case needs. */
function details(toolsPerServer: Record<string, number>, more: Partial<CatalogDetails> = {}): CatalogDetails {
  const tools = Object.values(toolsPerServer).reduce((a, b) => a + b, 0);
  return {
    catalog: {
      tools,
      toolsPerServer,
      fingerprint: 'f',
      changed: false,
      added: [],
      removed: [],
      changedSchemas: [],
      changes: {},
    },
    expectedTools: {},
    ...more,
  };
}

describe('mcp_catalog series', () => {
  const { record, values, declare, forget, itWritesNothingWithoutDetails } = seriesUnderTest(series, LABELS);

  it('a new probe: its changes counter starts at 0 for every kind', () => {
    declare();
    expect(values()).toEqual({
      'catalogChanges{probe=cat,change=added}': 0,
      'catalogChanges{probe=cat,change=annotations}': 0,
      'catalogChanges{probe=cat,change=description}': 0,
      'catalogChanges{probe=cat,change=input_schema}': 0,
      'catalogChanges{probe=cat,change=output_schema}': 0,
      'catalogChanges{probe=cat,change=removed}': 0,
    });
  });

  it('tools per server, each server up or down, expected tools present or missing', () => {
    record(
      details(
        { fs: 2, db: 0 },
        {
          expectedTools: { 'fs-read': true, 'db-query': false },
          servers: { fs: { up: true, tools: 2 }, db: { up: false, tools: 0, reason: 'unreachable' } },
        },
      ),
    );
    expect(values()).toEqual({
      'catalogServerFailures{probe=cat,server=db,reason=unreachable}': 1,
      'catalogServerUp{probe=cat,server=db}': 0,
      'catalogServerUp{probe=cat,server=fs}': 1,
      'catalogToolPresent{probe=cat,tool=db-query}': 0,
      'catalogToolPresent{probe=cat,tool=fs-read}': 1,
      'catalogTools{probe=cat,server=db}': 0,
      'catalogTools{probe=cat,server=fs}': 2,
    });
  });

  it('a server that disappears loses its series; a tool no longer expected loses its own', () => {
    record(
      details(
        { fs: 2, git: 1 },
        {
          expectedTools: { 'fs-read': true, 'git-log': true },
          servers: { fs: { up: true, tools: 2 }, git: { up: true, tools: 1 } },
        },
      ),
    );
    record(details({ fs: 2 }, { expectedTools: { 'fs-read': true }, servers: { fs: { up: true, tools: 2 } } }));
    expect(values()).toEqual({
      'catalogServerUp{probe=cat,server=fs}': 1,
      'catalogToolPresent{probe=cat,tool=fs-read}': 1,
      'catalogTools{probe=cat,server=fs}': 2,
    });
  });

  it('details without server states leave the last ones', () => {
    record(details({ fs: 1 }, { servers: { fs: { up: true, tools: 1 } } }));
    record(details({ fs: 1 }));
    expect(values()).toMatchObject({ 'catalogServerUp{probe=cat,server=fs}': 1 });
  });

  it('failure counters increase per server and reason, and stay when the server comes back', () => {
    const down = (reason: 'timeout' | 'unreachable') =>
      details({ db: 0 }, { servers: { db: { up: false, tools: 0, reason } } });
    record(down('timeout'));
    record(down('timeout'));
    record(down('unreachable'));
    record(details({ db: 1 }, { servers: { db: { up: true, tools: 1 } } }));
    expect(values()).toMatchObject({
      'catalogServerFailures{probe=cat,server=db,reason=timeout}': 2,
      'catalogServerFailures{probe=cat,server=db,reason=unreachable}': 1,
      'catalogServerUp{probe=cat,server=db}': 1,
    });
  });

  it('a changed catalog counts once per run and kind, however many tools changed so', () => {
    declare();
    const changed = details({ fs: 3 });
    Object.assign(changed.catalog, {
      changed: true,
      added: ['fs-a', 'fs-b'],
      changes: { 'fs-a': ['added'], 'fs-b': ['added'], 'fs-read': ['description', 'annotations'] },
    });
    record(changed);
    record(details({ fs: 3 }));
    record(changed);
    expect(values()).toMatchObject({
      'catalogChanges{probe=cat,change=added}': 2,
      'catalogChanges{probe=cat,change=description}': 2,
      'catalogChanges{probe=cat,change=annotations}': 2,
      'catalogChanges{probe=cat,change=removed}': 0,
      'catalogChanges{probe=cat,change=input_schema}': 0,
    });
  });

  it('a diff with only its lists (made by hand) counts by them', () => {
    const changed = details({ fs: 1 });
    Object.assign(changed.catalog, { changed: true, removed: ['fs-x'], changedSchemas: ['fs-y'] });
    delete changed.catalog.changes;
    record(changed);
    expect(values()).toMatchObject({
      'catalogChanges{probe=cat,change=removed}': 1,
      'catalogChanges{probe=cat,change=input_schema}': 1,
    });
  });

  it('tool names clients refuse: a gauge per problem, 0 when none; a run that listed nothing leaves them', () => {
    const long = 'x'.repeat(70);
    record(
      details(
        { fs: 2 },
        { toolNames: [long, 'a b'], toolNameProblems: { [long]: ['too_long'], 'a b': ['invalid_chars'] } },
      ),
    );
    expect(values()).toMatchObject({
      'toolNameProblems{probe=cat,problem=too_long}': 1,
      'toolNameProblems{probe=cat,problem=invalid_chars}': 1,
    });
    record(details({ fs: 0 }));
    expect(values()).toMatchObject({ 'toolNameProblems{probe=cat,problem=too_long}': 1 });
    record(details({ fs: 1 }, { toolNames: ['fs-read'] }));
    expect(values()).toMatchObject({
      'toolNameProblems{probe=cat,problem=too_long}': 0,
      'toolNameProblems{probe=cat,problem=invalid_chars}': 0,
    });
  });

  it('the pinned drift: 1 while the catalog differs, 0 once accepted; a pin that cannot be read leaves it', () => {
    const pinned = (drift: boolean): CatalogDetails['pinned'] => ({
      since: '2026-12-05T10:00:00.000Z',
      how: 'first_catalog',
      drift,
      changes: drift ? { 'fs-read': ['description'] } : {},
    });
    const run = (p: CatalogDetails['pinned']) =>
      details({ fs: 1 }, { toolNames: ['fs-read'], ...(p && { pinned: p }) });
    record(run(pinned(true)));
    expect(values()['pinnedDrift{probe=cat}']).toBe(1);
    record(run({ error: 'unreadable' }));
    expect(values()['pinnedDrift{probe=cat}']).toBe(1);
    record(details({ fs: 0 }));
    expect(values()['pinnedDrift{probe=cat}']).toBe(1);
    record(run(pinned(false)));
    expect(values()['pinnedDrift{probe=cat}']).toBe(0);
    // No pin in the result (not pinned any more): no series.
    record(run(undefined));
    expect(values()).not.toHaveProperty(['pinnedDrift{probe=cat}']);
  });

  describe("the gateway's own health", () => {
    const health = (servers: NonNullable<CatalogDetails['gatewayHealth']>['servers'], error?: string) =>
      details({ fs: 1 }, { gatewayHealth: { servers, ...(error ? { error } : {}) } });
    const HEALTH_SERIES = {
      'gatewayHealthMismatch{probe=cat,server=db}': 1,
      'gatewayServerHealthy{probe=cat,server=db}': 1,
      'gatewayServerHealthy{probe=cat,server=fs}': 0,
    };

    it('healthy per server, and the mismatch where the catalog showed the server', () => {
      record(
        health({
          fs: { healthy: false, status: 'unhealthy' },
          db: { healthy: true, status: 'healthy', mismatch: true },
        }),
      );
      expect(values()).toMatchObject(HEALTH_SERIES);
      expect(values()).not.toHaveProperty(['gatewayHealthMismatch{probe=cat,server=fs}']);
    });

    it.each([
      ['a health check that could not be read', health({}, 'GET /v1/mcp/server/health: 500')],
      ['a run without a health check', details({ fs: 1 })],
    ])('%s leaves the last values', (_what, d) => {
      record(
        health({
          fs: { healthy: false, status: 'unhealthy' },
          db: { healthy: true, status: 'healthy', mismatch: true },
        }),
      );
      record(d);
      expect(values()).toMatchObject(HEALTH_SERIES);
    });

    it('a server no longer reported loses its series; a mismatch no longer told loses its own', () => {
      record(
        health({ fs: { healthy: true, status: 'healthy' }, db: { healthy: true, status: 'healthy', mismatch: true } }),
      );
      record(health({ db: { healthy: true, status: 'healthy' } }));
      const left = Object.keys(values()).filter((k) => k.startsWith('gateway'));
      expect(left).toEqual(['gatewayServerHealthy{probe=cat,server=db}']);
    });
  });

  itWritesNothingWithoutDetails({ status: 401, body: 'Unauthorized' });

  it('forget removes every series the probe set, counters included', () => {
    declare();
    record(
      details(
        { fs: 1, db: 0 },
        {
          expectedTools: { 'fs-read': true },
          servers: { fs: { up: true, tools: 1 }, db: { up: false, tools: 0, reason: 'timeout' } },
          gatewayHealth: { servers: { db: { healthy: true, status: 'healthy', mismatch: true } } },
          toolNames: ['fs-read'],
          pinned: { since: '2026-12-05T10:00:00.000Z', how: 'accepted', drift: false, changes: {} },
        },
      ),
    );
    // 6 change kinds, 2 name problems, the drift, and the 8 of tools, servers, expected tools and health.
    expect(Object.keys(values())).toHaveLength(17);
    forget();
    expect(values()).toEqual({});
  });
});
