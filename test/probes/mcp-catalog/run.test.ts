import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/probes/mcp-catalog/run.js';
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
