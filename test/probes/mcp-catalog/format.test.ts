import { describe, expect, it } from 'vitest';
import type { CatalogDetails } from '../../../src/probes/mcp-catalog/details.js';
import { format } from '../../../src/probes/mcp-catalog/format.js';
import { CHANGED_CATALOG, noCatalog } from '../../support/catalog-details.js';

describe('mcp_catalog format', () => {
  it('counts, fingerprint, what changed, expected tools, tool names (as `mcpwatch probe` shows them)', () => {
    expect(format(CHANGED_CATALOG)).toEqual([
      'catalog:  3 tools (a: 2, b: 1), fingerprint 0123456789abcdef',
      'changed:  since the previous run of this probe',
      '  added:   b-new',
      '  removed: b-old',
      'expected: a-x present, a-y MISSING',
      'tools:    a-x, a-z, b-new',
    ]);
  });

  it('an unchanged catalog: no change lines; nothing expected: no expected line; no names: no tools line', () => {
    const d: CatalogDetails = {
      catalog: { ...CHANGED_CATALOG.catalog, changed: false, added: [], removed: [] },
      expectedTools: {},
    };
    expect(format(d)).toEqual(['catalog:  3 tools (a: 2, b: 1), fingerprint 0123456789abcdef']);
  });

  it('a changed input schema is its own line', () => {
    const d: CatalogDetails = {
      catalog: { ...CHANGED_CATALOG.catalog, added: [], removed: [], changedSchemas: ['a-x', 'a-z'] },
      expectedTools: {},
    };
    expect(format(d)).toEqual([
      'catalog:  3 tools (a: 2, b: 1), fingerprint 0123456789abcdef',
      'changed:  since the previous run of this probe',
      '  input schema changed: a-x, a-z',
    ]);
  });

  it('what changed, kind by kind, descriptions and annotations too', () => {
    const d: CatalogDetails = {
      catalog: {
        ...CHANGED_CATALOG.catalog,
        changes: { 'b-new': ['added'], 'b-old': ['removed'], 'a-x': ['description', 'annotations'] },
      },
      expectedTools: {},
    };
    expect(format(d)).toEqual([
      'catalog:  3 tools (a: 2, b: 1), fingerprint 0123456789abcdef',
      'changed:  since the previous run of this probe',
      '  added:   b-new',
      '  removed: b-old',
      '  description changed: a-x',
      '  annotations changed: a-x',
    ]);
  });

  it('the pin, as pinned, differing, or unreadable; tool names clients refuse', () => {
    const base = { catalog: { ...CHANGED_CATALOG.catalog, changed: false }, expectedTools: {} };
    const since = '2026-12-05T10:00:00.000Z';
    expect(format({ ...base, pinned: { since, how: 'first_catalog', drift: false, changes: {} } })).toContain(
      `pinned:   since ${since} (the first catalog seen), the catalog is the pinned one`,
    );
    expect(
      format({ ...base, pinned: { since, how: 'accepted', drift: true, changes: { 'a-x': ['description'] } } })!.slice(
        1,
      ),
    ).toEqual([`pinned:   since ${since} (accepted), the catalog DIFFERS:`, '  a-x: description']);
    expect(format({ ...base, pinned: { error: 'x.json is not a JSON object' } })).toContain(
      'pinned:   cannot be used: x.json is not a JSON object',
    );
    const long = `a-${'y'.repeat(70)}`;
    expect(format({ ...base, toolNameProblems: { [long]: ['too_long'] } })).toContain(
      `name:     ${long} (72 characters): too_long`,
    );
  });

  it('no catalog (tools/list failed)', () => {
    expect(format(noCatalog())).toEqual(['catalog:  0 tools, no catalog (tools/list failed)']);
  });

  it('each server up or down, with what the gateway said when it adds to the reason; its outcomes are not repeated', () => {
    const d: CatalogDetails = {
      ...CHANGED_CATALOG,
      catalog: { ...CHANGED_CATALOG.catalog, changed: false },
      expectedTools: {},
      toolNames: undefined,
      servers: {
        a: { up: true, tools: 2 },
        b: { up: false, tools: 0, reason: 'unreachable', said: 'status unreachable (HTTP 502)' },
        c: { up: false, tools: 0, reason: 'timeout', said: 'timeout' },
        d: { up: false, tools: 0, reason: 'missing' },
      },
      serverOutcomes: { b: { status: 'unreachable', http_status: 502 } },
    };
    expect(format(d)).toEqual([
      'catalog:  3 tools (a: 2, b: 1), fingerprint 0123456789abcdef',
      'server:   a up, 2 tools',
      'server:   b DOWN: unreachable (the gateway said: status unreachable (HTTP 502))',
      'server:   c DOWN: timeout',
      'server:   d DOWN: missing',
    ]);
  });

  it('a long tool list wraps under its first name', () => {
    const toolNames = Array.from({ length: 12 }, (_, i) => `server-tool_number_${i}`);
    const lines = format({ ...CHANGED_CATALOG, expectedTools: {}, toolNames })!;
    const tools = lines.slice(lines.findIndex((l) => l.startsWith('tools:')));
    expect(tools.length).toBeGreaterThan(1);
    for (const l of tools.slice(1)) expect(l).toMatch(/^ {10}server-tool_number_/);
  });

  it('what has no line of its own (the gateway health) is shown as JSON', () => {
    const d: CatalogDetails = {
      ...CHANGED_CATALOG,
      expectedTools: {},
      toolNames: undefined,
      catalog: { ...CHANGED_CATALOG.catalog, changed: false },
      gatewayHealth: { servers: {}, error: 'HTTP 404' },
    };
    expect(format(d)).toEqual([
      'catalog:  3 tools (a: 2, b: 1), fingerprint 0123456789abcdef',
      'details:  {"gatewayHealth":{"servers":{},"error":"HTTP 404"}}',
    ]);
  });

  it('what was spoken: the protocol, what server/discover said and the cache hints of a modern catalog', () => {
    const d: CatalogDetails = {
      ...CHANGED_CATALOG,
      expectedTools: {},
      toolNames: undefined,
      catalog: { ...CHANGED_CATALOG.catalog, changed: false },
      protocol: {
        era: 'modern',
        version: '2026-07-28',
        via: 'discover',
        changedFrom: { era: 'legacy', version: '2025-11-25' },
      },
      discover: {
        server: { name: 'gw', version: '2.4.0' },
        supportedVersions: ['2026-07-28'],
        capabilities: { tools: {} },
      },
      listCache: { ttlMs: 60000, cacheScope: 'public' },
    };
    expect(format(d)).toEqual([
      'protocol: modern 2026-07-28 (via discover); CHANGED from legacy 2025-11-25',
      'discover: gw 2.4.0, supports 2026-07-28; capabilities: tools',
      'cache:    tools/list ttl 60000 ms, public (mcpwatch lists afresh)',
      'catalog:  3 tools (a: 2, b: 1), fingerprint 0123456789abcdef',
    ]);
  });

  it("the gateway's refusal has no lines of its own", () => {
    expect(format({ status: 401, body: 'Unauthorized', wwwAuthenticate: 'Bearer' })).toBeUndefined();
  });
});
