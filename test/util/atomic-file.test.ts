import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/util/atomic-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('makes the folder, writes the text, replaces an old file and leaves no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-atomic-'));
    dirs.push(dir);
    const file = join(dir, 'sub', 'a.json');
    await writeFileAtomic(file, 'one\n');
    await writeFileAtomic(file, 'two\n');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.json']);
  });

  it('writes made at once (two agents on one stateDir, both pid 1 in their containers) each land whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-atomic-'));
    dirs.push(dir);
    const file = join(dir, 'a.json');
    const texts = Array.from({ length: 20 }, (_, i) => `${String(i).repeat(5000)}\n`);
    await Promise.all(texts.map((t) => writeFileAtomic(file, t)));
    expect(texts).toContain(readFileSync(file, 'utf8'));
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});
