import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkGateway, formatGatewayFinding } from '../../src/cli/check-gateway.js';
import { gatewayCauses, gatewayFailures, renderMarkdown, type Report } from '../../src/cli/report-render.js';
import { writeReport } from '../../src/cli/report.js';
import type { GatewayFinding } from '../../src/gateway-config/types.js';
import { freePort, tempDir, writeConfig } from '../support/agent-proc.js';
import { captured } from '../support/std-output.js';

// check-gateway without --live, in-process: config.yaml and its env files read and checked, printed as text or
// JSON, the exit code, no value of a secret in any output. --live is test/integration/gateway-config.test.ts's.

const PASSWORD = 'Env-File-Password-77';
const CLEAR = 'sk-in-clear-0123456789abcdef';

let dir: string;
let good: string;
let bad: string;
let envFile: string;

beforeAll(() => {
  dir = tempDir('mcpwatch-check-gateway-');
  good = join(dir, 'good.yaml');
  writeFileSync(
    good,
    'general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\nmcp_servers:\n  pg:\n    transport: stdio\n' +
      '    command: uvx\n    args: ["postgres-mcp"]\n    env:\n      DATABASE_URI: os.environ/DATABASE_URI\n',
  );
  bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    `general_settings:\n  master_key: ${CLEAR}\nmcp_servers:\n  pg:\n    transport: stdio\n    command: postgres-mcp\n` +
      '    args: []\n    env:\n      DATABASE_URI: os.environ/DATABASE_URI\n',
  );
  envFile = join(dir, 'litellm.env');
  writeFileSync(
    envFile,
    `LITELLM_MASTER_KEY=sk-from-env-file-0123456789\nDATABASE_URI=postgresql://mcp:${PASSWORD}@db/mcp\n` +
      'LITELLM_ENABLE_MCP_STDIO=true\n',
  );
});

const run = (file: string, envFiles: string[], json = false) =>
  captured(() => checkGateway('/nonexistent/mcpwatch.yaml', {}, file, { json, live: false, envFiles }));

describe('formatGatewayFinding', () => {
  it("check-clients' line: FILE:LINE: severity: SERVER: [code] message — fix: …", () => {
    const f: GatewayFinding = {
      file: 'litellm.yaml',
      line: 4,
      server: 'pg',
      code: 'command_not_allowed',
      severity: 'error',
      message: 'm',
      fix: 'f',
    };
    expect(formatGatewayFinding(f)).toBe('litellm.yaml:4: error: pg: [command_not_allowed] m — fix: f');
  });
});

