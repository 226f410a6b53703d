import { describe, expect, it } from 'vitest';
import { gatewayEnv, parseEnvFile } from '../../src/gateway-config/env-file.js';
import { gatewayServersOf, compareServers } from '../../src/gateway-config/live-findings.js';
import { parseGatewayConfig } from '../../src/gateway-config/parse.js';
import { commandAllowed, stdioEnabled, stdioGateOf } from '../../src/gateway-config/stdio-gate.js';
import { GatewayConfigError } from '../../src/gateway-config/types.js';

describe('config.yaml read as LiteLLM reads it', () => {
  it('each server with the line of each value; os.environ/ in a list marked', () => {
    const cfg = parseGatewayConfig(
      'l.yaml',
      'general_settings:\n  master_key: os.environ/K\nmcp_servers:\n  pg:\n    transport: stdio\n    command: uvx\n' +
        '    args: ["a", "os.environ/X"]\n    env:\n      A: os.environ/A\n      N: 5\n',
    );
    expect(cfg.masterKey).toEqual({ text: 'os.environ/K', line: 2 });
    expect(cfg.serversLine).toBe(3);
    expect(cfg.servers).toEqual([
      {
        name: 'pg',
        line: 4,
        transport: { text: 'stdio', line: 5 },
        command: { text: 'uvx', line: 6 },
        args: {
          items: [
            { text: 'a', line: 7 },
            { text: 'os.environ/X', line: 7 },
          ],
          line: 7,
        },
        env: [
          { name: 'A', value: 'os.environ/A', line: 9 },
          { name: 'N', line: 10 },
        ],
      },
    ]);
    expect(cfg.strings.find((s) => s.text === 'os.environ/X')).toMatchObject({
      path: 'mcp_servers.pg.args[1]',
      inList: true,
    });
    expect(cfg.strings.find((s) => s.text === 'os.environ/A')).toMatchObject({
      path: 'mcp_servers.pg.env.A',
      key: 'A',
      inList: false,
    });
  });

  it('YAML 1.1 as PyYAML: `on` is a boolean, not a transport string', () => {
    const cfg = parseGatewayConfig('l.yaml', 'mcp_servers:\n  a:\n    transport: on\n');
    expect(cfg.servers[0]!.transport).toBeUndefined();
  });

  it.each([
    ['mcp_servers:\n  a: [\n', /^l\.yaml:\d+: not valid YAML: /],
    ['', /^l\.yaml: empty: /],
    ['- a\n- b\n', /^l\.yaml:1: not a LiteLLM config: not a map of settings$/],
  ])('%j is refused: LiteLLM does not start on it', (text, message) => {
    expect(() => parseGatewayConfig('l.yaml', text)).toThrow(GatewayConfigError);
    expect(() => parseGatewayConfig('l.yaml', text)).toThrow(message);
  });
});

describe('env files, as Compose env_file reads them', () => {
  it('quotes, comments, export, later lines winning, multi-line double quotes', () => {
    const f = parseEnvFile(
      'x.env',
      '# c\nA=1 # not part\nexport B="two words"\nC=\'${KEPT}\'\nA=again\nD="line1\nline2"\nE\nbad line\n',
    );
    expect(Object.fromEntries([...f].map(([k, v]) => [k, [v.value, v.line]]))).toEqual({
      A: ['again', 5],
      B: ['two words', 3],
      C: ['${KEPT}', 4],
      D: ['line1\nline2', 6],
    });
  });

  it('the files first (a later file wins), then the environment for what they lack', () => {
    const env = gatewayEnv([parseEnvFile('a.env', 'X=a\nY=a\n'), parseEnvFile('b.env', 'Y=b\n')], {
      Y: 'env',
      Z: 'env',
    });
    expect([env.get('X'), env.get('Y'), env.get('Z'), env.get('W')]).toEqual(['a', 'b', 'env', undefined]);
    expect([env.where('Y'), env.where('Z'), env.where('W')]).toEqual(['b.env:1', 'the environment', undefined]);
  });
});

describe("LiteLLM's stdio gate (1.109.1, 1.110.2: litellm/constants.py, proxy/mcp_server/upstream.py)", () => {
  it.each([
    ['1.77.1', 'not_enforced'],
    ['1.70.0', 'not_enforced'],
    ['1.109.1', 'enforced'],
    ['1.110.2', 'enforced'],
    ['1.90.0', 'unknown'],
    [undefined, 'unknown'],
    ['main', 'unknown'],
  ])('%s: %s', (v, e) => expect(stdioGateOf(v)).toBe(e));

  it.each([
    ['npx', undefined, true],
    ['/usr/local/bin/node', undefined, true],
    ['NPX.CMD', undefined, true],
    ['python3.12', undefined, false],
    ['postgres-mcp', undefined, false],
    ['postgres-mcp', 'env,postgres-mcp', true],
    ['postgres-mcp', 'env, postgres-mcp', false],
  ])('%s with extra %j: %s', (cmd, extra, allowed) => expect(commandAllowed(cmd, extra)).toBe(allowed));

  it.each([
    ['true', true],
    [' True ', true],
    ['1', false],
    ['yes', false],
    [undefined, false],
  ])('LITELLM_ENABLE_MCP_STDIO=%j: %s', (v, on) => expect(stdioEnabled(v)).toBe(on));
});

describe('--live: declared servers against the gateway server list', () => {
  it('keeps names and aliases only (never the env the list holds), in both shapes', () => {
    const entry = { server_id: 'i', server_name: 'pg', alias: 'db', env: { DATABASE_URI: 'postgresql://u:p@h/d' } };
    expect(gatewayServersOf([entry])).toEqual([{ name: 'pg', alias: 'db' }]);
    expect(gatewayServersOf({ servers: [entry, { alias: 'x' }] })).toEqual([
      { name: 'pg', alias: 'db' },
      { name: 'x' },
    ]);
    expect(() => gatewayServersOf({ detail: 'no' })).toThrow('something else than a list');
  });

  it('a declared server missing: error at its line; one the file lacks: warning at mcp_servers', () => {
    const cfg = parseGatewayConfig('l.yaml', 'x: 1\nmcp_servers:\n  fs:\n    url: u\n  pg:\n    url: u\n');
    const f = compareServers(cfg, 'lan', [{ name: 'fs' }, { name: 'ui_added' }]);
    expect(f.map((x) => `${x.line}: ${x.severity}: ${x.server}: [${x.code}] ${x.message}`)).toEqual([
      '5: error: pg: [missing_at_gateway] declared here, but the gateway of target lan does not have it ' +
        '(its servers: fs, ui_added): it runs another config, or did not load this entry',
      '2: warning: ui_added: [undeclared_at_gateway] the gateway of target lan has ui_added, which this file does ' +
        'not declare (added through the UI or the database): the file no longer says what the gateway runs',
    ]);
  });
});
