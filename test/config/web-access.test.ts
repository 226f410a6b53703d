import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import { secretsOf } from '../../src/config/secrets.js';
import type { ClientAuthType, WebSettings } from '../../src/config/web-config.js';
import { mcpOpenProblems, webAuthentication } from '../../src/config/web-load.js';
import { tempDir } from '../support/agent-proc.js';

// Who may reach the HTTP server (`web`) and /mcp (`mcpServer`), as the config says it: /mcp never open to the
// network by accident, its token written or in a file, the old Origin and Host lists under mcpServer moved to web.

function problemsOf(yaml: string): string[] {
  const r = parseConfig(yaml, {});
  return r.ok ? [] : r.problems.map(formatProblem);
}

/** The /mcp check on a parsed config beside a web config (none by default), as `run` and `check-config` make it. */
function openProblems(
  yaml: string,
  web: WebSettings | null = null,
  named?: { file: string; namedBy: string },
): string[] {
  const r = parseConfig(yaml, {});
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return mcpOpenProblems(r.config, web, named).map(formatProblem);
}

const OPEN = (
  listen: string,
  where = 'a web config (--web.config.file, MCPWATCH_WEB_CONFIG_FILE or web.configFile)',
): string =>
  'mcpServer: /mcp would be open to anyone who reaches ' +
  `${listen} (not a loopback address) with no token: set mcpServer.token or mcpServer.tokenFile, listen on a ` +
  'loopback address (127.0.0.1:9464), or set mcpServer.allowUnauthenticated: true if something in front of ' +
  'mcpwatch checks who asks; or make every caller authenticate: basic_auth_users or client_auth_type: ' +
  `RequireAndVerifyClientCert in ${where}`;

