import { describe, expect, it } from 'vitest';
import type { CatalogDiff } from '../../../src/probes/mcp-catalog/details.js';
import type { ServerOutcomes } from '../../../src/probes/types.js';
import { checkCatalog, serverStates, type CatalogObservation } from '../../../src/probes/mcp-catalog/verdict.js';
import { NO_PREFIX, serverOf, toolsPerServer } from '../../../src/probes/tool-servers.js';

// The catalog as mcp_catalog sees it: tools per server, the servers' states, the probe's expectations (the pin among
// them), the tool names clients refuse. Fingerprint and diff: diff.test.ts.

describe('toolsPerServer', () => {
  it('counts by {server}- prefix; the longest requested alias wins; requested servers without tools count 0', () => {
    const names = ['mcp_fs-read_file', 'mcp_fs-write_file', 'my-db-query', 'my-db-list', 'my-ping', 'plain'];
    expect(toolsPerServer(names, ['mcp_fs', 'my-db', 'mcp_gone'])).toEqual({
      mcp_fs: 2,
      'my-db': 2,
      mcp_gone: 0,
      my: 1,
      '(none)': 1,
    });
    expect(toolsPerServer(names, [])).toEqual({ mcp_fs: 2, my: 3, '(none)': 1 });
  });
});

describe('serverOf', () => {
  it('the longest requested alias that prefixes the tool, else the text before the first "-"', () => {
    expect(serverOf('my-db-query', ['my', 'my-db'])).toBe('my-db');
    expect(serverOf('my-db-query', ['my-db', 'my'])).toBe('my-db');
    expect(serverOf('mcp_postgres-execute_sql', [])).toBe('mcp_postgres');
    expect(serverOf('plain', ['plain'])).toBe(NO_PREFIX);
  });
});

