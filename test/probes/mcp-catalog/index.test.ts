import { describe, expect, it } from 'vitest';
import type { CatalogProbeDetails } from '../../../src/probes/mcp-catalog/details.js';
import { mcpCatalog } from '../../../src/probes/mcp-catalog/index.js';
import type { ResultOf } from '../../../src/probes/probe-type.js';
import type { ServerState } from '../../../src/probes/types.js';
import { noCatalog } from '../../support/catalog-details.js';

const spec = (more: Record<string, unknown> = {}) =>
  mcpCatalog.schema.parse({ name: 'c', type: 'mcp_catalog', target: 'lan', ...more });

function result(details: CatalogProbeDetails | undefined): ResultOf<CatalogProbeDetails> {
  return {
    probe: 'c',
    target: 'lan',
    outcome: 'expectation_failed',
    reason: 'r',
    success: false,
    trigger: 'schedule',
    startedAt: 0,
    durationMs: 1,
    phases: {},
    steps: [],
    details,
  };
}

const UP: ServerState = { up: true, tools: 2 };
const DOWN: ServerState = { up: false, tools: 0, reason: 'unreachable' };

describe('the mcp_catalog probe type', () => {
  it("its own headers are the probe's headers", () => {
    expect(mcpCatalog.ownHeaders(spec({ headers: { 'x-extra': 'v' } }))).toEqual({ 'x-extra': 'v' });
  });

  it('reads the catalog and keeps it between runs', () => {
    expect(mcpCatalog.readsCatalog).toBe(true);
  });

  it.each(['provokesAuthErrors', 'freshConnection', 'settle', 'crossCheck'])('has no %s', (part) => {
    expect(mcpCatalog).not.toHaveProperty(part);
  });

  describe('subject: what a failed run is about', () => {
    it.each<[string, Record<string, ServerState>, string[], string[]]>([
      ['the down servers first, the up ones as others', { fs: UP, db: DOWN, git: DOWN }, ['db', 'git'], ['fs']],
      ['every server up: them all (a missing tool, a changed catalog)', { fs: UP, git: UP }, ['fs', 'git'], []],
      ['every server down', { db: DOWN }, ['db'], []],
    ])('%s', (_what, servers, about, others) => {
      expect(mcpCatalog.subject(spec(), result(noCatalog({ servers })))).toEqual({
        servers: about,
        others,
        guard: false,
      });
    });

    it.each([
      ['no details', undefined],
      ['no server states', noCatalog()],
      ["the gateway's refusal", { status: 401 }],
    ])('%s: none (the servers asked for, by default)', (_what, d) => {
      expect(mcpCatalog.subject(spec({ servers: ['fs'] }), result(d))).toBeUndefined();
    });
  });
});