const HASH = '$2y$10$O8LEq.7JhU.30o8DEV92TO2tQL1hxKiaKKxhxk8uyzkFfiPy/DeTm';
const web = (over: Partial<WebSettings> = {}): WebSettings => ({
  file: '/etc/mcpwatch/web.yml',
  users: {},
  headers: {},
  ...over,
});
const mtls = (clientAuth: ClientAuthType): WebSettings =>
  web({
    tls: {
      context: { cert: 'c', key: 'k', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', honorCipherOrder: true },
      clientAuth,
    },
  });

describe('/mcp is never open to the network by accident', () => {
  it.each([
    ['enabled, no token, the default listen (0.0.0.0:9464)', 'mcpServer: { enabled: true }\n', [OPEN('0.0.0.0:9464')]],
    [
      'an empty token (${MCPWATCH_TOKEN:-} with nothing set) on [::]',
      'listen: "[::]:9464"\nmcpServer: { enabled: true, token: "" }\n',
      [OPEN('[::]:9464')],
    ],
    ['a LAN address', 'listen: 192.168.1.5:9464\nmcpServer: { enabled: true }\n', [OPEN('192.168.1.5:9464')]],
    [
      'a host name that is not localhost',
      'listen: mcpwatch:9464\nmcpServer: { enabled: true }\n',
      [OPEN('mcpwatch:9464')],
    ],
    ['127.0.0.1', 'listen: 127.0.0.1:9464\nmcpServer: { enabled: true }\n', []],
    ['127.0.0.2', 'listen: 127.0.0.2:9464\nmcpServer: { enabled: true }\n', []],
    ['[::1]', 'listen: "[::1]:9464"\nmcpServer: { enabled: true }\n', []],
    ['localhost', 'listen: localhost:9464\nmcpServer: { enabled: true }\n', []],
    ['a token', 'mcpServer: { enabled: true, token: s3cret-token }\n', []],
    ['a token file', 'mcpServer: { tokenFile: /run/secrets/mcpwatch_token }\n', []],
    ['allowUnauthenticated', 'mcpServer: { enabled: true, allowUnauthenticated: true }\n', []],
    ['off: no section', '', []],
    ['off: a section with no token and no enabled', 'mcpServer: { allowUnauthenticated: false }\n', []],
    ['off: enabled false', 'mcpServer: { enabled: false }\n', []],
  ])('%s', (_what, yaml, problems) => {
    expect(openProblems(yaml)).toEqual(problems);
    // Not a problem of the config alone: the web config may close /mcp (its check needs both: web-load.ts).
    expect(problemsOf(yaml)).toEqual([]);
  });

  it('the web config closes it: basic auth (every route, /mcp too), or verified client certificates', () => {
    const on = 'mcpServer: { enabled: true }\n';
    expect(openProblems(on, web({ users: { alice: HASH } }))).toEqual([]);
    expect(openProblems(on, mtls('RequireAndVerifyClientCert'))).toEqual([]);
    expect(webAuthentication(web({ users: { alice: HASH } }))).toBe('basic_auth_users');
    expect(webAuthentication(mtls('RequireAndVerifyClientCert'))).toBe('client certificates');
    // Any certificate (one anybody can make), one only if given, none asked for, headers only: still open.
    const named = { file: '/etc/mcpwatch/web.yml', namedBy: '--web.config.file' };
    const stillOpen = [OPEN('0.0.0.0:9464', 'the web config /etc/mcpwatch/web.yml, which has neither')];
    for (const w of [
      mtls('RequireAnyClientCert'),
      mtls('VerifyClientCertIfGiven'),
      mtls('RequestClientCert'),
      mtls('NoClientCert'),
      web({ headers: { 'X-Frame-Options': 'deny' } }),
    ]) {
      expect(webAuthentication(w)).toBeUndefined();
      expect(openProblems(on, w, named)).toEqual(stillOpen);
    }
  });

  it('one token: written or in a file, not both (an empty one is none)', () => {
    expect(problemsOf('mcpServer: { token: a-token, tokenFile: /run/secrets/t }\n')).toEqual([
      'mcpServer: set token or tokenFile, not both',
    ]);
    expect(problemsOf('mcpServer: { token: "", tokenFile: /run/secrets/t }\n')).toEqual([]);
  });
});

describe('web', () => {
  it('its lists and enableLifecycle; an unknown key is named', () => {
    const r = parseConfig(
      'web:\n  allowedOrigins: ["https://Grafana.example.com"]\n  allowedHosts: [mcpwatch]\n  enableLifecycle: true\n',
      {},
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.config.web).toEqual({
      allowedOrigins: ['https://grafana.example.com'],
      allowedHosts: ['mcpwatch'],
      enableLifecycle: true,
    });
    expect(r.warnings).toEqual([]);
    expect(problemsOf('web: { allowedHost: [x] }\n')).toEqual([
      'web.allowedHost: unknown key (did you mean "allowedHosts"?)',
    ]);
  });

  it("mcpServer's old lists are taken with a warning, and refused beside web's own", () => {
    const r = parseConfig('mcpServer:\n  allowedHosts: [mcpwatch]\nweb:\n  allowedOrigins: ["http://a.example"]\n', {});
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.config.web).toMatchObject({ allowedOrigins: ['http://a.example'], allowedHosts: ['mcpwatch'] });
    expect(r.warnings.map(formatProblem)).toEqual([
      'mcpServer.allowedHosts: deprecated: move it to web.allowedHosts (it applies to every route now, not only /mcp)',
    ]);
    expect(
      problemsOf('mcpServer:\n  allowedOrigins: ["http://a.example"]\nweb:\n  allowedOrigins: ["http://b.example"]\n'),
    ).toEqual([
      'mcpServer.allowedOrigins: set web.allowedOrigins only: mcpServer.allowedOrigins is its deprecated old name',
    ]);
    // An empty old list beside a full new one is no conflict (the shipped configs had `allowedOrigins: []`).
    expect(problemsOf('mcpServer:\n  allowedOrigins: []\nweb:\n  allowedOrigins: ["http://b.example"]\n')).toEqual([]);
  });
});

describe('mcpServer.tokenFile', () => {
  function write(dir: string, name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('is read at load, without its trailing newline, and masked as a secret', async () => {
    const dir = tempDir();
    const file = write(dir, 'token', 'token-from-a-file-0123\n');
    const r = await loadConfig(write(dir, 'c.yaml', `mcpServer: { tokenFile: ${file} }\n`), {});
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.config.mcpServer).toMatchObject({ enabled: true, tokenFile: file, token: 'token-from-a-file-0123' });
    expect(secretsOf(r.config)).toContain('token-from-a-file-0123');
  });

  it('missing or empty: a problem naming the file, also when the config has other problems', async () => {
    const dir = tempDir();
    const missing = join(dir, 'no-such-token');
    const empty = write(dir, 'empty', '\n');
    const problems = async (yaml: string): Promise<string[]> => {
      const r = await loadConfig(write(dir, 'c.yaml', yaml), {});
      return r.ok ? [] : r.problems.map(formatProblem);
    };
    expect(await problems(`mcpServer: { tokenFile: ${missing} }\n`)).toEqual([
      `mcpServer.tokenFile: cannot read ${missing}: no such file`,
    ]);
    expect(await problems(`mcpServer: { tokenFile: ${empty} }\n`)).toEqual([
      `mcpServer.tokenFile: ${empty} is empty: put the token in it`,
    ]);
    expect(await problems(`logLevel: loud\nmcpServer: { tokenFile: ${missing} }\n`)).toContain(
      `mcpServer.tokenFile: cannot read ${missing}: no such file`,
    );
  });
});
