import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';

const TARGET = `targets:
  lan:
    url: http://litellm.lan:4000
    apiKey: sk-test-1234567890abcdef
`;

function problems(yaml: string, env: Record<string, string> = {}): string[] {
  const r = parseConfig(yaml, env);
  if (r.ok) throw new Error(`expected problems, config was valid: ${JSON.stringify(r.config)}`);
  return r.problems.map(formatProblem);
}

function valid(yaml: string, env: Record<string, string> = {}): Config {
  const r = parseConfig(yaml, env);
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.problems.map(formatProblem).join('\n')}`);
  return r.config;
}

describe('parseConfig: invalid configs, each problem as path: message', () => {
  const cases: Array<[string, string, string[], Record<string, string>?]> = [
    ['unknown top-level key with a typo', 'listn: 0.0.0.0:1\n', ['listn: unknown key (did you mean "listen"?)']],
    [
      'unknown key in a target',
      `${TARGET}    tiemout: 5s\n`,
      ['targets.lan.tiemout: unknown key (did you mean "timeout"?)'],
    ],
    [
      'unknown key far from any allowed one lists them',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, zzzzzzzz: 1 }\n`,
      [
        'probes[0].zzzzzzzz: unknown key (allowed: name, target, schedule, every, timeout, type, path, method, headers, body, auth, key, maxBodyBytes, expect)',
      ],
    ],
    [
      'bad cron expression',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, schedule: "61 * * * *" }\n`,
      ['probes[0].schedule: invalid cron expression "61 * * * *": 61 is a invalid expression for minute'],
    ],
    [
      'cron with the wrong number of fields',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, schedule: "* *" }\n`,
      ['probes[0].schedule: invalid cron expression "* *": expected 5 or 6 fields but got 2'],
    ],
    [
      'bad duration',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, every: 10x }\n`,
      ['probes[0].every: invalid duration "10x" (expected a number with a unit: ms, s, m or h, e.g. 500ms, 10s, 5m)'],
    ],
    [
      'duration given as a number',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, timeout: 5 }\n`,
      ['probes[0].timeout: expected a duration such as 500ms, 10s or 5m'],
    ],
    [
      'zero duration',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, every: 0s }\n`,
      ['probes[0].every: duration "0s" must be greater than zero'],
    ],
    [
      'duplicate probe names',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan }\n  - { name: a, type: http, target: lan }\n`,
      ['probes[1].name: duplicate probe name "a" (also probes[0])'],
    ],
    [
      'unknown target',
      `${TARGET}probes:\n  - { name: a, type: http, target: wan }\n`,
      ['probes[0].target: unknown target "wan" (targets: lan)'],
    ],
    [
      'unknown target with no targets at all',
      'probes:\n  - { name: a, type: http, target: wan }\n',
      ['probes[0].target: unknown target "wan" (no targets are defined)'],
    ],
    [
      'missing environment variable',
      'targets:\n  lan:\n    url: http://x\n    apiKey: ${LITELLM_MASTER_KEY}\n',
      ['targets.lan.apiKey: environment variable LITELLM_MASTER_KEY is not set'],
    ],
    [
      'unterminated variable',
      'targets:\n  lan:\n    url: "http://x/${HOST"\n',
      ['targets.lan.url: unterminated "${" in "http://x/${HOST" (write $$ for a literal $)'],
    ],
    [
      'unknown probe type',
      `${TARGET}probes:\n  - { name: a, type: grpc, target: lan }\n`,
      [
        'probes[0].type: unknown probe type "grpc" (expected one of http, mcp_catalog, mcp_call, auth_guard, client_config)',
      ],
    ],
    [
      'missing probe type',
      `${TARGET}probes:\n  - { name: a, target: lan }\n`,
      ['probes[0].type: required: one of http, mcp_catalog, mcp_call, auth_guard, client_config'],
    ],
    [
      'missing required field',
      `${TARGET}probes:\n  - { name: a, type: mcp_call, target: lan }\n`,
      ['probes[0].tool: required'],
    ],
    [
      'schedule and every together',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, every: 5s, schedule: "* * * * * *" }\n`,
      ['probes[0]: set schedule or every, not both'],
    ],
    [
      'bad regex',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, expect: { matches: "(" } }\n`,
      ['probes[0].expect.matches: invalid regular expression: /(/: Unterminated group'],
    ],
    [
      'status code out of range',
      `${TARGET}probes:\n  - { name: a, type: http, target: lan, expect: { status: [99] } }\n`,
      ['probes[0].expect.status[0]: must be at least 100'],
    ],
    [
      'non-http URL',
      'targets:\n  lan: { url: "ftp://x" }\n',
      ['targets.lan.url: URL must be http:// or https://, got "ftp:"'],
    ],
    [
      'credentials in the URL',
      'targets:\n  lan: { url: "http://u:p@x" }\n',
      ['targets.lan.url: put credentials in apiKey/apiKeyFile, not in the URL'],
    ],
    [
      'apiKey and apiKeyFile',
      'targets:\n  lan: { url: "http://x", apiKey: a, apiKeyFile: /k }\n',
      ['targets.lan: set apiKey or apiKeyFile, not both'],
    ],
    [
      'Authorization among the extra headers',
      'targets:\n  lan: { url: "http://x", headers: { Authorization: "Bearer x" } }\n',
      [
        'targets.lan.headers.Authorization: set the key with apiKey or apiKeyFile; mcpwatch builds the Authorization header',
      ],
    ],
    [
      'the key header among the extra headers, with apiKeyHeader',
      'targets:\n  lan: { url: "http://x", apiKeyHeader: X-LiteLLM-API-Key, headers: { authorization: "Bearer sso", x-litellm-api-key: "Bearer sk-x" } }\n',
      [
        'targets.lan.headers.x-litellm-api-key: set the key with apiKey or apiKeyFile; mcpwatch builds the x-litellm-api-key header',
      ],
    ],
    [
      'no_bearer_prefix on a target whose key goes in another header',
      'targets:\n  sso: { url: "http://x", apiKey: sk-x, apiKeyHeader: x-litellm-api-key }\nprobes:\n  - { name: g, type: auth_guard, target: sso, checks: [no_key, no_bearer_prefix] }\n',
      [
        'probes[0].checks: no_bearer_prefix checks a key sent in Authorization without "Bearer "; target "sso" sends its key in x-litellm-api-key (apiKeyHeader), where LiteLLM 1.109 takes it with or without the prefix: leave the check out',
      ],
    ],
    [
      'an apiKeyHeader that is no header name',
      'targets:\n  lan: { url: "http://x", apiKeyHeader: "x key" }\n',
      ['targets.lan.apiKeyHeader: invalid HTTP header name'],
    ],
    [
      'bad enum value',
      'logLevel: loud\n',
      ['logLevel: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"'],
    ],
    [
      'bad listen address',
      'listen: "9464"\n',
      ['listen: expected host:port (e.g. 0.0.0.0:9464 or [::]:9464), got "9464"'],
    ],
    ['wrong type', `${TARGET}probes: { a: 1 }\n`, ['probes: expected array, got a mapping']],
    [
      'quoted variable stays a string',
      `${TARGET}probes:\n  - name: a\n    type: mcp_catalog\n    target: lan\n    expect: { minTools: "\${N}" }\n`,
      ['probes[0].expect.minTools: expected number, got string "3"'],
      { N: '3' },
    ],
    [
      'auth_guard without a key to check',
      'targets:\n  lan: { url: "http://x" }\nprobes:\n  - { name: g, type: auth_guard, target: lan }\n',
      [
        'probes[0].validKey: target "lan" has no apiKey: the guard cannot check that a valid key is accepted (set validKey: false to skip that check)',
      ],
    ],
    [
      'maxResponseBytes too small',
      `${TARGET}probes:\n  - { name: a, type: mcp_catalog, target: lan, maxResponseBytes: 100 }\n`,
      ['probes[0].maxResponseBytes: must be at least 1024'],
    ],
    [
      'maxResponseBytes not a whole number',
      `${TARGET}probes:\n  - { name: a, type: auth_guard, target: lan, validKey: false, maxResponseBytes: 20000.5 }\n`,
      ['probes[0].maxResponseBytes: expected a whole number of bytes'],
    ],
    [
      'YAML syntax error',
      'a: [\n',
      ['yaml (line 2, column 1): Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    ['not a mapping', '- a\n- b\n', ['(root): the config must be a YAML mapping']],
    ['duplicate YAML keys', 'listen: a:1\nlisten: b:2\n', ['yaml (line 2, column 1): Map keys must be unique']],
    [
      'an unquoted ${VAR} in a flow mapping: YAML reads { as a mapping; the hint says to quote it, once',
      'targets:\n  lan: { url: http://x, apiKey: ${KEY} }\n',
      [
        'yaml (line 2, column 34): Unexpected flow-map-start at node end (an unquoted ${KEY} in { } or [ ]: quote it, "${KEY}")',
        'yaml (line 2, column 35): Unexpected scalar at node end',
        'yaml (line 2, column 40): Unexpected flow-map-end token in YAML stream: "}"',
      ],
    ],
  ];

  it.each(cases)('%s', (_name, yaml, expected, env) => {
    expect(problems(yaml, env)).toEqual(expected);
  });

  it('reports every problem at once, in the order they appear in the file', () => {
    const yaml = `listen: nope
targets:
  lan:
    url: http://x
    apiKey: \${MISSING}
    tiemout: 5s
probes:
  - { name: a, type: http, target: lan, every: 10x }
  - { name: a, type: http, target: nowhere, schedule: "99 * * * *" }
`;
    expect(problems(yaml)).toEqual([
      'listen: expected host:port (e.g. 0.0.0.0:9464 or [::]:9464), got "nope"',
      'targets.lan.apiKey: environment variable MISSING is not set',
      'targets.lan.tiemout: unknown key (did you mean "timeout"?)',
      'probes[0].every: invalid duration "10x" (expected a number with a unit: ms, s, m or h, e.g. 500ms, 10s, 5m)',
      'probes[1].name: duplicate probe name "a" (also probes[0])',
      'probes[1].target: unknown target "nowhere" (targets: lan)',
      'probes[1].schedule: invalid cron expression "99 * * * *": 99 is a invalid expression for minute',
    ]);
  });

  it('never leaks the value of a variable into a problem', () => {
    const out = problems('targets:\n  lan:\n    url: ${URL}\n    apiKey: ${KEY}\n', { KEY: 'sk-secret-value-123456' });
    expect(out.join('\n')).not.toContain('sk-secret-value');
  });
});