describe('check-gateway', () => {
  it('all set by the env file: 0, the summary line; mcpwatch config not read without --live', async () => {
    const r = await run(good, [envFile]);
    expect(r).toMatchObject({ value: 0, stdout: `${good} checked: 0 errors, 0 warnings\n`, stderr: '' });
  });

  it('without the env file: 1, each variable named with its line', async () => {
    const r = await run(good, []);
    expect(r.value).toBe(1);
    expect(r.stdout.split('\n').map((l) => l.replace(/ —.*/, '').replace(/\] .*/, ']'))).toEqual([
      `${good}:2: error: general_settings.master_key: [unset_variable]`,
      `${good}:5: error: pg: [stdio_disabled]`,
      `${good}:9: error: pg: [unset_variable]`,
      `${good} checked: 3 errors, 0 warnings`,
      '',
    ]);
  });

  it('a key in clear and a command outside the allowlist: 1, no value in the output, text or JSON', async () => {
    for (const json of [false, true]) {
      const r = await run(bad, [envFile], json);
      expect(r.value).toBe(1);
      const text = r.stdout + r.stderr;
      expect(text).not.toContain(CLEAR);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('sk-from-env-file');
      if (json) {
        const doc = JSON.parse(r.stdout) as { findings: GatewayFinding[] };
        expect(doc.findings.map((f) => [f.line, f.code])).toEqual([
          [2, 'plaintext_secret'],
          [6, 'command_not_allowed'],
        ]);
      }
    }
  });

  it.each([
    [
      'a config.yaml that is not there',
      () => join(dir, 'none.yaml'),
      () => [],
      /none\.yaml: cannot read it \(no such file\)/,
    ],
    [
      'an env file that is not there',
      () => good,
      () => [join(dir, 'none.env')],
      /none\.env: cannot read it \(no such file\)/,
    ],
    ['not YAML', () => writeConfig(dir, 'a: [\n', 'broken.yaml'), () => [], /broken\.yaml:\d+: not valid YAML/],
  ])('%s: 2, named on stderr', async (_name, file, envFiles, message) => {
    const r = await run(file(), envFiles());
    expect(r.value).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('--live with a config that is not there: 2 (its targets are needed)', async () => {
    const r = await captured(() =>
      checkGateway('/nonexistent/mcpwatch.yaml', {}, good, { json: false, live: true, envFiles: [] }),
    );
    expect(r.value).toBe(2);
    expect(r.stderr).toContain('cannot read config file /nonexistent/mcpwatch.yaml');
  });

  it('--live with only targets behind SSO: 2, saying why', async () => {
    const cfg = writeConfig(
      dir,
      'targets:\n  net: { url: "https://gw", apiKey: k, apiKeyHeader: x-litellm-api-key, ' +
        'oauth2: { clientId: c, clientSecret: s, tokenUrl: "https://sso/token" } }\nprobes: []\n',
      'sso.yaml',
    );
    const r = await captured(() => checkGateway(cfg, {}, good, { json: false, live: true, envFiles: [] }));
    expect(r.value).toBe(2);
    expect(r.stderr).toContain('--live reads the gateway through a target without an SSO gate');
  });
});

describe('in the report (--gateway-config)', () => {
  const finding = (severity: 'error' | 'warning', code: GatewayFinding['code']): GatewayFinding => ({
    file: 'litellm.yaml',
    line: 7,
    server: 'pg',
    code,
    severity,
    message: 'm',
    fix: 'f',
  });
  const checks = {
    file: 'litellm.yaml',
    envFiles: ['litellm.env'],
    findings: [finding('error', 'unset_variable'), finding('warning', 'undeclared_at_gateway')],
    live: { target: 'lan', url: 'http://gw', version: '1.77.1', servers: [{ name: 'pg' }] },
  };

  it('its error-level findings fail it, each a cause of its own; a file not read, a list not read too', () => {
    expect(gatewayFailures(checks)).toEqual(['litellm.yaml:7: error: pg: [unset_variable] m — fix: f']);
    expect(gatewayCauses(checks)).toEqual([
      {
        kind: 'failure',
        label: 'litellm.yaml: unset_variable',
        title: 'litellm.yaml:7: error: pg: [unset_variable] m — fix: f',
        results: [{ kind: 'file', text: 'litellm.yaml:7: error: pg: [unset_variable] m — fix: f', failed: true }],
      },
    ]);
    expect(gatewayFailures({ ...checks, findings: [], error: 'litellm.yaml: cannot read it (no such file)' })).toEqual([
      'litellm.yaml: cannot read it (no such file)',
    ]);
    const down = { ...checks, findings: [], live: { target: 'lan', url: 'http://gw', error: 'connection refused' } };
    expect(gatewayFailures(down)).toEqual([
      "litellm.yaml: live: target lan (http://gw): could not read the gateway's server list: connection refused",
    ]);
    expect(gatewayCauses(down)[0]!.label).toBe('litellm.yaml: live');
    expect(gatewayFailures(undefined)).toEqual([]);
  });

  it('the Markdown has its section: the findings, what the gateway has', () => {
    const md = renderMarkdown({
      schema: 1,
      startedAt: '2026-12-02T18:40:00.000Z',
      generatedAt: '2026-12-02T18:40:12.500Z',
      mcpwatch: { version: '0.1.0', node: 'v20.19.0' },
      host: 'ops1',
      config: 'config/mcpwatch.yaml',
      status: 'failed',
      failures: gatewayFailures(checks),
      causes: gatewayCauses(checks),
      targets: [],
      probes: [],
      clients: { files: [], findings: [], live: [], errors: [] },
      logs: null,
      gatewayConfig: checks,
    });
    expect(md).toContain('| Gateway config | litellm.yaml (1 error, 1 warning) |');
    expect(md).toContain('## Gateway config\n\nFile: `litellm.yaml` with `litellm.env`\n');
    expect(md).toContain('| litellm.yaml:7 | **error** | pg | `unset_variable` | m | f |');
    expect(md).toContain('litellm.yaml: live: target lan (http://gw): LiteLLM 1.77.1, 1 server: pg');
  });
});

describe('mcpwatch report --gateway-config, in-process', () => {
  it('the file checked and its server list read with the target key: a gateway not there fails the report', async () => {
    const port = await freePort();
    const cfg = writeConfig(
      dir,
      `targets:\n  lan: { url: "http://127.0.0.1:${port}", apiKey: sk-report-key-0123456789 }\nprobes: []\n`,
      'report.yaml',
    );
    const out = join(dir, 'reports');
    const r = await captured(() =>
      writeReport(
        cfg,
        {},
        { clients: [], out, json: true, sinceMs: 60_000, gatewayConfig: { file: good, envFiles: [envFile] } },
      ),
    );
    expect(r.value).toBe(1);
    expect(r.stdout).not.toContain('sk-report-key');
    expect(r.stdout).not.toContain(PASSWORD);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.gatewayConfig).toMatchObject({
      file: good,
      envFiles: [envFile],
      findings: [],
      live: { target: 'lan' },
    });
    expect(report.failures).toEqual([
      expect.stringMatching(
        new RegExp(`^${good}: live: target lan \\(http://127\\.0\\.0\\.1:${port}\\): could not read`),
      ),
    ]);
    expect(report.causes.map((c) => c.label)).toEqual([`${good}: live`]);
  });

  it('a --gateway-config that is not there: 2 before anything runs', async () => {
    const cfg = writeConfig(dir, 'targets:\n  lan: { url: "http://127.0.0.1:9" }\nprobes: []\n', 'report2.yaml');
    const r = await captured(() =>
      writeReport(
        cfg,
        {},
        {
          clients: [],
          out: join(dir, 'r2'),
          json: false,
          sinceMs: 1,
          gatewayConfig: { file: join(dir, 'no.yaml'), envFiles: [] },
        },
      ),
    );
    expect(r.value).toBe(2);
    expect(r.stderr).toBe(`mcpwatch: --gateway-config ${join(dir, 'no.yaml')}: no such file\n`);
  });
});