describe('checkCatalog', () => {
  const spec = (
    expect: {
      tools?: string[];
      minTools?: number;
      serversPresent?: boolean;
      serversAbsent?: string[];
      toolsAbsent?: string[];
    } = {},
    servers = ['mcp_fs', 'mcp_db'],
    key?: string,
  ) => ({
    name: 'cat',
    servers,
    ...(key !== undefined && { key }),
    expect: {
      tools: expect.tools ?? [],
      serversPresent: expect.serversPresent ?? true,
      serversAbsent: expect.serversAbsent ?? [],
      toolsAbsent: expect.toolsAbsent ?? [],
      pinned: false,
      ...(expect.minTools !== undefined && { minTools: expect.minTools }),
    },
  });
  const noChange: CatalogDiff = { changed: false, added: [], removed: [], changedSchemas: [], changes: {} };
  const seen = (
    names: string[],
    outcomes: ServerOutcomes = {},
    diff = noChange,
    more: Pick<CatalogObservation, 'pinned' | 'nameProblems' | 'discovered'> = {},
  ): CatalogObservation => {
    const perServer = toolsPerServer(names, ['mcp_fs', 'mcp_db']);
    return { names, perServer, servers: serverStates(['mcp_fs', 'mcp_db'], perServer, outcomes), diff, ...more };
  };
  const both = ['mcp_db-query', 'mcp_fs-read'];
  const PIN = '2026-12-05T10:00:00.000Z';

  it.each([
    ['all servers list tools', spec(), seen(['mcp_db-query', 'mcp_fs-read']), 'ok', '2 tools (mcp_fs: 1, mcp_db: 1)'],
    [
      'a change is noted',
      spec(),
      seen(
        ['mcp_db-query', 'mcp_fs-read'],
        {},
        {
          changed: true,
          added: ['mcp_fs-read'],
          removed: [],
          changedSchemas: [],
          changes: { 'mcp_fs-read': ['added'] },
        },
      ),
      'ok',
      '2 tools (mcp_fs: 1, mcp_db: 1); catalog changed (+1 -0 ~0)',
    ],
    [
      'an expected tool missing',
      spec({ tools: ['mcp_fs-write'] }),
      seen(['mcp_db-query', 'mcp_fs-read']),
      'expectation_failed',
      'expected tool missing: mcp_fs-write — 2 tools (mcp_fs: 1, mcp_db: 1)',
    ],
    [
      'a server without tools, the gateway silent (1.77)',
      spec(),
      seen(['mcp_fs-read']),
      'expectation_failed',
      'server down: mcp_db: no_tools — listed no tools (LiteLLM 1.77 gives no reason: an upstream that fails to start lists nothing, and a name it does not know is ignored; check the name and that the server starts) — 1 tools (mcp_fs: 1, mcp_db: 0)',
    ],
    [
      'a server without tools, the gateway telling why (1.108+)',
      spec(),
      seen(['mcp_fs-read'], { mcp_db: { status: 'unreachable' } }),
      'expectation_failed',
      'server down: mcp_db: unreachable — the gateway cannot reach it — 1 tools (mcp_fs: 1, mcp_db: 0)',
    ],
    [
      'serversPresent: false tolerates it, and still names it',
      spec({ serversPresent: false }),
      seen(['mcp_fs-read']),
      'ok',
      '1 tools (mcp_fs: 1, mcp_db: 0); down: mcp_db: no_tools — listed no tools (LiteLLM 1.77 gives no reason: an upstream that fails to start lists nothing, and a name it does not know is ignored; check the name and that the server starts)',
    ],
    [
      'a server the gateway reports on, not in servers: named, not failing the run; its HTTP status kept',
      spec(),
      seen(['mcp_fs-read', 'mcp_db-query'], {
        mcp_fs: { status: 'ok', tool_count: 1 },
        mcp_db: { status: 'ok', tool_count: 1 },
        mcp_x: { status: 'forbidden', http_status: 403 },
      }),
      'ok',
      '2 tools (mcp_fs: 1, mcp_db: 1); down: mcp_x: forbidden (HTTP 403) — refused: the key may not use this server, or (1.109+) its stdio command is not allowed (LITELLM_MCP_STDIO_EXTRA_COMMANDS)',
    ],
    [
      'fewer than minTools',
      spec({ minTools: 3 }),
      seen(['mcp_db-query', 'mcp_fs-read']),
      'expectation_failed',
      '2 tools, expected at least 3 — 2 tools (mcp_fs: 1, mcp_db: 1)',
    ],
    [
      'tools changed in place count after ~, descriptions and annotations named apart',
      spec(),
      seen(
        both,
        {},
        {
          changed: true,
          added: [],
          removed: [],
          changedSchemas: ['mcp_db-query'],
          changes: { 'mcp_db-query': ['input_schema'], 'mcp_fs-read': ['description', 'annotations'] },
        },
      ),
      'ok',
      '2 tools (mcp_fs: 1, mcp_db: 1); catalog changed (+0 -0 ~2); description or annotations changed: mcp_fs-read (description, annotations)',
    ],
    [
      'pinned, the catalog as pinned: ok',
      spec(),
      seen(both, {}, noChange, { pinned: { since: PIN, how: 'first_catalog', drift: false, changes: {} } }),
      'ok',
      '2 tools (mcp_fs: 1, mcp_db: 1)',
    ],
    [
      'pinned, the catalog differs: expectation_failed naming each tool, and the command that accepts it',
      spec(),
      seen(both, {}, noChange, {
        pinned: {
          since: PIN,
          how: 'accepted',
          drift: true,
          changes: { 'mcp_fs-read': ['description'], 'mcp_fs-new': ['added'] },
        },
      }),
      'expectation_failed',
      `catalog differs from its pin of ${PIN}: mcp_fs-new (added), mcp_fs-read (description) — if the change is wanted: mcpwatch accept-catalog cat — 2 tools (mcp_fs: 1, mcp_db: 1)`,
    ],
    [
      "pinned, and the pin cannot be read: mcpwatch's own failure, named first",
      spec({ tools: ['mcp_fs-write'] }),
      seen(both, {}, noChange, { pinned: { error: 'data/catalogs/pinned/cat.json is not a JSON object' } }),
      'internal_error',
      'the pinned catalog cannot be used: data/catalogs/pinned/cat.json is not a JSON object — fix or remove the file, or accept: mcpwatch accept-catalog cat; expected tool missing: mcp_fs-write — 2 tools (mcp_fs: 1, mcp_db: 1)',
    ],
    [
      "a key's catalog without the servers and tools it must not see: ok",
      spec({ tools: ['mcp_fs-read'], serversAbsent: ['mcp_db'], toolsAbsent: ['mcp_db-query'] }, [], 'codex'),
      seen(['mcp_fs-read']),
      'ok',
      '1 tools (mcp_fs: 1, mcp_db: 0)',
    ],
    [
      'a key that sees a server and a tool it must not: expectation_failed naming both and the key',
      spec({ serversAbsent: ['mcp_db', 'mcp_gone'], toolsAbsent: ['mcp_db-query', 'mcp_db-drop'] }, [], 'codex'),
      seen(both),
      'expectation_failed',
      "key codex sees mcp_db, mcp_db-query, which it must not: the gateway's scoping leaks (check the key's allowed MCP servers) — 2 tools (mcp_fs: 1, mcp_db: 1)",
    ],
    [
      "a server the gateway reports working with tools counts as seen; without key, the target's key is named",
      spec({ serversAbsent: ['mcp_db'] }, []),
      seen(['mcp_fs-read'], { mcp_db: { status: 'ok', tool_count: 3 } }),
      'expectation_failed',
      "the target's key sees mcp_db, which it must not: the gateway shows them to this key (check its allowed MCP servers) — 1 tools (mcp_fs: 1, mcp_db: 0)",
    ],
    [
      'a server the gateway refuses (forbidden) is not seen, nor noted as down: the key must not see it',
      spec({ serversAbsent: ['mcp_db'] }, [], 'codex'),
      seen(['mcp_fs-read'], { mcp_db: { status: 'forbidden', http_status: 403 } }),
      'ok',
      '1 tools (mcp_fs: 1, mcp_db: 0)',
    ],
    [
      "a key's catalog on a discovering target: every server it sees is expected (a tool of it, or serversAbsent): ok",
      spec({ tools: ['mcp_fs-read'], serversAbsent: ['mcp_db'] }, [], 'codex'),
      seen(['mcp_fs-read'], {}, noChange, { discovered: ['mcp_fs', 'mcp_db', 'mcp_n8n'] }),
      'ok',
      '1 tools (mcp_fs: 1, mcp_db: 0)',
    ],
    [
      'a discovered server the key sees and its probe does not expect (a server added later): named with the key',
      spec({ tools: ['mcp_fs-read'] }, [], 'codex'),
      seen(['mcp_fs-read', 'mcp_n8n-run'], { mcp_db: { status: 'ok', tool_count: 2 } }, noChange, {
        discovered: ['mcp_fs', 'mcp_db', 'mcp_n8n', 'mcp_quiet'],
      }),
      'expectation_failed',
      "key codex sees mcp_db, mcp_n8n, which the gateway lists and its probe does not expect: if the key should see them, add one of their tools to expect.tools; if not, add them to expect.serversAbsent (the gateway's scoping leaks) — 2 tools (mcp_fs: 1, mcp_db: 0, mcp_n8n: 1)",
    ],
    [
      "the main key's catalog, or a key's with servers, is not set against the list (they see what they ask for)",
      spec({ tools: ['mcp_fs-read'] }, []),
      seen([...both, 'mcp_n8n-run'], {}, noChange, { discovered: ['mcp_fs', 'mcp_db', 'mcp_n8n'] }),
      'ok',
      '3 tools (mcp_fs: 1, mcp_db: 1, mcp_n8n: 1)',
    ],
    [
      "a key's catalog with servers: those alone are asked for, so not set against the list",
      spec({ tools: ['mcp_fs-read'] }, ['mcp_fs', 'mcp_db'], 'codex'),
      seen([...both, 'mcp_n8n-run'], {}, noChange, { discovered: ['mcp_fs', 'mcp_db', 'mcp_n8n'] }),
      'ok',
      '3 tools (mcp_fs: 1, mcp_db: 1, mcp_n8n: 1)',
    ],
    [
      'tool names clients refuse: a warning in the reason, the run ok',
      spec(),
      seen(both, {}, noChange, { nameProblems: { 'mcp_fs-a b': ['invalid_chars'] } }),
      'ok',
      `2 tools (mcp_fs: 1, mcp_db: 1); tool names clients refuse: "mcp_fs-a b" (characters outside the MCP spec's [A-Za-z0-9_.-])`,
    ],
  ])('%s', (_name, s, c, outcome, reason) => {
    expect(checkCatalog(s, c)).toEqual({ outcome, reason });
  });
});

