// mcp_catalog details the tests of its format, its probe type and `mcpwatch probe` share.
import type { CatalogDetails } from '../../src/probes/mcp-catalog/details.js';

/** A catalog that changed since the previous run (one tool added, one removed), one expected tool missing. */
export const CHANGED_CATALOG: CatalogDetails = {
  catalog: {
    tools: 3,
    toolsPerServer: { a: 2, b: 1 },
    fingerprint: '0123456789abcdef',
    changed: true,
    added: ['b-new'],
    removed: ['b-old'],
    changedSchemas: [],
  },
  expectedTools: { 'a-x': true, 'a-y': false },
  toolNames: ['a-x', 'a-z', 'b-new'],
};

/** A run that read no catalog (tools/list failed): no tools, no fingerprint, nothing expected; `more` adds to it. */
export function noCatalog(more: Partial<CatalogDetails> = {}): CatalogDetails {
  return {
    catalog: {
      tools: 0,
      toolsPerServer: {},
      fingerprint: '',
      changed: false,
      added: [],
      removed: [],
      changedSchemas: [],
    },
    expectedTools: {},
    ...more,
  };
}
