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
});
