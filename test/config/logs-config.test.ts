import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import { DockerSource } from '../../src/logs/docker-source.js';

// logs.docker: the socket (default) or an HTTP endpoint such as a socket proxy's.

function parse(yaml: string) {
  const r = parseConfig(yaml, {});
  return r.ok
    ? { ok: true as const, logs: r.config.logs }
    : { ok: false as const, problems: r.problems.map(formatProblem) };
}

describe('logs.docker', () => {
  it('defaults to the Docker socket', () => {
    const r = parse('logs:\n  containers: [{ name: litellm }]\n');
    expect(r.ok && r.logs?.docker).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(new DockerSource({ socketPath: '/var/run/docker.sock' }).endpoint).toBe('/var/run/docker.sock');
  });

  it('takes a socket proxy URL', () => {
    const r = parse('logs:\n  docker: { url: "http://docker-proxy:2375" }\n  containers: [{ name: litellm }]\n');
    expect(r.ok && r.logs?.docker.url).toBe('http://docker-proxy:2375');
    expect(new DockerSource({ socketPath: '/x', url: 'http://docker-proxy:2375' }).endpoint).toBe(
      'http://docker-proxy:2375',
    );
  });

  it.each([
    ['tcp://docker-proxy:2375', 'logs.docker.url: URL must be http:// or https://, got "tcp:"'],
    ['not a url', 'logs.docker.url: invalid URL "not a url"'],
    ['http://user:pw@docker-proxy:2375', 'logs.docker.url: put credentials in apiKey/apiKeyFile, not in the URL'],
  ])('rejects url %s', (url, problem) => {
    const r = parse(`logs:\n  docker: { url: "${url}" }\n`);
    expect(r.ok ? [] : r.problems).toEqual([problem]);
  });
});
