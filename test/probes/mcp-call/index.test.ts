import { describe, expect, it } from 'vitest';
import { mcpCall } from '../../../src/probes/mcp-call/index.js';

const spec = (more: Record<string, unknown> = {}) =>
  mcpCall.schema.parse({ name: 'k', type: 'mcp_call', target: 'lan', tool: 'fs-read', ...more });

describe('the mcp_call probe type', () => {
  it("its own headers are the probe's headers", () => {
    expect(mcpCall.ownHeaders(spec({ headers: { 'x-extra': 'v' } }))).toEqual({ 'x-extra': 'v' });
  });

  it.each(['provokesAuthErrors', 'freshConnection', 'readsCatalog', 'series', 'settle', 'crossCheck'])(
    'has no %s',
    (part) => {
      expect(mcpCall).not.toHaveProperty(part);
    },
  );

  describe("subject: the tool's server; the other servers asked for are context", () => {
    it.each<[string, string, string[], string[], string[]]>([
      ['one of the servers asked for', 'fs-read', ['fs', 'db'], ['fs'], ['db']],
      ['the longest alias that prefixes the tool', 'my-fs-read', ['my', 'my-fs'], ['my-fs'], ['my']],
      ['no servers asked for: the prefix', 'git-log', [], ['git'], []],
      ['a tool of no server asked for', 'git-log', ['fs'], ['git'], ['fs']],
      ['a tool without a prefix', 'read', ['fs'], ['(none)'], ['fs']],
    ])('%s', (_what, tool, servers, about, others) => {
      expect(mcpCall.subject(spec({ tool, servers }))).toEqual({ servers: about, others, guard: false });
    });
  });
});
