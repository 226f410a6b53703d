import { describe, expect, it } from 'vitest';
import {
  configSchema,
  containerSchema,
  extraRuleSchema,
  logsSchema,
  MAX_SHARDS,
  mcpServerSchema,
  shardSchema,
  webSchema,
} from '../../src/config/schema.js';

// The config file's top level, straight through its zod schema: its defaults, the MCP endpoint's origins
// and hosts kept canonical, logs, shards. (listen's host:port is fields.ts's; targets and probes have
// their own tests.)

const messages = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('configSchema', () => {
  it('an empty config: every default', () => {
    expect(configSchema.parse({})).toEqual({
      listen: '0.0.0.0:9464',
      logLevel: 'info',
      stateDir: './data',
      maxConcurrentProbes: 16,
      targets: {},
      probes: [],
      mcpServer: { enabled: false, allowUnauthenticated: false },
      shard: { index: 0, total: 1 },
      web: { allowedOrigins: [], allowedHosts: [], enableLifecycle: false },
    });
  });

  it('/mcp is on when the section names a token or a token file, or says enabled: true; else off', () => {
    const enabled = (mcpServer: object): boolean => configSchema.parse({ mcpServer }).mcpServer.enabled;
    expect(enabled({})).toBe(false);
    // An mcpServer section with only the (old) Origin list does not turn the endpoint on by itself.
    expect(enabled({ allowedOrigins: ['http://localhost:9464'] })).toBe(false);
    expect(enabled({ token: '' })).toBe(false); // ${MCPWATCH_TOKEN:-} with nothing set
    expect(enabled({ tokenFile: '' })).toBe(false);
    expect(enabled({ token: 't' })).toBe(true);
    expect(enabled({ tokenFile: '/run/secrets/mcpwatch_token' })).toBe(true);
    expect(enabled({ enabled: true })).toBe(true);
    expect(configSchema.parse({ mcpServer: { enabled: false, token: 't' } }).mcpServer).toEqual({
      enabled: false,
      token: 't',
      allowUnauthenticated: false,
    });
  });

  it('refuses unknown keys, and values out of range', () => {
    expect(configSchema.safeParse({ listn: 'x' }).success).toBe(false);
    expect(configSchema.safeParse({ maxConcurrentProbes: 0 }).success).toBe(false);
    expect(configSchema.safeParse({ maxConcurrentProbes: 1001 }).success).toBe(false);
    expect(configSchema.safeParse({ logLevel: 'verbose' }).success).toBe(false);
    expect(configSchema.safeParse({ stateDir: '' }).success).toBe(false);
    expect(messages(configSchema.safeParse({ listen: 'localhost' }))).toEqual([
      'listen: expected host:port (e.g. 0.0.0.0:9464 or [::]:9464), got "localhost"',
    ]);
  });
});

describe('webSchema', () => {
  it('keeps origins and hosts canonical, as the deprecated mcpServer lists below', () => {
    expect(webSchema.parse({ allowedOrigins: ['HTTP://LocalHost:80/'], allowedHosts: ['Mcpwatch.LAN:9464'] })).toEqual({
      allowedOrigins: ['http://localhost'],
      allowedHosts: ['mcpwatch.lan:9464'],
      enableLifecycle: false,
    });
    expect(messages(webSchema.safeParse({ allowedOrigins: ['localhost'], enableLifecycle: 'yes' }))).toEqual([
      'allowedOrigins.0: "localhost" is not an origin: expected scheme://host[:port] with no path, e.g. http://localhost:9464',
      'enableLifecycle: Invalid input: expected boolean, received string',
    ]);
  });
});

describe('mcpServerSchema (its deprecated allowedOrigins / allowedHosts): origins and hosts in canonical form', () => {
  it('origins lower-cased, the default port and a trailing slash dropped; "null" kept', () => {
    const s = mcpServerSchema.parse({
      allowedOrigins: ['HTTP://LocalHost:80', 'https://Grafana.Example.com:443/', 'http://localhost:9464', 'null'],
    });
    expect(s.allowedOrigins).toEqual([
      'http://localhost',
      'https://grafana.example.com',
      'http://localhost:9464',
      'null',
    ]);
  });

  it('hosts lower-cased, a port kept, IPv6 in brackets', () => {
    const s = mcpServerSchema.parse({ allowedHosts: ['LOCALHOST', 'Mcpwatch.LAN:9464', '[::1]', '127.0.0.1:9464'] });
    expect(s.allowedHosts).toEqual(['localhost', 'mcpwatch.lan:9464', '[::1]', '127.0.0.1:9464']);
  });

  it('what is not an origin or a host is refused, saying what is expected', () => {
    expect(
      messages(mcpServerSchema.safeParse({ allowedOrigins: ['http://x/path'], allowedHosts: ['a b', 'h:0'] })),
    ).toEqual([
      'allowedOrigins.0: "http://x/path" is not an origin: expected scheme://host[:port] with no path, e.g. http://localhost:9464',
      'allowedHosts.0: "a b" is not a host: expected a name or address with an optional port, e.g. localhost, 127.0.0.1:9464 or [::1]',
      'allowedHosts.1: "h:0" is not a host: expected a name or address with an optional port, e.g. localhost, 127.0.0.1:9464 or [::1]',
    ]);
  });
});

describe('logs', () => {
  it('defaults: the Docker socket, no containers; a container reads the LiteLLM rules from the end', () => {
    expect(logsSchema.parse({})).toEqual({ docker: { socketPath: '/var/run/docker.sock' }, containers: [] });
    expect(containerSchema.parse({ name: 'litellm' })).toEqual({
      name: 'litellm',
      rules: ['litellm'],
      extraRules: [],
      from: 'end',
      watchFiles: [],
    });
    expect(
      containerSchema.parse({ name: 'litellm', target: 'lan', watchFiles: ['/gateway/config.yaml'] }),
    ).toMatchObject({ target: 'lan', watchFiles: ['/gateway/config.yaml'] });
    expect(containerSchema.safeParse({ name: 'litellm', watchFiles: [''] }).success).toBe(false);
    expect(logsSchema.parse({ docker: { url: 'http://docker-proxy:2375' } }).docker).toEqual({
      socketPath: '/var/run/docker.sock',
      url: 'http://docker-proxy:2375',
    });
  });

  it("an extra rule's kind is a word and its regex compiles", () => {
    const rule = { name: 'r1', category: 'auth', kind: 'key_expired', regex: 'expired' };
    expect(extraRuleSchema.parse(rule)).toEqual(rule);
    expect(messages(extraRuleSchema.safeParse({ ...rule, kind: 'key-expired' }))).toEqual([
      'kind: use letters, digits and _',
    ]);
    expect(messages(extraRuleSchema.safeParse({ ...rule, regex: '(' }))).toEqual([
      expect.stringMatching(/^regex: invalid regular expression/),
    ]);
    expect(extraRuleSchema.safeParse({ ...rule, category: 'db' }).success).toBe(false);
  });
});

describe('shardSchema', () => {
  it('defaults to the whole (0 of 1); whole numbers within 1..MAX_SHARDS', () => {
    expect(shardSchema.parse({})).toEqual({ index: 0, total: 1 });
    expect(shardSchema.parse({ index: 2, total: MAX_SHARDS })).toEqual({ index: 2, total: 1000 });
    expect(messages(shardSchema.safeParse({ index: 0.5 }))).toEqual(['index: expected a whole number']);
    expect(shardSchema.safeParse({ total: MAX_SHARDS + 1 }).success).toBe(false);
    expect(shardSchema.safeParse({ index: -1 }).success).toBe(false);
  });
});
