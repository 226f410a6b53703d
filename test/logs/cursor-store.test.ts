import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CursorStore, parseStored } from '../../src/logs/cursor-store.js';

describe('cursor store', () => {
  it('writes atomically (temp file + rename), throttled, and flushes on demand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-cursors-'));
    const store = new CursorStore(dir);
    const pos = { id: 'abc', origin: '', streams: { stderr: { ts: '2026-11-24T10:00:00.000000001Z', count: 3 } } };
    store.save('litellm', pos);
    store.save('litellm', { ...pos, streams: { stderr: { ts: '2026-11-24T10:00:00.000000002Z', count: 1 } } });
    expect(await store.load('litellm')).toBeUndefined(); // not written yet: throttled
    await store.flush();
    expect(readdirSync(join(dir, 'cursors'))).toEqual(['litellm.json']); // no temp file left
    expect(await store.load('litellm')).toEqual({
      id: 'abc',
      origin: '',
      streams: { stderr: { ts: '2026-11-24T10:00:00.000000002Z', count: 1 } },
    });
    expect(JSON.parse(readFileSync(join(dir, 'cursors/litellm.json'), 'utf8'))).toMatchObject({
      container: 'litellm',
      id: 'abc',
    });
  });

  it('names files safely and treats an unreadable or foreign file as no cursor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-cursors-'));
    const store = new CursorStore(dir);
    store.save('../etc/passwd', { id: 'x', origin: '', streams: {} });
    await store.flush();
    expect(readdirSync(join(dir, 'cursors'))).toEqual(['..%2Fetc%2Fpasswd.json']);
    writeFileSync(join(dir, 'cursors/bad.json'), '{not json');
    expect(await store.load('bad')).toBeUndefined();
    expect(await store.load('missing')).toBeUndefined();
  });

  it.each([
    [
      { id: 'a', origin: '', streams: {} },
      { id: 'a', origin: '', streams: {} },
    ],
    [
      { id: 'a', ts: '2026-11-24T10:00:00.000000001Z', count: 2 },
      { id: 'a', origin: '2026-11-24T10:00:00.000000001Z', streams: {} },
    ], // one position for both streams (earlier format)
    [{ id: 'a', origin: 'yesterday', streams: {} }, undefined],
    // not normalised
    [{ id: 'a', origin: '', streams: { stdout: { ts: '2026-11-24T10:00:00Z', count: 1 } } }, undefined],
    [{ id: 'a', origin: '', streams: { stdout: { ts: '2026-11-24T10:00:00.000000001Z', count: -1 } } }, undefined],
    [{ origin: '', streams: {} }, undefined],
  ])('reads %j', (stored, want) => expect(parseStored(stored as Record<string, unknown>)).toEqual(want));
});
