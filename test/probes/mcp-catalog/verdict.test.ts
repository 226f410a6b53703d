import { describe, expect, it } from 'vitest';
import type { CatalogDiff } from '../../../src/probes/mcp-catalog/details.js';
import type { ServerOutcomes, ServerState } from '../../../src/probes/types.js';
import {
  canonicalJson,
  checkCatalog,
  diffServers,
  serverStates,
  snapshotCatalog,
  type CatalogTool,
} from '../../../src/probes/mcp-catalog/verdict.js';
import { NO_PREFIX, serverOf, toolsPerServer } from '../../../src/probes/tool-servers.js';

// The catalog as mcp_catalog sees it: fingerprint and diff, tools per server, the probe's expectations.

describe('catalog fingerprint', () => {
  const schema = {
    type: 'object',
    properties: { path: { type: 'string' }, depth: { type: 'number', default: 1 } },
    required: ['path'],
  };
  const reordered = {
    required: ['path'],
    properties: { depth: { default: 1, type: 'number' }, path: { type: 'string' } },
    type: 'object',
  };

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
    expect(snapshotCatalog([{ name: 'fs-read', inputSchema: schema }, { name: 'fs-ls' }]).fingerprint).not.toBe(
      a.fingerprint,
    );
    expect(
      snapshotCatalog([{ name: 'fs-read', inputSchema: { ...schema, required: [] } }, { name: 'fs-list' }]).fingerprint,
    ).not.toBe(a.fingerprint);
  });
});

