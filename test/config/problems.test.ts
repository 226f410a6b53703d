import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/config/problems.js';

// How a config's problems are written: `path: message`, one a line, under the file they are in.

describe('formatProblem', () => {
  it('path, colon, message', () => {
    expect(formatProblem({ path: 'probes[2].schedule', message: 'invalid cron expression "x"' })).toBe(
      'probes[2].schedule: invalid cron expression "x"',
    );
    expect(formatProblem({ path: '(file)', message: 'cannot read config file c.yaml: no such file' })).toBe(
      '(file): cannot read config file c.yaml: no such file',
    );
  });
});

describe('ConfigError', () => {
  const problems = [
    { path: 'listen', message: 'expected host:port' },
    { path: 'targets.gw.apiKeyFile', message: 'cannot read /k: no such file' },
  ];

  it('an Error named ConfigError, with the file and every problem, one a line, in the order given', () => {
    const err = new ConfigError(problems, '/etc/mcpwatch.yaml');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ConfigError');
    expect(err.path).toBe('/etc/mcpwatch.yaml');
    expect(err.problems).toBe(problems);
    expect(err.message).toBe(
      'invalid config /etc/mcpwatch.yaml:\nlisten: expected host:port\ntargets.gw.apiKeyFile: cannot read /k: no such file',
    );
    expect(String(err)).toMatch(/^ConfigError: invalid config \/etc\/mcpwatch\.yaml:\n/);
  });

  it('no problems: the heading alone', () => {
    expect(new ConfigError([], 'c.yaml').message).toBe('invalid config c.yaml:\n');
  });
});
