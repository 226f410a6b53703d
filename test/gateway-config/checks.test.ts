import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGatewayConfig, secretTexts } from '../../src/gateway-config/checks.js';
import { gatewayEnv, parseEnvFile } from '../../src/gateway-config/env-file.js';
import { parseGatewayConfig } from '../../src/gateway-config/parse.js';
import { REPO } from '../support/agent-proc.js';

// LiteLLM config.yaml files, right and wrong, with the exact file:line, severity and code of each finding. What
// LiteLLM itself does with each kind of mistake (refuses to start, starts without the server, serves without a
// key) was seen on real 1.77.1, 1.109.1 and 1.110.2: docs/gateway-config.md, test/integration/gateway-config.test.ts.

const SECRET_URI = 'postgresql://mcp:Very-Secret-Pw-42@db:5432/mcp';
const SECRET_KEY = 'sk-written-in-clear-0123456789';

function check(text: string, env: Record<string, string> = {}, version?: string): string[] {
  const cfg = parseGatewayConfig('litellm.yaml', text);
  const findings = checkGatewayConfig(cfg, gatewayEnv([], env), version === undefined ? {} : { version });
  for (const f of findings) {
    // No value is ever in a finding.
    expect(`${f.message} ${f.fix}`).not.toContain('Very-Secret');
    expect(`${f.message} ${f.fix}`).not.toContain('written-in-clear');
  }
  return findings.map((f) => `${f.line}: ${f.severity}: ${f.server}: [${f.code}]`);
}

const STDIO_ON = { LITELLM_ENABLE_MCP_STDIO: 'true', LITELLM_MASTER_KEY: 'sk-k', DATABASE_URI: 'x' };

describe('the shipped config/litellm.yaml', () => {
  const text = readFileSync(join(REPO, 'config/litellm.yaml'), 'utf8');

  it('passes with postgres.env.example and the variables docker-compose.yml sets', () => {
    const envFile = parseEnvFile('postgres.env', readFileSync(join(REPO, 'postgres.env.example'), 'utf8'));
    const cfg = parseGatewayConfig('config/litellm.yaml', text);
    const env = gatewayEnv([envFile], { LITELLM_MASTER_KEY: 'sk-k', LITELLM_ENABLE_MCP_STDIO: 'true' });
    expect(checkGatewayConfig(cfg, env)).toEqual([]);
  });

  it('without its env file: DATABASE_URI and the master key unset, stdio not enabled (errors: version unknown)', () => {
    expect(check(text)).toEqual([
      '11: error: general_settings.master_key: [unset_variable]',
      '14: error: mcp_postgres: [stdio_disabled]',
      '28: error: mcp_postgres: [unset_variable]',
      '30: error: mcp_filesystem: [stdio_disabled]',
    ]);
  });

  it('on 1.77.1 (read by --live) the stdio gate is a warning: that release runs the servers anyway', () => {
    expect(check(text, { LITELLM_MASTER_KEY: 'k', DATABASE_URI: 'x' }, '1.77.1')).toEqual([
      '14: warning: mcp_postgres: [stdio_disabled]',
      '30: warning: mcp_filesystem: [stdio_disabled]',
    ]);
    expect(check(text, { LITELLM_MASTER_KEY: 'k', DATABASE_URI: 'x' }, '1.110.2')).toEqual([
      '14: error: mcp_postgres: [stdio_disabled]',
      '30: error: mcp_filesystem: [stdio_disabled]',
    ]);
  });
});

describe('mcp_servers entries', () => {
  const cases: Array<[string, string, Record<string, string>, string[]]> = [
    [
      'an http server with its URL, a stdio server with an allowed command: nothing',
      'mcp_servers:\n  web:\n    transport: http\n    url: https://mcp.example/mcp\n  fs:\n    transport: stdio\n' +
        '    command: /usr/local/bin/node\n    args: ["server.js"]\n',
      STDIO_ON,
      [],
    ],
    [
      'no transport is http (LiteLLM 1.77 and 1.109): a command alone is never run',
      'mcp_servers:\n  fs:\n    command: npx\n    args: ["-y", "x"]\n',
      STDIO_ON,
      ['2: error: fs: [invalid_server]'],
    ],
    [
      'an unknown transport, and a name with "-" (LiteLLM does not start)',
      'mcp_servers:\n  my-server:\n    transport: websocket\n    url: ws://x\n',
      STDIO_ON,
      ['2: error: my-server: [invalid_server]', '3: error: my-server: [invalid_server]'],
    ],
    [
      'stdio without command; args not a list of strings; env not a map',
      'mcp_servers:\n  a:\n    transport: stdio\n  b:\n    transport: stdio\n    command: uvx\n    args: "--from x"\n' +
        '    env: [A, B]\n',
      STDIO_ON,
      ['3: error: a: [invalid_server]', '7: error: b: [invalid_server]', '8: error: b: [invalid_server]'],
    ],
    [
      'a command outside the allowlist (error: version unknown); LITELLM_MCP_STDIO_EXTRA_COMMANDS allows it',
      'mcp_servers:\n  pg:\n    transport: stdio\n    command: postgres-mcp\n    args: []\n',
      STDIO_ON,
      ['4: error: pg: [command_not_allowed]'],
    ],
    [
      'the extra commands, as LiteLLM splits them (on ",", not trimmed)',
      'mcp_servers:\n  pg:\n    transport: stdio\n    command: postgres-mcp\n    args: []\n',
      { ...STDIO_ON, LITELLM_MCP_STDIO_EXTRA_COMMANDS: 'env,postgres-mcp' },
      [],
    ],
    [
      'LITELLM_ENABLE_MCP_STDIO other than "true" (any case, spaces around)',
      'mcp_servers:\n  fs:\n    transport: stdio\n    command: NPX.cmd\n    args: []\n',
      { LITELLM_ENABLE_MCP_STDIO: ' TRUE ' },
      [],
    ],
    [
      'LITELLM_ENABLE_MCP_STDIO=1 is not "true"',
      'mcp_servers:\n  fs:\n    transport: stdio\n    command: npx\n    args: []\n',
      { LITELLM_ENABLE_MCP_STDIO: '1' },
      ['3: error: fs: [stdio_disabled]'],
    ],
    [
      'a name written twice: the last entry is the one LiteLLM reads (PyYAML)',
      'mcp_servers:\n  fs:\n    transport: stdio\n  fs:\n    transport: http\n    url: http://x/mcp\n',
      STDIO_ON,
      [],
    ],
  ];
  it.each(cases)('%s', (_name, text, env, expected) => {
    expect(check(text, env)).toEqual(expected);
  });
});