describe('serverStates', () => {
  it.each([
    [
      '1.77: a requested server with no tools is no_tools; listed ones are up',
      ['a', 'b'],
      { a: 2, b: 0 },
      {},
      { a: { up: true, tools: 2 }, b: { up: false, tools: 0, reason: 'no_tools' } },
    ],
    [
      "1.109: the gateway's status is the reason, with its HTTP status",
      ['a', 'b'],
      { a: 2, b: 0 },
      { a: { status: 'ok', tool_count: 2 }, b: { status: 'auth_required', http_status: 401 } },
      {
        a: { up: true, tools: 2 },
        b: { up: false, tools: 0, reason: 'auth_required', said: 'auth_required (HTTP 401)' },
      },
    ],
    [
      "1.110: a server over its rate limit is rate_limited (LiteLLM's list_outcomes.py category), not upstream_error",
      ['a'],
      { a: 0 },
      { a: { status: 'rate_limited', http_status: 429 } },
      { a: { up: false, tools: 0, reason: 'rate_limited', said: 'rate_limited (HTTP 429)' } },
    ],
    [
      "a status outside the contract is upstream_error, in the gateway's word",
      ['a'],
      { a: 0 },
      { a: { status: 'exploded' } },
      { a: { up: false, tools: 0, reason: 'upstream_error', said: 'exploded' } },
    ],
    [
      'reported on others but not on this one: missing',
      ['a', 'b'],
      { a: 1, b: 0 },
      { a: { status: 'ok', tool_count: 1 } },
      { a: { up: true, tools: 1 }, b: { up: false, tools: 0, reason: 'missing' } },
    ],
    [
      'ok with no tools is no_tools',
      ['a'],
      { a: 0 },
      { a: { status: 'ok', tool_count: 0 } },
      { a: { up: false, tools: 0, reason: 'no_tools', said: 'ok with no tools' } },
    ],
    [
      'servers not asked for: from tool prefixes and outcomes; tools without a prefix are no server',
      [],
      { a: 3, '(none)': 2 },
      { z: { status: 'timeout' } },
      { a: { up: true, tools: 3 }, z: { up: false, tools: 0, reason: 'timeout', said: 'timeout' } },
    ],
  ] as const)('%s', (_what, servers, perServer, outcomes, want) => {
    expect(serverStates(servers, perServer, outcomes as ServerOutcomes)).toEqual(want);
  });
});
