import { describe, expect, it } from 'vitest';
import { NO_PREFIX, serverOf, toolsPerServer } from '../../src/probes/tool-servers.js';

describe('serverOf', () => {
  it.each<[string, string, string[], string]>([
    ['the prefix before the first "-"', 'fs-read_file', [], 'fs'],
    ['a requested server that prefixes the tool', 'fs-read_file', ['fs'], 'fs'],
    ['a requested alias with "-" in it', 'my-fs-read_file', ['my-fs'], 'my-fs'],
    ['the longest of several requested aliases', 'my-fs-read_file', ['my', 'my-fs'], 'my-fs'],
    ['the first "-" when no requested server matches', 'git-log', ['fs'], 'git'],
    ['a requested name must be followed by the separator', 'fsx-read', ['fs'], 'fsx'],
    ['no prefix at all', 'read_file', ['fs'], NO_PREFIX],
  ])('%s: %s → %s', (_what, tool, servers, expected) => {
    expect(serverOf(tool, servers)).toBe(expected);
  });

  it('takes another separator', () => {
    expect(serverOf('fs__read', ['fs'], '__')).toBe('fs');
    expect(serverOf('git__log', [], '__')).toBe('git');
    expect(serverOf('fs-read', [], '__')).toBe(NO_PREFIX);
  });
});

describe('toolsPerServer', () => {
  it('counts the tools of each server prefix', () => {
    expect(toolsPerServer(['fs-read', 'fs-write', 'git-log'], [])).toEqual({ fs: 2, git: 1 });
  });

  it('a requested server without tools counts 0', () => {
    expect(toolsPerServer(['fs-read'], ['fs', 'db'])).toEqual({ fs: 1, db: 0 });
  });

  it('aliases with "-" in them count their own tools', () => {
    expect(toolsPerServer(['my-fs-read', 'my-db-query', 'my-fs-write'], ['my-fs', 'my-db'])).toEqual({
      'my-fs': 2,
      'my-db': 1,
    });
  });

  it(`tools without a prefix count under ${NO_PREFIX}`, () => {
    expect(toolsPerServer(['read', 'write', 'fs-read'], [])).toEqual({ [NO_PREFIX]: 2, fs: 1 });
  });

  it('no tools and no servers: nothing', () => {
    expect(toolsPerServer([], [])).toEqual({});
  });
});