describe('references and secrets', () => {
  const cases: Array<[string, string, Record<string, string>, string[]]> = [
    [
      'os.environ/ that no env file nor the environment sets: the master key, a server env, a URL',
      'general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\nmcp_servers:\n  web:\n    transport: http\n' +
        '    url: os.environ/WEB_URL\n    env:\n      TOKEN: os.environ/WEB_TOKEN\n',
      {},
      [
        '2: error: general_settings.master_key: [unset_variable]',
        '6: error: web: [unset_variable]',
        '8: error: web: [unset_variable]',
      ],
    ],
    [
      'set, but empty: as unset',
      'general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n',
      { LITELLM_MASTER_KEY: '' },
      ['2: error: general_settings.master_key: [unset_variable]'],
    ],
    [
      'os.environ/ in args is not replaced (LiteLLM replaces only values of a map)',
      'mcp_servers:\n  pg:\n    transport: stdio\n    command: uvx\n    args: ["postgres-mcp", "os.environ/DATABASE_URI"]\n',
      { ...STDIO_ON },
      ['5: error: pg: [unexpanded_reference]'],
    ],
    [
      '${VAR} is never replaced by LiteLLM, set or not',
      'mcp_servers:\n  pg:\n    transport: stdio\n    command: uvx\n    args: []\n    env:\n' +
        '      DATABASE_URI: "${DATABASE_URI}"\n',
      { ...STDIO_ON },
      ['7: error: pg: [placeholder_not_replaced]'],
    ],
    [
      'secrets in clear: the master key, a password in a URI, an sk- key anywhere, a field named as a credential',
      `general_settings:\n  master_key: not-a-reference-123\n  database_url: ${SECRET_URI}\nmcp_servers:\n  pg:\n` +
        `    transport: http\n    url: http://x/mcp\n    auth_value: ${SECRET_KEY}\n    env:\n` +
        `      DATABASE_URI: ${SECRET_URI}\n      API_TOKEN: abcdef123\nmodel_list:\n  - model_name: m\n` +
        `    litellm_params:\n      api_key: ${SECRET_KEY}\n`,
      {},
      [
        '2: error: general_settings.master_key: [plaintext_secret]',
        '3: error: general_settings.database_url: [plaintext_secret]',
        '8: error: pg: [plaintext_secret]',
        '10: error: pg: [plaintext_secret]',
        '11: error: pg: [plaintext_secret]',
        '15: error: model_list[0].litellm_params.api_key: [plaintext_secret]',
      ],
    ],
    [
      'not secrets: references, empty values, a URI without a password, a number',
      'general_settings:\n  master_key: os.environ/K\n  database_url: postgresql://db:5432/x\nlitellm_settings:\n' +
        '  max_tokens: 100\n  api_key: ""\n',
      { K: 'x' },
      [],
    ],
  ];
  it.each(cases)('%s', (_name, text, env, expected) => {
    expect(check(text, env)).toEqual(expected);
  });

  it('the fix names the variable to move a secret to; the message names the setting, never the value', () => {
    const cfg = parseGatewayConfig(
      'litellm.yaml',
      `general_settings:\n  master_key: ${SECRET_KEY}\nmcp_servers:\n  pg:\n    transport: http\n    url: http://x\n` +
        `    env:\n      DATABASE_URI: ${SECRET_URI}\n`,
    );
    const f = checkGatewayConfig(cfg, gatewayEnv([], {}));
    expect(f.map((x) => x.fix)).toEqual([
      'move it to the env file: write master_key: os.environ/LITELLM_MASTER_KEY here and set LITELLM_MASTER_KEY in the env file',
      'move it to the env file: write DATABASE_URI: os.environ/DATABASE_URI here and set DATABASE_URI in the env file',
    ]);
    expect(f[0]!.message).toBe(
      'general_settings.master_key holds the master key written in config.yaml: anyone who can read the file ' +
        '(or the image, or the repository) has it',
    );
    expect(secretTexts(cfg).sort()).toEqual([SECRET_URI, SECRET_KEY].sort());
  });
});