describe('parseConfig: valid configs', () => {
  it('the contract example, with defaults filled in', () => {
    const c = valid(
      `listen: 0.0.0.0:9464
logLevel: info
stateDir: ./data
targets:
  litellm-lan:
    url: http://litellm.linuxserver.lan
    apiKey: \${LITELLM_MASTER_KEY}
    mcpPath: /mcp/
    transport: streamable-http
    headers: {}
    timeout: 10s
    tls: { insecureSkipVerify: false }
probes:
  - name: lan-catalog
    type: mcp_catalog
    target: litellm-lan
    servers: [mcp_postgres, mcp_filesystem]
    schedule: "*/30 * * * * *"
    timeout: 15s
    expect: { tools: [mcp_filesystem-read_file], minTools: 1 }
  - name: lan-fs-call
    type: mcp_call
    target: litellm-lan
    servers: [mcp_filesystem]
    tool: mcp_filesystem-list_allowed_directories
    arguments: {}
    every: 1m
    expect: { isError: false, contains: "/" }
  - name: lan-auth-guard
    type: auth_guard
    target: litellm-lan
    every: 5m
  - name: lan-liveliness
    type: http
    target: litellm-lan
    path: /health/liveliness
    auth: false
    every: 30s
    expect: { status: [200] }
logs:
  docker: { socketPath: /var/run/docker.sock }
  containers:
    - name: litellm
      rules: [litellm]
      extraRules:
        - { name: my_rule, category: auth, kind: custom, regex: "x+" }
mcpServer:
  enabled: true
  token: \${MCPWATCH_TOKEN}
`,
      { LITELLM_MASTER_KEY: 'sk-master', MCPWATCH_TOKEN: 'tok' },
    );
    expect(c.targets['litellm-lan']).toMatchObject({
      name: 'litellm-lan',
      apiKey: 'sk-master',
      timeout: 10_000,
      mcpPath: '/mcp/',
    });
    expect(c.probes.map((p) => [p.name, p.scheduleSpec, p.timeoutMs])).toEqual([
      ['lan-catalog', { kind: 'cron', expr: '*/30 * * * * *' }, 15_000],
      ['lan-fs-call', { kind: 'every', ms: 60_000 }, 10_000],
      ['lan-auth-guard', { kind: 'every', ms: 300_000 }, 10_000],
      ['lan-liveliness', { kind: 'every', ms: 30_000 }, 10_000],
    ]);
    expect(c.mcpServer).toEqual({ enabled: true, token: 'tok', allowUnauthenticated: false });
    expect(c.logs?.containers[0]).toMatchObject({ name: 'litellm', rules: ['litellm'], from: 'end' });
  });

  it('takes the deprecated mcpServer.allowedOrigins and allowedHosts into web, canonical, with a warning each', () => {
    const r = parseConfig(
      'mcpServer:\n  allowedOrigins: ["HTTP://LocalHost:9464/", "https://grafana.example.com:443", "null"]\n  allowedHosts: [LOCALHOST, "127.0.0.1:9464", "[::1]"]\n',
      {},
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.config.web).toEqual({
      allowedOrigins: ['http://localhost:9464', 'https://grafana.example.com', 'null'],
      allowedHosts: ['localhost', '127.0.0.1:9464', '[::1]'],
      enableLifecycle: false,
    });
    // The lists alone do not turn /mcp on.
    expect(r.config.mcpServer).toEqual({ enabled: false, allowUnauthenticated: false });
    expect(r.warnings.map(formatProblem)).toEqual([
      'mcpServer.allowedOrigins: deprecated: move it to web.allowedOrigins (it applies to every route now, not only /mcp)',
      'mcpServer.allowedHosts: deprecated: move it to web.allowedHosts (it applies to every route now, not only /mcp)',
    ]);
  });

  it('refuses origins and hosts that are not ones, naming the entry', () => {
    expect(
      problems(
        'mcpServer:\n  allowedOrigins: ["http://localhost:9464/mcp", "localhost"]\n  allowedHosts: ["http://localhost", "a:99999"]\n',
      ),
    ).toEqual([
      'mcpServer.allowedOrigins[0]: "http://localhost:9464/mcp" is not an origin: expected scheme://host[:port] with no path, e.g. http://localhost:9464',
      'mcpServer.allowedOrigins[1]: "localhost" is not an origin: expected scheme://host[:port] with no path, e.g. http://localhost:9464',
      'mcpServer.allowedHosts[0]: "http://localhost" is not a host: expected a name or address with an optional port, e.g. localhost, 127.0.0.1:9464 or [::1]',
      'mcpServer.allowedHosts[1]: "a:99999" is not a host: expected a name or address with an optional port, e.g. localhost, 127.0.0.1:9464 or [::1]',
    ]);
  });

  it('fills defaults for an empty file', () => {
    const c = valid('');
    expect(c).toMatchObject({
      listen: '0.0.0.0:9464',
      logLevel: 'info',
      stateDir: './data',
      probes: [],
      targets: {},
      maxConcurrentProbes: 16,
      mcpServer: { enabled: false },
    });
  });

  it('expands ${VAR:-default}, $$ and leaves other $ alone', () => {
    const c = valid(
      `targets:
  t:
    url: \${URL:-http://localhost:4000}
    headers:
      x-price: "$$5 and $HOME"
`,
      {},
    );
    expect(c.targets.t!.url).toBe('http://localhost:4000');
    expect(c.targets.t!.headers['x-price']).toBe('$5 and $HOME');
  });

  it('re-types a plain variable (number, boolean) but not a quoted one', () => {
    const c = valid(
      `${TARGET}probes:
  - name: a
    type: mcp_catalog
    target: lan
    expect:
      minTools: \${N}
  - name: b
    type: http
    target: lan
    auth: \${AUTH}
`,
      { N: '3', AUTH: 'false' },
    );
    expect(c.probes[0]).toMatchObject({ expect: { minTools: 3 } });
    expect(c.probes[1]).toMatchObject({ auth: false });
  });

  it('does not expand variables in comments', () => {
    valid(`# apiKey: \${NOT_SET}\n${TARGET}`);
  });

  it('an empty key means no key, with a warning', () => {
    const r = parseConfig('targets:\n  t:\n    url: http://x\n    apiKey: ${K:-}\n', {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.targets.t!.apiKey).toBeUndefined();
    expect(r.warnings.map(formatProblem)).toEqual([
      'targets.t: no apiKey: requests to this target are sent without a key',
    ]);
  });

  it('takes the timeout from the probe, else the target, else 10s; warns when it exceeds the interval', () => {
    const r = parseConfig(
      `targets:
  a: { url: "http://a", apiKey: k1, timeout: 3s }
  b: { url: "http://b", apiKey: k2 }
probes:
  - { name: p1, type: http, target: a }
  - { name: p2, type: http, target: b }
  - { name: p3, type: http, target: b, timeout: 20s, every: 5s }
`,
      {},
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.config.probes.map((p) => p.timeoutMs)).toEqual([3_000, 10_000, 20_000]);
    expect(r.warnings.map(formatProblem)).toEqual([
      'probes[2].timeout: timeout 20s is longer than the interval 5s: runs that take that long skip the next tick',
    ]);
  });

  it('warns of an oauth2 tokenUrl in plain http to another host (the SDK sends no credentials there)', () => {
    const at = (tokenUrl: string): string[] => {
      const r = parseConfig(
        `targets:\n  t: { url: "https://gw", apiKey: k, apiKeyHeader: x-litellm-api-key, oauth2: { clientId: c, clientSecret: s, tokenUrl: "${tokenUrl}" } }\n`,
        {},
      );
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
      return r.warnings.map(formatProblem);
    };
    expect(at('http://sso.lan/realms/x/protocol/openid-connect/token?x=1')).toEqual([
      'targets.t.oauth2.tokenUrl: http://sso.lan/realms/x/protocol/openid-connect/token is plain http to another ' +
        "host: the MCP SDK sends the client's credentials nowhere but https (or this machine), so every run of " +
        'this target fails tls_error; use https',
    ]);
    for (const quiet of [
      'https://sso.lan/token',
      'http://127.0.0.1:8080/token',
      'http://localhost/t',
      'http://[::1]/t',
    ])
      expect(at(quiet), quiet).toEqual([]);
  });

  it('accepts composite durations and IPv6 listen addresses', () => {
    const c = valid(
      `listen: "[::1]:9999"\n${TARGET}probes:\n  - { name: a, type: http, target: lan, every: 1m30s, timeout: 1.5s }\n`,
    );
    expect(c.probes[0]!.scheduleSpec).toEqual({ kind: 'every', ms: 90_000 });
    expect(c.probes[0]!.timeoutMs).toBe(1_500);
  });
});

describe('the shipped config files', () => {
  it.each(['config/mcpwatch.yaml', 'config/mcpwatch.compose.yaml'])(
    '%s is valid with nothing set in the environment',
    async (file) => {
      const { readFileSync } = await import('node:fs');
      const r = parseConfig(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'), {});
      expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([]);
    },
  );
});

describe('YAML that cannot become a config', () => {
  it('an alias without its anchor is a problem, not a crash', () => {
    expect(problems('listen: *nowhere\n')).toEqual([
      'yaml: Unresolved alias (the anchor must be set before the alias): nowhere',
    ]);
  });
  it('too many aliases (a "billion laughs") are refused', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const out = problems(lines.join('\n') + '\n');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^yaml: .*alias/i);
  });
});

