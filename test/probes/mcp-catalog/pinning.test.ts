import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffServers, snapshotCatalog, type CatalogTool } from '../../../src/probes/mcp-catalog/diff.js';
import { checkPin } from '../../../src/probes/mcp-catalog/pinning.js';
import { CatalogStore } from '../../../src/probes/mcp-catalog/store.js';
import type { ServerState } from '../../../src/probes/types.js';

// expect.pinned against real files in a temp stateDir: the first catalog pinned, drift, a server the pin knew only
// down joining it, one it never knew being drift, and a pin that cannot be read or written.

const SERVERS = ['fs', 'ev'];
const up = (n: number): ServerState => ({ up: true, tools: n });
const down: ServerState = { up: false, tools: 0, reason: 'timeout', said: 'timeout' };
const t = (name: string, description = name): CatalogTool => ({ name, description, inputSchema: { type: 'object' } });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpwatch-pinning-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One run: the catalog `tools` with server `states` against the pin (the baselines as a first run makes them). */
async function run(store: CatalogStore, tools: CatalogTool[], states: Record<string, ServerState>, at: number) {
  const snapshot = snapshotCatalog(tools, at);
  const { baselines } = diffServers(undefined, snapshot, states, SERVERS);
  const steps: string[] = [];
  const pinned = await checkPin(store, snapshot, states, SERVERS, baselines, (m) => steps.push(m));
  return { pinned, steps };
}

describe('checkPin', () => {
  it('no pin: this catalog becomes it; the same catalog is no drift; another one is, named per tool', async () => {
    const store = new CatalogStore(dir, 'cat');
    const first = await run(store, [t('fs-a'), t('ev-b')], { fs: up(1), ev: up(1) }, 1000);
    expect(first.pinned).toEqual({
      since: new Date(1000).toISOString(),
      how: 'first_catalog',
      drift: false,
      changes: {},
    });
    expect(first.steps).toEqual([`pinned this catalog (${store.pinPath})`]);
    expect((await run(store, [t('fs-a'), t('ev-b')], { fs: up(1), ev: up(1) }, 2000)).pinned).toMatchObject({
      drift: false,
      since: new Date(1000).toISOString(),
    });
    const drift = await run(store, [t('fs-a', 'other'), t('ev-b'), t('ev-c')], { fs: up(1), ev: up(2) }, 3000);
    expect(drift.pinned).toEqual({
      since: new Date(1000).toISOString(),
      how: 'first_catalog',
      drift: true,
      changes: { 'ev-c': ['added'], 'fs-a': ['description'] },
    });
    // The pin does not move with the catalog.
    expect((await store.readPin())!.at).toBe(1000);
  });

  it('a server down is no drift; one the pin knew only down joins it at its first catalog; a new one is drift', async () => {
    const store = new CatalogStore(dir, 'cat');
    await run(store, [t('fs-a')], { fs: up(1), ev: down }, 1000);
    expect((await store.readPin())!.servers.ev).toEqual({ at: 1000 });
    const back = await run(store, [t('fs-a'), t('ev-b')], { fs: up(1), ev: up(1) }, 2000);
    expect(back.pinned).toMatchObject({ drift: false });
    expect(back.steps).toContain('pin: first catalog of ev (known only down when pinned) added to it');
    expect((await store.readPin())!.servers.ev!.tools).toHaveProperty(['ev-b']);
    // Now it is pinned: a change of ev is drift, ev down is not.
    expect((await run(store, [t('fs-a'), t('ev-b', 'x')], { fs: up(1), ev: up(1) }, 3000)).pinned).toMatchObject({
      drift: true,
      changes: { 'ev-b': ['description'] },
    });
    expect((await run(store, [t('fs-a')], { fs: up(1), ev: down }, 4000)).pinned).toMatchObject({ drift: false });
    // A server the pin never knew: its tools are drift, not filled in.
    const neu = await run(store, [t('fs-a'), t('ev-b'), t('gh-x')], { fs: up(1), ev: up(1), gh: up(1) }, 5000);
    expect(neu.pinned).toMatchObject({ drift: true, changes: { 'gh-x': ['added'] } });
    expect((await store.readPin())!.servers).not.toHaveProperty('gh');
  });

  it('a pin it cannot read, or cannot write: an error, never a new pin in its place', async () => {
    const store = new CatalogStore(dir, 'cat');
    mkdirSync(dirname(store.pinPath), { recursive: true });
    writeFileSync(store.pinPath, '[]');
    expect((await run(store, [t('fs-a')], { fs: up(1) }, 1000)).pinned).toEqual({
      error: `${store.pinPath} is not a catalog mcpwatch wrote (not a JSON object)`,
    });
    // Its folder is a file: it cannot be read.
    const blocked = new CatalogStore(join(dir, 'blocked'), 'cat');
    mkdirSync(join(dir, 'blocked', 'catalogs'), { recursive: true });
    writeFileSync(join(dir, 'blocked', 'catalogs', 'pinned'), 'a file');
    expect((await run(blocked, [t('fs-a')], { fs: up(1) }, 1000)).pinned).toEqual({
      error: expect.stringMatching(/^cannot read .*blocked\/catalogs\/pinned\/cat\.json: ENOTDIR/),
    });
    // None yet, and it cannot be written: a name the file system takes (245 bytes) whose temp file's it does not
    // (over 255 bytes), a failure root meets too.
    const long = 'c'.repeat(240);
    const stuck = new CatalogStore(join(dir, 'stuck'), long);
    expect((await run(stuck, [t('fs-a')], { fs: up(1) }, 1000)).pinned).toEqual({
      error: expect.stringMatching(
        new RegExp(`^cannot write the pin .*stuck/catalogs/pinned/${long}\\.json: ENAMETOOLONG`),
      ),
    });
    await expect(stuck.readPin()).resolves.toBeUndefined();
  });
});
