import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/probes/mcp-catalog/run.js';
import { accept, CatalogStore, scopeOf } from '../../../src/probes/mcp-catalog/store.js';
import { ProbeFailure, type ProbeMemory } from '../../../src/probes/types.js';
import { FakeMcpGateway, makeTools, type FakeTool } from '../../support/fake-mcp.js';
import { failureOf, probeHarness } from '../../support/run-harness.js';

// The catalog probe's run against the MCP SDK's own server (test/support/fake-mcp.ts): initialize and
// tools/list through it, the expected tools and servers checked, and drift between runs that share
// the probe's memory.

const KEY = 'sk-catalog-run-0123456789abcdef';

const tool = (name: string, props: Record<string, object> = { x: { type: 'string' } }): FakeTool => ({
  name,
  inputSchema: { type: 'object', properties: props },
});

/** The config's one catalog probe, run once through its run() in the scheduler's context (with `memory`, if given). */
const runOnce = probeHarness('mcp_catalog', run, KEY);

describe('mcp_catalog run against the SDK MCP server', () => {
  let fake: FakeMcpGateway;
  beforeAll(async () => {
    fake = await new FakeMcpGateway({ key: KEY }).start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    fake.tools = [tool('mcp_fs-read'), tool('mcp_fs-write'), tool('mcp_db-query')];
  });

  const probe = (more = '') =>
    `{ name: cat, type: mcp_catalog, target: gw, servers: [mcp_fs, mcp_db]${more ? `, ${more}` : ''} }`;

  it('the expected tools there: ok, tools counted per server, the session ended', async () => {
    const memory: ProbeMemory = {};
    const { out } = await runOnce(fake.url, probe('expect: { tools: [mcp_fs-read] }'), { memory });
    expect(out.outcome).toBe('ok');
    expect(out.reason).toBe('3 tools (mcp_fs: 2, mcp_db: 1)');
    expect(out.details).toMatchObject({
      catalog: { tools: 3, toolsPerServer: { mcp_fs: 2, mcp_db: 1 }, changed: false },
      expectedTools: { 'mcp_fs-read': true },
      toolNames: ['mcp_db-query', 'mcp_fs-read', 'mcp_fs-write'],
      servers: { mcp_fs: { up: true, tools: 2 }, mcp_db: { up: true, tools: 1 } },
    });
    // The servers asked for went as x-mcp-servers, the key as Bearer; the session was DELETEd.
    const init = fake.requests.find((r) => r.rpc === 'initialize')!;
    expect(init.headers['x-mcp-servers']).toBe('mcp_fs,mcp_db');
    expect(init.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(fake.requests.some((r) => r.method === 'DELETE')).toBe(true);
    expect(fake.sessionsClosed).toBe(fake.sessionsOpened);
    // What it remembers for the next run.
    expect(memory.catalog).toMatchObject({
      tools: ['mcp_db-query', 'mcp_fs-read', 'mcp_fs-write'],
      toolsPerServer: { mcp_fs: 2, mcp_db: 1 },
      snapshot: { fingerprint: expect.any(String) },
    });
    expect(memory.catalog).not.toHaveProperty('lastChange');
  });

  it('an expected tool missing, and a server that lists nothing: expectation_failed naming both', async () => {
    const { out } = await runOnce(
      fake.url,
      '{ name: cat, type: mcp_catalog, target: gw, servers: [mcp_fs, mcp_gone], expect: { tools: [mcp_fs-delete] } }',
    );
    expect(out.outcome).toBe('expectation_failed');
    expect(out.reason).toMatch(
      /^expected tool missing: mcp_fs-delete; server down: mcp_gone: no_tools — listed no tools/,
    );
    expect(out.reason).toMatch(/ — 3 tools \(mcp_fs: 2, mcp_gone: 0, mcp_db: 1\)$/);
    expect(out.details).toMatchObject({
      expectedTools: { 'mcp_fs-delete': false },
      servers: { mcp_gone: { up: false, tools: 0, reason: 'no_tools' } },
    });
  });

  it('serversPresent: false and minTools: a server down is noted, too few tools fail', async () => {
    const noted = await runOnce(
      fake.url,
      '{ name: cat, type: mcp_catalog, target: gw, servers: [mcp_gone], expect: { serversPresent: false } }',
    );
    expect(noted.out.outcome).toBe('ok');
    expect(noted.out.reason).toMatch(/; down: mcp_gone: no_tools — /);
    const few = await runOnce(fake.url, '{ name: cat, type: mcp_catalog, target: gw, expect: { minTools: 5 } }');
    expect(few.out.outcome).toBe('expectation_failed');
    expect(few.out.reason).toMatch(/^3 tools, expected at least 5 — 3 tools/);
  });

  it('drift between two runs with the same memory: added, removed and changed schemas named, then kept', async () => {
    const memory: ProbeMemory = {};
    const first = await runOnce(fake.url, probe(), { memory });
    expect(first.out.outcome).toBe('ok');
    const before = memory.catalog!.snapshot!.fingerprint;

    fake.tools = [tool('mcp_fs-read', { x: { type: 'number' } }), tool('mcp_db-query'), tool('mcp_db-exec')];
    const second = await runOnce(fake.url, probe(), { memory });
    expect(second.out.outcome).toBe('ok');
    expect(second.out.reason).toBe('3 tools (mcp_fs: 1, mcp_db: 2); catalog changed (+1 -1 ~1)');
    expect(second.out.details).toMatchObject({
      catalog: { changed: true, added: ['mcp_db-exec'], removed: ['mcp_fs-write'], changedSchemas: ['mcp_fs-read'] },
    });
    expect(second.msgs).toContain('catalog changed: +1 -1 ~1');
    expect(memory.catalog!.snapshot!.fingerprint).not.toBe(before);
    expect(memory.catalog!.lastChange).toMatchObject({
      added: ['mcp_db-exec'],
      removed: ['mcp_fs-write'],
      changedSchemas: ['mcp_fs-read'],
    });

    // The same catalog again: no change now, the last change remembered.
    const third = await runOnce(fake.url, probe(), { memory });
    expect(third.out.details).toMatchObject({ catalog: { changed: false, added: [], removed: [] } });
    expect(third.out.reason).toBe('3 tools (mcp_fs: 1, mcp_db: 2)');
    expect(memory.catalog!.lastChange!.added).toEqual(['mcp_db-exec']);
  });

  it('a server down and back: no change either way; its baseline is the catalog before the outage', async () => {
    const memory: ProbeMemory = {};
    await runOnce(fake.url, probe(), { memory });
    const before = memory.catalog!.servers!.mcp_db!;

    fake.tools = [tool('mcp_fs-read'), tool('mcp_fs-write')];
    const outage = await runOnce(fake.url, probe(), { memory });
    expect(outage.out.outcome).toBe('expectation_failed');
    expect(outage.out.reason).toMatch(/^server down: mcp_db: no_tools — /);
    expect(outage.out.details).toMatchObject({
      catalog: { changed: false, removed: [], toolsPerServer: { mcp_fs: 2, mcp_db: 0 } },
      servers: { mcp_db: { up: false } },
    });
    // /status shows what was seen last; the server's baseline stays.
    expect(memory.catalog).toMatchObject({ tools: ['mcp_fs-read', 'mcp_fs-write'], servers: { mcp_db: before } });

    fake.tools = [tool('mcp_fs-read'), tool('mcp_fs-write'), tool('mcp_db-query')];
    const back = await runOnce(fake.url, probe(), { memory });
    expect(back.out).toMatchObject({ outcome: 'ok', reason: '3 tools (mcp_fs: 2, mcp_db: 1)' });
    expect(back.out.details).toMatchObject({ catalog: { changed: false, added: [] } });
    expect(back.msgs.some((m) => m.startsWith('catalog changed'))).toBe(false);
    expect(memory.catalog).not.toHaveProperty('lastChange');
  });

  it('a run with fresh memory sees no drift', async () => {
    await runOnce(fake.url, probe(), { memory: {} });
    fake.tools = makeTools('mcp_fs', 2);
    const { out } = await runOnce(fake.url, probe(), { memory: {} });
    expect(out.details).toMatchObject({ catalog: { changed: false } });
  });

  it('a wrong key: the gateway refusal is thrown as auth_rejected with its status', async () => {
    const err = await failureOf(runOnce(fake.url, probe(), { memory: {}, key: 'sk-not-the-key-000000000000' }));
    expect(err).toBeInstanceOf(ProbeFailure);
    expect(err.outcome).toBe('auth_rejected');
    expect(err.message).toMatch(/^401 Unauthorized from gw — the gateway refused the key/);
    expect(err.details).toMatchObject({ status: 401, wwwAuthenticate: 'Bearer' });
  });

  it("gatewayHealth on a gateway without LiteLLM's health endpoint: the catalog result stands, the error is named", async () => {
    const { out } = await runOnce(fake.url, probe('gatewayHealth: true'));
    expect(out.outcome).toBe('ok');
    expect(out.details).toMatchObject({
      gatewayHealth: {
        servers: {},
        error: expect.stringMatching(
          /^could not read the gateway's MCP health: \/v1\/mcp\/server(\/health)? answered 404$/,
        ),
      },
    });
  });
});

describe('mcp_catalog run: a paginated catalog', () => {
  let fake: FakeMcpGateway;
  beforeAll(async () => {
    fake = await new FakeMcpGateway({ key: KEY, pageSize: 2, stateless: true }).start();
    fake.tools = makeTools('mcp_fs', 5);
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('follows nextCursor to the end, one step per page', async () => {
    const { out, msgs: steps } = await runOnce(fake.url, '{ name: cat, type: mcp_catalog, target: gw }');
    expect(out.outcome).toBe('ok');
    expect(out.reason).toBe('5 tools (mcp_fs: 5)');
    expect(steps.filter((s) => s.startsWith('tools/list page'))).toEqual([
      'tools/list page 1: 2 tools',
      'tools/list page 2: 2 tools',
      'tools/list page 3: 1 tools',
    ]);
  });
});

describe("mcp_catalog run with a stateDir (the agent's runs): baselines across restarts, the pin, tool names", () => {
  let fake: FakeMcpGateway;
  let stateDir: string;
  beforeAll(async () => {
    fake = await new FakeMcpGateway({ key: KEY }).start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    fake.tools = [tool('mcp_fs-read'), tool('mcp_fs-write'), tool('mcp_db-query')];
    stateDir = mkdtempSync(join(tmpdir(), 'mcpwatch-catalog-run-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  const probe = (more = '') =>
    `{ name: cat, type: mcp_catalog, target: gw, servers: [mcp_fs, mcp_db]${more ? `, ${more}` : ''} }`;
  /** One agent run: `memory` is the process's (a new one is a restart). */
  const agentRun = (memory: ProbeMemory, more = '') => runOnce(fake.url, probe(more), { memory, stateDir });
  const store = () => new CatalogStore(stateDir, 'cat');

  it('a change made while mcpwatch was down is reported at the first run after the start; the same catalog is not', async () => {
    const first = await agentRun({});
    expect(first.out.details).toMatchObject({ catalog: { changed: false } });
    expect(first.msgs).not.toContain(expect.stringMatching(/^baselines read/));
    expect((await store().readSeen())!.servers).toMatchObject({ mcp_fs: { tools: { 'mcp_fs-read': {} } } });

    // A restart with the gateway as it was: no change, and the file is not written again.
    const written = statSync(store().seenPath).mtimeMs;
    const same = await agentRun({});
    expect(same.msgs).toContain(`baselines read from ${store().seenPath}`);
    expect(same.out).toMatchObject({ outcome: 'ok', reason: '3 tools (mcp_fs: 2, mcp_db: 1)' });
    expect(statSync(store().seenPath).mtimeMs).toBe(written);

    // Changed while down: the first run of the next start says so.
    fake.tools = [tool('mcp_fs-read'), tool('mcp_db-query'), tool('mcp_db-exec')];
    const memory: ProbeMemory = {};
    const after = await agentRun(memory);
    expect(after.out.reason).toBe('3 tools (mcp_fs: 1, mcp_db: 2); catalog changed (+1 -1 ~0)');
    expect(after.out.details).toMatchObject({
      catalog: { changes: { 'mcp_db-exec': ['added'], 'mcp_fs-write': ['removed'] } },
    });
    // Reported once: the next run (same process) and the next start see no change.
    expect((await agentRun(memory)).out.details).toMatchObject({ catalog: { changed: false } });
    expect((await agentRun({})).out.details).toMatchObject({ catalog: { changed: false } });
    // /status's last change comes back with the baselines.
    expect(memory.catalog!.lastChange).toMatchObject({ added: ['mcp_db-exec'], removed: ['mcp_fs-write'] });
    const restarted: ProbeMemory = {};
    await agentRun(restarted);
    expect(restarted.catalog!.lastChange).toMatchObject({ added: ['mcp_db-exec'] });
  });

  it('baselines of another definition (other servers) are no baseline: that run is a first run', async () => {
    await runOnce(fake.url, '{ name: cat, type: mcp_catalog, target: gw, servers: [mcp_fs] }', {
      memory: {},
      stateDir,
    });
    const r = await agentRun({});
    expect(r.out.details).toMatchObject({ catalog: { changed: false } });
    expect(r.msgs.some((m) => m.includes("are of the probe's former servers or gateway"))).toBe(true);
  });

  it('baselines kept by an older mcpwatch (input schema hashes only) are no change of every tool', async () => {
    await agentRun({});
    const s = store();
    const seen = (await s.readSeen())!;
    const old = Object.fromEntries(
      Object.entries(seen.servers).map(([server, b]) => [
        server,
        {
          at: b.at,
          tools: Object.fromEntries(Object.entries(b.tools!).map(([n, p]) => [n, (p as { input: string }).input])),
        },
      ]),
    );
    // The file as the form kept before: no version, each tool its input schema's hash.
    writeFileSync(
      s.seenPath,
      JSON.stringify({ scope: scopeOf({ url: fake.url, mcpPath: '/mcp/' }, ['mcp_fs', 'mcp_db']), servers: old }),
    );
    const r = await agentRun({});
    expect(r.out.details).toMatchObject({ catalog: { changed: false } });
    // Written again as prints.
    expect((await s.readSeen())!.servers.mcp_fs!.tools!['mcp_fs-read']).toMatchObject({
      input: expect.any(String),
      description: expect.any(String),
    });
  });

  it('pinned: the first catalog is the pin; a change fails every run until accepted, then the next run is ok', async () => {
    const memory: ProbeMemory = {};
    const first = await agentRun(memory, 'expect: { pinned: true }');
    expect(first.out.outcome).toBe('ok');
    expect(first.out.details).toMatchObject({ pinned: { how: 'first_catalog', drift: false, changes: {} } });
    expect(first.msgs).toContain(`pinned this catalog (${store().pinPath})`);

    fake.tools = [
      tool('mcp_fs-read', { y: { type: 'number' } }),
      tool('mcp_fs-write'),
      tool('mcp_db-query'),
      tool('mcp_db-exec'),
    ];
    for (let i = 0; i < 2; i++) {
      const r = await agentRun(memory, 'expect: { pinned: true }');
      expect(r.out.outcome).toBe('expectation_failed');
      expect(r.out.reason).toMatch(
        /^catalog differs from its pin of \S+Z: mcp_db-exec \(added\), mcp_fs-read \(input_schema\) — if the change is wanted: mcpwatch accept-catalog cat — 4 tools/,
      );
      expect(r.out.details).toMatchObject({ pinned: { drift: true }, catalog: { changed: i === 0 } });
    }
    // A restart does not forget the pin.
    expect((await agentRun({}, 'expect: { pinned: true }')).out.outcome).toBe('expectation_failed');

    const done = await accept(store(), scopeOf({ url: fake.url, mcpPath: '/mcp/' }, ['mcp_fs', 'mcp_db']));
    expect(done).toMatchObject({
      ok: true,
      written: true,
      changes: { 'mcp_db-exec': ['added'], 'mcp_fs-read': ['input_schema'] },
    });
    const next = await agentRun(memory, 'expect: { pinned: true }');
    expect(next.out.outcome).toBe('ok');
    expect(next.out.details).toMatchObject({ pinned: { how: 'accepted', drift: false } });
  });

  it('pinned, a pin that cannot be read: internal_error, the catalog still reported', async () => {
    const p = store().pinPath;
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, 'not json');
    const r = await agentRun({}, 'expect: { pinned: true }');
    expect(r.out.outcome).toBe('internal_error');
    expect(r.out.reason).toMatch(/^the pinned catalog cannot be used: .*cat\.json is not a catalog mcpwatch wrote/);
    expect(r.out.details).toMatchObject({ catalog: { tools: 3 }, pinned: { error: expect.any(String) } });
  });

  it('a one-off run (no stateDir) of a pinned probe reads and writes nothing', async () => {
    const r = await runOnce(fake.url, probe('expect: { pinned: true }'), { memory: {} });
    expect(r.out.outcome).toBe('ok');
    expect(r.out.details).not.toHaveProperty('pinned');
    await expect(store().readPin()).resolves.toBeUndefined();
  });

  it('tool names clients refuse: named in the details and the reason, the run ok', async () => {
    const long = `mcp_fs-${'x'.repeat(60)}`;
    fake.tools = [tool('mcp_fs-read'), tool(long), tool('mcp_db-query')];
    const r = await agentRun({});
    expect(r.out.outcome).toBe('ok');
    expect(r.out.details).toMatchObject({ toolNameProblems: { [long]: ['too_long'] } });
    expect(r.out.reason).toContain(`tool names clients refuse: "${long}" (67 characters: over 64`);
  });
});