describe('diffServers: what counts as a change, server by server', () => {
  const obj = { type: 'object' };
  const str = { type: 'object', properties: { s: { type: 'string' } } };
  /** Tools by name, each with its input schema. */
  const list = (tools: Record<string, object>): CatalogTool[] =>
    Object.entries(tools).map(([name, inputSchema]) => ({ name, inputSchema }));
  const fs = { 'fs-read': obj, 'fs-write': obj };
  const ev = { 'ev-echo': obj, 'ev-add': obj };
  const SERVERS = ['fs', 'ev'];
  /** Each server's baseline as a run at `at` that saw `tools` with every server up leaves it. */
  const baselineOf = (tools: Record<string, object>, at = 1) =>
    diffServers(undefined, snapshotCatalog(list(tools), at), {}, SERVERS).baselines;
  const up = (tools: number): ServerState => ({ up: true, tools });
  const down: ServerState = { up: false, tools: 0, reason: 'no_tools' };
  const internal: ServerState = { up: false, tools: 1, reason: 'internal', said: 'internal' };

  it.each<
    [
      string,
      ReturnType<typeof baselineOf> | undefined,
      Record<string, object>,
      Record<string, ServerState>,
      Omit<CatalogDiff, 'changed'>,
      Record<string, number>,
    ]
  >([
    // name, baselines, this run's tools, this run's server states, what changed, each baseline's `at` after
    [
      'first sight: no change, both baselines set',
      undefined,
      { ...fs, ...ev },
      { fs: up(2), ev: up(2) },
      { added: [], removed: [], changedSchemas: [] },
      { fs: 2, ev: 2 },
    ],
    [
      'outage: ev down, its tools missing are not removed; its baseline kept',
      baselineOf({ ...fs, ...ev }),
      fs,
      { fs: up(2), ev: down },
      { added: [], removed: [], changedSchemas: [] },
      { fs: 2, ev: 1 },
    ],
    [
      'recovery: ev back as it was before the outage is not added',
      { ...baselineOf({ ...fs, ...ev }), fs: baselineOf(fs, 5).fs! },
      { ...fs, ...ev },
      { fs: up(2), ev: up(2) },
      { added: [], removed: [], changedSchemas: [] },
      { fs: 2, ev: 2 },
    ],
    [
      'a real change on fs during the outage of ev: only that counts',
      baselineOf({ ...fs, ...ev }),
      { 'fs-read': obj, 'fs-delete': obj },
      { fs: up(2), ev: down },
      { added: ['fs-delete'], removed: ['fs-write'], changedSchemas: [] },
      { fs: 2, ev: 1 },
    ],
    [
      'ev back with a change made while it was down: counted against the catalog before the outage',
      baselineOf({ ...fs, ...ev }),
      { ...fs, 'ev-echo': str, 'ev-sum': obj },
      { fs: up(2), ev: up(2) },
      { added: ['ev-sum'], removed: ['ev-add'], changedSchemas: ['ev-echo'] },
      { fs: 2, ev: 2 },
    ],
    [
      'a schema change on an up server',
      baselineOf({ ...fs, ...ev }),
      { ...fs, 'fs-read': str, ...ev },
      { fs: up(2), ev: up(2) },
      { added: [], removed: [], changedSchemas: ['fs-read'] },
      { fs: 2, ev: 2 },
    ],
    [
      'a server never heard of, beside a known one: new at the gateway, its tools added',
      baselineOf(fs),
      { ...fs, ...ev },
      { fs: up(2), ev: up(2) },
      { added: ['ev-add', 'ev-echo'], removed: [], changedSchemas: [] },
      { fs: 2, ev: 2 },
    ],
    [
      'a server known only down until now, up: its first catalog is its baseline, no change',
      { ...baselineOf(fs), ev: { at: 1 } },
      { ...fs, ...ev },
      { fs: up(2), ev: up(2) },
      { added: [], removed: [], changedSchemas: [] },
      { fs: 2, ev: 2 },
    ],
    [
      'the first run: every server sets its baseline, no change',
      undefined,
      { ...fs, ...ev },
      { fs: up(2), ev: up(2) },
      { added: [], removed: [], changedSchemas: [] },
      { fs: 2, ev: 2 },
    ],
    [
      'first sight of a server that is down: known, without tools, until it is up',
      baselineOf(fs),
      fs,
      { fs: up(2), ev: down },
      { added: [], removed: [], changedSchemas: [] },
      { fs: 2, ev: 2 },
    ],
    [
      'a server down by the gateway (1.108+) that still lists a tool: not compared, baseline kept',
      baselineOf({ ...fs, ...ev }),
      { ...fs, 'ev-echo': str },
      { fs: up(2), ev: internal },
      { added: [], removed: [], changedSchemas: [] },
      { fs: 2, ev: 1 },
    ],
    [
      'a server absent from the run (no servers given, 1.77 hides it): not up in both, no change',
      baselineOf({ ...fs, ...ev }),
      fs,
      { fs: up(2) },
      { added: [], removed: [], changedSchemas: [] },
      { fs: 2, ev: 1 },
    ],
    [
      'up by the gateway with tools it did not list: they are gone',
      baselineOf({ ...fs, ...ev }),
      fs,
      { fs: up(2), ev: up(2) },
      { added: [], removed: ['ev-add', 'ev-echo'], changedSchemas: [] },
      { fs: 2, ev: 2 },
    ],
  ])('%s', (_name, baselines, tools, states, want, at) => {
    const { diff, baselines: next } = diffServers(baselines, snapshotCatalog(list(tools), 2), states, SERVERS);
    const changed = want.added.length + want.removed.length + want.changedSchemas.length > 0;
    expect(diff).toEqual({ changed, ...want });
    expect(Object.fromEntries(Object.entries(next).map(([server, b]) => [server, b.at]))).toEqual(at);
    // A baseline holds only its own server's tools.
    for (const [server, b] of Object.entries(next))
      expect(Object.keys(b.tools ?? {}).every((t) => t.startsWith(`${server}-`))).toBe(true);
  });

  it('an outage and its recovery, run after run: never a change, and a real change after it still is', () => {
    const runs: Array<[Record<string, object>, Record<string, ServerState>]> = [
      [
        { ...fs, ...ev },
        { fs: up(2), ev: up(2) },
      ],
      [fs, { fs: up(2), ev: down }],
      [fs, { fs: up(2), ev: down }],
      [
        { ...fs, ...ev },
        { fs: up(2), ev: up(2) },
      ],
      [fs, { fs: up(2), ev: down }],
      [
        { ...fs, ...ev },
        { fs: up(2), ev: up(2) },
      ],
      [
        { ...fs, ...ev, 'ev-new': obj },
        { fs: up(2), ev: up(3) },
      ],
    ];
    let baselines: ReturnType<typeof baselineOf> | undefined;
    const changes = runs.map(([tools, states], i) => {
      const r = diffServers(baselines, snapshotCatalog(list(tools), i), states, SERVERS);
      baselines = r.baselines;
      return r.diff.changed ? r.diff.added : [];
    });
    expect(changes).toEqual([[], [], [], [], [], [], ['ev-new']]);
  });
});

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
    expect: { tools?: string[]; minTools?: number; serversPresent?: boolean } = {},
    servers = ['mcp_fs', 'mcp_db'],
  ) => ({
    servers,
    expect: {
      tools: expect.tools ?? [],
      serversPresent: expect.serversPresent ?? true,
      ...(expect.minTools !== undefined && { minTools: expect.minTools }),
    },
  });
  const noChange: CatalogDiff = { changed: false, added: [], removed: [], changedSchemas: [] };
  const seen = (names: string[], outcomes: ServerOutcomes = {}, diff = noChange) => {
    const perServer = toolsPerServer(names, ['mcp_fs', 'mcp_db']);
    return { names, perServer, servers: serverStates(['mcp_fs', 'mcp_db'], perServer, outcomes), diff };
  };

  it.each([
    ['all servers list tools', spec(), seen(['mcp_db-query', 'mcp_fs-read']), 'ok', '2 tools (mcp_fs: 1, mcp_db: 1)'],
    [
      'a change is noted',
      spec(),
      seen(
        ['mcp_db-query', 'mcp_fs-read'],
        {},
        { changed: true, added: ['mcp_fs-read'], removed: [], changedSchemas: [] },
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