describe('apiKeyHeader and the guard', () => {
  it('a guard of a target whose key goes in another header leaves no_bearer_prefix out of its default checks', () => {
    const r = parseConfig(
      'targets:\n  sso: { url: "http://x", apiKey: sk-x, apiKeyHeader: X-LiteLLM-API-Key }\n  lan: { url: "http://x", apiKey: sk-x }\nprobes:\n  - { name: g, type: auth_guard, target: sso }\n  - { name: h, type: auth_guard, target: lan }\n',
      {},
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.targets.sso!.apiKeyHeader).toBe('x-litellm-api-key');
    expect(r.config.probes.map((p) => (p.type === 'auth_guard' ? p.checks : []))).toEqual([
      ['no_key', 'wrong_key'],
      ['no_key', 'no_bearer_prefix', 'wrong_key'],
    ]);
  });
});

describe('oauth2 (client credentials for an SSO gate)', () => {
  const SSO =
    'targets:\n  sso:\n    url: https://litellm.example.com\n    apiKey: sk-x\n    apiKeyHeader: x-litellm-api-key\n';
  const cases: Array<[string, string, string[]]> = [
    [
      'no way to authenticate',
      `${SSO}    oauth2: { clientId: mcpwatch }\n`,
      ['targets.sso.oauth2: set clientSecret, clientSecretFile or privateKeyFile (private_key_jwt)'],
    ],
    [
      'two ways to authenticate',
      `${SSO}    oauth2: { clientId: mcpwatch, clientSecret: s3cret, privateKeyFile: /k.pem }\n`,
      [
        'targets.sso.oauth2: set one of clientSecret, clientSecretFile and privateKeyFile, not clientSecret and privateKeyFile',
      ],
    ],
    [
      'signingAlgorithm without a key',
      `${SSO}    oauth2: { clientId: c, clientSecret: s3cret, signingAlgorithm: RS256 }\n`,
      [
        'targets.sso.oauth2.signingAlgorithm: signingAlgorithm signs a private_key_jwt assertion: set privateKeyFile too, or leave it out',
      ],
    ],
    [
      'private_key_jwt without a key',
      `${SSO}    oauth2: { clientId: c, clientSecret: s3cret, tokenAuthMethod: private_key_jwt }\n`,
      [
        'targets.sso.oauth2.tokenAuthMethod: private_key_jwt needs privateKeyFile (the key that signs the client assertion)',
      ],
    ],
    [
      'a secret method with a key',
      `${SSO}    oauth2: { clientId: c, privateKeyFile: /k.pem, tokenAuthMethod: client_secret_post }\n`,
      [
        'targets.sso.oauth2.tokenAuthMethod: client_secret_post sends a client secret; with privateKeyFile the method is private_key_jwt',
      ],
    ],
    [
      'an unknown method',
      `${SSO}    oauth2: { clientId: c, clientSecret: s3cret, tokenAuthMethod: none }\n`,
      [
        'targets.sso.oauth2.tokenAuthMethod: expected one of "client_secret_basic", "client_secret_post", "private_key_jwt", got "none"',
      ],
    ],
    [
      'an unknown algorithm',
      `${SSO}    oauth2: { clientId: c, privateKeyFile: /k.pem, signingAlgorithm: HS256 }\n`,
      ['targets.sso.oauth2.signingAlgorithm: expected one of "RS256", "ES256", got "HS256"'],
    ],
    [
      'a typo',
      `${SSO}    oauth2: { clientId: c, clientSecret: s3cret, tokenURL: "https://sso" }\n`,
      ['targets.sso.oauth2.tokenURL: unknown key (did you mean "tokenUrl"?)'],
    ],
    [
      'a scope with a space',
      `${SSO}    oauth2: { clientId: c, clientSecret: s3cret, scopes: ["openid profile"] }\n`,
      ['targets.sso.oauth2.scopes[0]: a scope is one word of printable characters (no spaces or quotes)'],
    ],
    [
      'the key in Authorization beside the token',
      'targets:\n  sso: { url: "https://x", apiKey: sk-x, oauth2: { clientId: c, clientSecret: s3cret } }\n',
      [
        'targets.sso.apiKeyHeader: oauth2 puts the SSO token in Authorization, so the gateway key needs a header of its own: apiKeyHeader: x-litellm-api-key (LiteLLM reads it)',
      ],
    ],
    [
      'Authorization among the extra headers beside the token',
      `${SSO}    headers: { Authorization: "Bearer x" }\n    oauth2: { clientId: c, clientSecret: s3cret }\n`,
      ['targets.sso.headers.Authorization: oauth2 sends its access token in Authorization: leave this header out'],
    ],
    [
      'no_sso_token on a target without an SSO gate',
      `${TARGET}probes:\n  - { name: g, type: auth_guard, target: lan, checks: [no_sso_token] }\n`,
      [
        'probes[0].checks: no_sso_token checks the SSO gate in front of a gateway; target "lan" has none configured (oauth2): leave the check out, or set the target\'s oauth2',
      ],
    ],
  ];
  it.each(cases)('%s', (_name, yaml, expected) => {
    expect(problems(yaml)).toEqual(expected);
  });

  it('a target with oauth2: its guard checks the gate too (no_sso_token), without no_bearer_prefix; the key goes beside the token', () => {
    const c = valid(
      `${SSO}    oauth2: { clientId: mcpwatch, clientSecret: "\${SECRET}", scopes: [openid] }\n${TARGET.replace('targets:\n', '')}probes:\n  - { name: g, type: auth_guard, target: sso }\n  - { name: h, type: auth_guard, target: lan }\n`,
      { SECRET: 's3cret-value' },
    );
    expect(c.targets.sso!.oauth2).toEqual({ clientId: 'mcpwatch', clientSecret: 's3cret-value', scopes: ['openid'] });
    expect(c.probes.map((p) => (p.type === 'auth_guard' ? p.checks : []))).toEqual([
      ['no_key', 'wrong_key', 'no_sso_token'],
      ['no_key', 'no_bearer_prefix', 'wrong_key'],
    ]);
  });

  it('an OAuth-protected MCP server without a gateway key may use Authorization for the token', () => {
    const c = valid(
      'targets:\n  mcp: { url: "https://mcp.example.com", oauth2: { clientId: c, clientSecret: s3cret } }\n',
    );
    expect(c.targets.mcp!.apiKeyHeader).toBe('authorization');
  });
});

describe('client_config probes', () => {
  it('a file and the entry in it; live by default', () => {
    const c = valid(
      `${TARGET}probes:\n  - { name: codex, type: client_config, target: lan, file: /home/ops/.codex/config.toml, server: litellm, every: 10m }\n`,
    );
    expect(c.probes[0]).toMatchObject({
      type: 'client_config',
      file: '/home/ops/.codex/config.toml',
      server: 'litellm',
      live: true,
    });
  });
  it('needs both', () => {
    expect(problems(`${TARGET}probes:\n  - { name: codex, type: client_config, target: lan }\n`)).toEqual([
      'probes[0].file: required',
      'probes[0].server: required',
    ]);
  });
});
