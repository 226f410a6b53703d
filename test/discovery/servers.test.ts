import { describe, expect, it } from 'vitest';
import { afterRead, diffLists, serversOfTools, type ListState } from '../../src/discovery/servers.js';
import type { ServerOutcomes } from '../../src/probes/types.js';

describe('the servers of an unfiltered tools/list', () => {
  it.each([
    {
      what: 'server outcomes name every server, a failed one too',
      outcomes: { fs: { status: 'ok', tool_count: 3 }, pg: { status: 'unreachable' } },
      tools: ['fs-read'],
      want: { source: 'server_outcomes', servers: ['fs', 'pg'] },
    },
    {
      what: 'no outcomes: the {server}- prefixes of the tools (the first -)',
      outcomes: undefined,
      tools: ['mcp_fs-read_file', 'mcp_fs-list', 'mcp_everything-echo', 'plain_tool'],
      want: { source: 'tool_prefixes', servers: ['mcp_everything', 'mcp_fs'] },
    },
    { what: 'empty outcomes and no prefixed tool: nothing', outcomes: {}, tools: ['get_health'], want: undefined },
  ])('$what', ({ outcomes, tools, want }) => {
    expect(serversOfTools(outcomes as ServerOutcomes | undefined, tools)).toEqual(want);
  });
});

describe('what a read changes', () => {
  const read = (servers: string[]) => ({ ok: true as const, source: 'server_list' as const, servers });

  it('the first list is known, not counted as a change', () => {
    const r = afterRead({}, read(['b', 'a', 'a']), 1000);
    expect(r.changed).toBe(true);
    expect(r.change).toBeUndefined();
    expect(r.state.known).toEqual({ servers: ['a', 'b'], source: 'server_list', at: 1000 });
    expect(r.state.last).toEqual({ at: 1000, ok: true, source: 'server_list' });
  });

  it('a list with servers added and removed: changed, and what came and went', () => {
    const before: ListState = { known: { servers: ['a', 'b'], source: 'server_list', at: 1, restored: true } };
    const r = afterRead(before, read(['b', 'c']), 2000);
    expect(r.changed).toBe(true);
    expect(r.change).toEqual({ added: ['c'], removed: ['a'] });
    // Read from the gateway now: no longer the list kept in stateDir.
    expect(r.state.known?.restored).toBeUndefined();
  });

  it('the same list: nothing changed (another source is no change)', () => {
    const before: ListState = { known: { servers: ['a'], source: 'server_outcomes', at: 1 } };
    const r = afterRead(before, read(['a']), 2);
    expect(r.changed).toBe(false);
    expect(r.change).toBeUndefined();
    expect(r.state.known?.source).toBe('server_list');
  });

  it('a failed read keeps the list in use, and says why', () => {
    const before: ListState = { known: { servers: ['a', 'b'], source: 'server_list', at: 1 } };
    const r = afterRead(before, { ok: false, error: 'connect ECONNREFUSED' }, 5);
    expect(r.changed).toBe(false);
    expect(r.state.known).toBe(before.known);
    expect(r.state.last).toEqual({ at: 5, ok: false, error: 'connect ECONNREFUSED' });
  });

  it('an empty list read is a list: every server removed', () => {
    const r = afterRead({ known: { servers: ['a'], source: 'server_list', at: 1 } }, read([]), 2);
    expect(r.change).toEqual({ added: [], removed: ['a'] });
  });

  it('diffLists', () => {
    expect(diffLists(['a', 'b'], ['b', 'c', 'd'])).toEqual({ added: ['c', 'd'], removed: ['a'] });
    expect(diffLists([], [])).toEqual({ added: [], removed: [] });
  });
});
