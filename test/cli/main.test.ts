import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

// Argument handling of the mcpwatch command, in-process: each case is refused (exit 2 with the
// usage) before anything starts, so no agent runs and nothing is read.

describe('mcpwatch --shard I/N', () => {
  let stderr: string;
  beforeEach(() => {
    stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    [
      ['run', '--shard', '3/3'],
      '--shard: expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "3/3": I must be less than N (shards are numbered 0 to 2)',
    ],
    [
      ['--shard', '0/0'],
      '--shard: expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "0/0": N must be at least 1',
    ],
    [
      ['run', '--shard', 'one/3'],
      '--shard: expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "one/3"',
    ],
    [
      ['run', '--shard=-1/3'],
      '--shard: expected I/N, whole numbers with 0 <= I < N (e.g. 0/3 for the first of three replicas), got "-1/3"',
    ],
    [['run', '--shard'], "Option '--shard <value>' argument missing"],
  ])('run %j is a usage error (exit 2)', async (argv, message) => {
    expect(await main(argv, { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`mcpwatch: ${message}`);
    expect(stderr).toContain('Usage:');
  });

  it.each([
    [
      ['check-config', '--shard', '0/2'],
      '--shard is for the run command (check-config uses every probe of the config)',
    ],
    [
      ['probe', 'lan-catalog', '--shard', '1/2'],
      '--shard is for the run command (probe uses every probe of the config)',
    ],
    [['report', '--shard', '1/2'], '--shard is for the run command (report uses every probe of the config)'],
    [
      ['check-clients', '--shard', '1/2', 'a.toml'],
      '--shard is for the run command (check-clients uses every probe of the config)',
    ],
  ])('%j is refused: the other commands ignore no shard silently', async (argv, message) => {
    expect(await main(argv, { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`mcpwatch: ${message}`);
  });

  it('a valid --shard gets as far as the config (here: a file that is not there, exit 2 for the config)', async () => {
    expect(await main(['run', '--shard', '1/3'], { MCPWATCH_CONFIG: '/nonexistent/mcpwatch.yaml' })).toBe(2);
    expect(stderr).toContain('cannot read config file /nonexistent/mcpwatch.yaml');
    expect(stderr).not.toContain('Usage:');
  });

  it('--help names the flag', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain('mcpwatch [run] [--config FILE] [--shard I/N]');
  });
});
