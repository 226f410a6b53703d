import { mkdtempSync, utimesSync, writeFileSync, chmodSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookAt, pendingFiles, takeBaseline, type FileLook } from '../../src/gateway-state/watched-files.js';

const look = (hash: string | undefined, mtimeMs: number): FileLook => ({ hash, mtimeMs, size: 1 });
const STARTED = 1_000_000;

describe('watched files', () => {
  it('baseline: a file changed after the start is unknown (null), one before it is its hash', () => {
    expect(
      takeBaseline(
        { a: look('h1', STARTED - 1), b: look('h2', STARTED + 1), c: look('absent', 0), d: look(undefined, 0) },
        STARTED,
      ),
    ).toEqual({ a: 'h1', b: null, c: 'absent' });
  });

  it.each([
    ['unchanged', { a: 'h1' }, look('h1', STARTED + 50), []],
    ['touched only (same bytes)', { a: 'h1' }, look('h1', STARTED + 99), []],
    ['edited', { a: 'h1' }, look('h2', STARTED + 99), [{ path: 'a', changedAt: STARTED + 99 }]],
    ['changed before mcpwatch looked', { a: null }, look('h2', STARTED + 99), [{ path: 'a', changedAt: STARTED + 99 }]],
    ['removed', { a: 'h1' }, look('absent', 0), [{ path: 'a', changedAt: 5 }]],
    ['unreadable now', { a: 'h1' }, look(undefined, 0), []],
    ['no baseline yet', {}, look('h2', STARTED + 99), []],
  ])('%s', (_name, baseline, now, want) => {
    expect(pendingFiles(baseline, { a: now }, 5)).toEqual(want);
  });

  it('lookAt: a hash of the bytes, hashed again only when mtime or size changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-watched-'));
    const f = join(dir, 'config.yaml');
    writeFileSync(f, 'model_list: []\n');
    const T = 1_700_000_000;
    utimesSync(f, T, T);
    const cache = new Map<string, FileLook>();
    const first = (await lookAt([f, join(dir, 'none')], cache))[f]!;
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await lookAt([join(dir, 'none')], cache))[join(dir, 'none')]!.hash).toBe('absent');
    // Same size and mtime: the cached hash is kept (the file is not read again).
    writeFileSync(f, 'model_list: {}\n');
    utimesSync(f, T, T);
    expect((await lookAt([f], cache))[f]!.hash).toBe(first.hash);
    utimesSync(f, T + 5, T + 5);
    expect((await lookAt([f], cache))[f]!.hash).not.toBe(first.hash);
    unlinkSync(f);
    expect((await lookAt([f], cache))[f]!.hash).toBe('absent');
  });

  it('lookAt: a file that cannot be read says why, and has no hash', async () => {
    if (process.getuid?.() === 0) {
      // root reads anything: a folder in the file's place cannot be hashed instead
      const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-watched-'));
      const l = (await lookAt([dir], new Map()))[dir]!;
      expect(l.hash).toBeUndefined();
      expect(l.error).toBe('EISDIR');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-watched-'));
    const f = join(dir, 'secret.env');
    writeFileSync(f, 'X=1\n');
    chmodSync(f, 0o000);
    const l = (await lookAt([f], new Map()))[f]!;
    expect(l).toMatchObject({ hash: undefined, error: 'EACCES' });
  });
});
