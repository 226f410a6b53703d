import { describe, expect, it } from 'vitest';
import type { CatalogDiff } from '../../../src/probes/types.js';
import { canonicalJson, checkCatalog, diffCatalogs, snapshotCatalog, toolsPerServer } from '../../../src/probes/verdicts/catalog.js';

// The catalog as mcp_catalog sees it: fingerprint and diff, tools per server, the probe's expectations.

describe('catalog fingerprint', () => {
  const schema = { type: 'object', properties: { path: { type: 'string' }, depth: { type: 'number', default: 1 } }, required: ['path'] };
  const reordered = { required: ['path'], properties: { depth: { default: 1, type: 'number' }, path: { type: 'string' } }, type: 'object' };

  it('canonical JSON sorts keys at every level and keeps array order', () => {
    expect(canonicalJson(reordered)).toBe(canonicalJson(schema));
    expect(canonicalJson({ b: [2, 1], a: { d: 1, c: undefined } })).toBe('{"a":{"d":1},"b":[2,1]}');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('is stable under key order and tool order, and changes with a name or a schema', () => {
    const a = snapshotCatalog([{ name: 'fs-read', inputSchema: schema }, { name: 'fs-list' }]);
    const b = snapshotCatalog([{ name: 'fs-list' }, { name: 'fs-read', inputSchema: reordered }]);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(snapshotCatalog([{ name: 'fs-read', inputSchema: schema }, { name: 'fs-ls' }]).fingerprint).not.toBe(a.fingerprint);
    expect(snapshotCatalog([{ name: 'fs-read', inputSchema: { ...schema, required: [] } }, { name: 'fs-list' }]).fingerprint).not.toBe(a.fingerprint);
  });

  it('the first catalog is no change; then added, removed and changed schemas are named, sorted', () => {
    const before = snapshotCatalog([{ name: 'x-a' }, { name: 'x-b', inputSchema: schema }, { name: 'x-c' }]);
    expect(diffCatalogs(undefined, before)).toEqual({ changed: false, added: [], removed: [], changedSchemas: [] });
    expect(diffCatalogs(before, snapshotCatalog([{ name: 'x-c' }, { name: 'x-b', inputSchema: reordered }, { name: 'x-a' }])).changed).toBe(false);
    const after = snapshotCatalog([{ name: 'x-b', inputSchema: { type: 'object' } }, { name: 'x-c' }, { name: 'x-z' }, { name: 'x-d' }]);
    expect(diffCatalogs(before, after)).toEqual({ changed: true, added: ['x-d', 'x-z'], removed: ['x-a'], changedSchemas: ['x-b'] });
  });
});

describe('toolsPerServer', () => {
  it('counts by {server}- prefix; the longest requested alias wins; requested servers without tools count 0', () => {
    const names = ['mcp_fs-read_file', 'mcp_fs-write_file', 'my-db-query', 'my-db-list', 'my-ping', 'plain'];
    expect(toolsPerServer(names, ['mcp_fs', 'my-db', 'mcp_gone'])).toEqual({ mcp_fs: 2, 'my-db': 2, mcp_gone: 0, my: 1, '(none)': 1 });
    expect(toolsPerServer(names, [])).toEqual({ mcp_fs: 2, my: 3, '(none)': 1 });
  });
});

describe('checkCatalog', () => {
  const spec = (expect: { tools?: string[]; minTools?: number; serversPresent?: boolean } = {}, servers = ['mcp_fs', 'mcp_db']) => ({
    servers,
    expect: { tools: expect.tools ?? [], serversPresent: expect.serversPresent ?? true, ...(expect.minTools !== undefined && { minTools: expect.minTools }) },
  });
  const noChange: CatalogDiff = { changed: false, added: [], removed: [], changedSchemas: [] };
  const seen = (names: string[], outcomes = {}, diff = noChange) => ({ names, perServer: toolsPerServer(names, ['mcp_fs', 'mcp_db']), outcomes, diff });

  it.each([
    ['all servers list tools', spec(), seen(['mcp_db-query', 'mcp_fs-read']), 'ok', '2 tools (mcp_fs: 1, mcp_db: 1)'],
    ['a change is noted', spec(), seen(['mcp_db-query', 'mcp_fs-read'], {}, { changed: true, added: ['mcp_fs-read'], removed: [], changedSchemas: [] }), 'ok', '2 tools (mcp_fs: 1, mcp_db: 1); catalog changed (+1 -0 ~0)'],
    ['an expected tool missing', spec({ tools: ['mcp_fs-write'] }), seen(['mcp_db-query', 'mcp_fs-read']), 'expectation_failed', 'expected tool missing: mcp_fs-write — 2 tools (mcp_fs: 1, mcp_db: 1)'],
    [
      'a server without tools, the gateway silent (1.77)',
      spec(),
      seen(['mcp_fs-read']),
      'expectation_failed',
      'server mcp_db listed no tools (LiteLLM lists an upstream that fails as no tools, and 1.77 ignores a server name it does not know: check the name, and that the server starts) — 1 tools (mcp_fs: 1, mcp_db: 0)',
    ],
    [
      'a server without tools, the gateway telling why (1.108+)',
      spec(),
      seen(['mcp_fs-read'], { mcp_db: { status: 'unreachable' } }),
      'expectation_failed',
      'server mcp_db (unreachable) listed no tools: the gateway could not list them, check that the upstream runs — 1 tools (mcp_fs: 1, mcp_db: 0)',
    ],
    ['serversPresent: false tolerates it', spec({ serversPresent: false }), seen(['mcp_fs-read']), 'ok', '1 tools (mcp_fs: 1, mcp_db: 0)'],
    ['fewer than minTools', spec({ minTools: 3 }), seen(['mcp_db-query', 'mcp_fs-read']), 'expectation_failed', '2 tools, expected at least 3 — 2 tools (mcp_fs: 1, mcp_db: 1)'],
  ])('%s', (_name, s, c, outcome, reason) => {
    expect(checkCatalog(s, c)).toEqual({ outcome, reason });
  });
});
