import { describe, expect, it } from 'vitest';
import { causesOf } from '../../src/cli/report-causes.js';
import {
  causeLines,
  failuresOf,
  headline,
  renderMarkdown,
  type Report,
  type ReportProbe,
} from '../../src/cli/report-render.js';
import { serverDownFinding } from '../../src/clients/live-findings.js';
import { noCatalog } from '../support/catalog-details.js';
import { reportStem } from '../../src/cli/report.js';

// The report's pure parts: what counts as failed, and the Markdown a team commits.

function report(over: Partial<Report> = {}): Report {
  const base: Omit<Report, 'status' | 'failures' | 'causes'> = {
    schema: 1,
    startedAt: '2026-12-02T18:40:00.000Z',
    generatedAt: '2026-12-02T18:40:12.500Z',
    mcpwatch: { version: '0.1.0', node: 'v20.19.0' },
    host: 'ops1',
    config: 'config/mcpwatch.yaml',
    targets: [
      { name: 'lan', url: 'http://litellm.lan', sso: false },
      { name: 'internet', url: 'https://litellm.example.com', sso: true },
    ],
    probes: [
      {
        probe: 'lan-catalog',
        type: 'mcp_catalog',
        target: 'lan',
        url: 'http://litellm.lan',
        outcome: 'ok',
        reason: '12 tools (mcp_postgres 5, mcp_filesystem 7)',
        success: true,
        trigger: 'cli',
        startedAt: '2026-12-02T18:40:00.100Z',
        durationMs: 230,
        phases: {},
        steps: [],
      },
      {
        probe: 'lan-guard',
        type: 'auth_guard',
        target: 'lan',
        url: 'http://litellm.lan',
        outcome: 'auth_not_enforced',
        reason: 'lan accepted a key without "Bearer " | see the guard',
        success: false,
        trigger: 'cli',
        startedAt: '2026-12-02T18:40:00.100Z',
        durationMs: 80,
        phases: {},
        steps: [{ t: 1, msg: '[no_bearer_prefix] POST http://litellm.lan/mcp/  initialize' }],
        gatewayLog: {
          from: '2026-12-02T18:39:59.100Z',
          to: '2026-12-02T18:40:02.180Z',
          containers: ['litellm'],
          about: [],
          records: [
            { container: 'litellm', at: '2026-12-02T18:40:00.120Z', stream: 'stderr', text: 'an ```odd``` record' },
          ],
        },
      },
    ],
    clients: {
      files: ['codex.toml'],
      findings: [
        {
          file: 'codex.toml',
          line: 4,
          client: 'codex',
          server: 'litellm',
          code: 'missing_bearer_prefix',
          severity: 'error',
          message: 'LITELLM_KEY lacks "Bearer "',
          fix: 'add the `Bearer ` prefix',
        },
        {
          file: 'codex.toml',
          line: 2,
          client: 'codex',
          server: 'litellm',
          code: 'trailing_slash',
          severity: 'warning',
          message: '/mcp without the slash',
          fix: 'end the URL in /mcp/',
        },
      ],
      live: [
        {
          file: 'codex.toml',
          server: 'litellm',
          outcome: 'auth_rejected',
          reason: 'auth_rejected — key sent without "Bearer " prefix?',
        },
      ],
      errors: [],
    },
    logs: {
      from: '2026-12-02T17:40:00.000Z',
      to: '2026-12-02T18:40:12.000Z',
      containers: [
        {
          name: 'litellm',
          records: 40,
          counts: [
            {
              category: 'auth',
              kind: 'malformed_key',
              origin: 'external',
              count: 3,
              lastAt: '2026-12-02T18:30:00.000Z',
            },
            { category: 'auth', kind: 'malformed_key', origin: 'probe', count: 1, lastAt: '2026-12-02T18:40:00.120Z' },
          ],
          matches: [
            {
              at: '2026-12-02T18:30:00.000Z',
              category: 'auth',
              kind: 'malformed_key',
              origin: 'external',
              requesterIp: '10.0.0.7',
              line: 'first line\nsecond line',
            },
          ],
          omitted: 3,
          externalAuthBefore: 3,
        },
        { name: 'gone', error: 'no container named gone' },
      ],
    },
  };
  const merged = { ...base, ...over };
  const failures = failuresOf(merged);
  return { ...merged, status: failures.length ? 'failed' : 'green', failures, causes: causesOf(merged) };
}

describe('the report', () => {
  it('fails for a failed probe, an error finding, a failed live try, an unreadable log; not for warnings or clients’ auth errors', () => {
    const r = report();
    expect(r.failures).toEqual([
      'probe lan-guard (auth_guard → lan): auth_not_enforced: lan accepted a key without "Bearer " | see the guard',
      'codex.toml:4: error: litellm: [missing_bearer_prefix] LITELLM_KEY lacks "Bearer " — fix: add the `Bearer ` prefix',
      'codex.toml: litellm: live: auth_rejected — auth_rejected — key sent without "Bearer " prefix?',
      'log of gone: no container named gone',
    ]);
    // Four lines, three causes: the entry's error finding and its live try are one.
    expect(headline(r)).toBe(
      'FAILED: 3 causes: probe lan-guard: auth_not_enforced, litellm: 1 error, log of gone: not read',
    );
    const green = report({
      probes: [report().probes[0]!],
      clients: {
        files: ['codex.toml'],
        findings: [report().clients.findings[1]!],
        live: [{ file: 'codex.toml', server: 'x', outcome: 'not_tried', reason: '${input:key} cannot be known' }],
        errors: [],
      },
      logs: { ...report().logs!, containers: [report().logs!.containers[0]!] },
    });
    expect(green.status).toBe('green');
    expect(green.causes).toEqual([]);
    expect(headline(green)).toBe('all green');
    expect(renderMarkdown(green)).toContain(
      "> Clients' own auth errors in the gateway log before this report started (origin external): 3 in litellm.",
    );
  });

  it('renders every part: a failed probe in full, findings and live tries in tables, each container’s counts and matches', () => {
    const md = renderMarkdown(report());
    expect(
      md.startsWith(
        '# mcpwatch validation report — 2026-12-02 18:40:12 UTC\n\n' +
          '**Result: FAILED: 3 causes: probe lan-guard: auth_not_enforced, litellm: 1 error, log of gone: not read**\n',
      ),
    ).toBe(true);
    expect(md).toContain('| Generated | 2026-12-02T18:40:12.500Z (took 12.5s) |');
    expect(md).toContain('| Probes | 1 of 2 succeeded |');
    expect(md).toContain('| `internet` | https://litellm.example.com | yes (oauth2) |');
    // A pipe inside a cell does not split it.
    expect(md).toContain(
      '| `lan-guard` | auth_guard | lan | **auth_not_enforced** | lan accepted a key without "Bearer " \\| see the guard | 80ms |',
    );
    // The failed run as `mcpwatch probe` prints it, fenced so that its own backticks cannot close the block.
    expect(md).toMatch(
      /### lan-guard failed\n\n````text\nprobe lan-guard \(auth_guard\) → target lan http:\/\/litellm\.lan\n/,
    );
    expect(md).toContain('an ```odd``` record');
    expect(md).toContain(
      '| codex.toml:4 | **error** | litellm | `missing_bearer_prefix` | LITELLM_KEY lacks "Bearer " | add the `Bearer ` prefix |',
    );
    expect(md).toContain(
      '| codex.toml | litellm | **auth_rejected** | auth_rejected — key sent without "Bearer " prefix? |',
    );
    expect(md).toContain('| auth | `malformed_key` | probe | 1 | 2026-12-02 18:40:00 UTC |');
    expect(md).toContain('The newest 1 (3 older not listed), keys masked:');
    expect(md).toContain('18:30:00.000 auth/malformed_key external from 10.0.0.7: first line\n    second line');
    expect(md).toContain('### gone\n\n**Not read:** no container named gone');
  });

  it('What failed: each cause once, the results it explains under it; the terminal says the same', () => {
    const base = report();
    const catalog = {
      ...base.probes[0]!,
      probe: 'lan-catalog',
      outcome: 'expectation_failed',
      reason: 'server down: ev: internal — the gateway could not start or query it — 7 tools (fs: 7)',
      success: false,
      details: {
        catalog: { ...noCatalog().catalog, tools: 7 },
        expectedTools: {},
        servers: { ev: { up: false, tools: 0, reason: 'internal', said: 'internal' }, fs: { up: true, tools: 7 } },
      },
    } as ReportProbe;
    const call = {
      ...base.probes[0]!,
      probe: 'lan-echo',
      type: 'mcp_call',
      outcome: 'tool_error',
      reason: 'ev-echo failed: server ev is down: the gateway has no session to it',
      success: false,
      details: undefined,
    } as ReportProbe;
    const warning = {
      ...serverDownFinding(4, 'ev', 'the gateway says internal', 'the mcp_catalog probes of target lan'),
      file: 'codex.toml',
      client: 'codex' as const,
      server: 'codex',
    };
    const r = report({
      probes: [catalog, call, base.probes[1]!],
      clients: { ...base.clients, findings: [warning, ...base.clients.findings] },
      logs: null,
    });
    const withAbout = { ...r, causes: causesOf(r, { 'lan-catalog': ['ev'], 'lan-echo': ['ev'] }) };
    expect(headline(withAbout)).toBe(
      'FAILED: 3 causes: server ev down (explains 3 results), probe lan-guard: auth_not_enforced, litellm: 1 error',
    );
    const md = renderMarkdown(withAbout);
    const section = md.slice(md.indexOf('## What failed'), md.indexOf('## Targets'));
    expect(section).toBe(
      [
        '## What failed',
        '',
        '- **server ev down: internal** — explains 3 results:',
        `  - ${failuresOf(r)[0]}`,
        `  - ${failuresOf(r)[1]}`,
        `  - codex.toml:4: warning: codex: [server_down] ev is down at the gateway (the gateway says internal): see the mcp_catalog probes of target lan — fix: ${warning.fix} _(not a failure)_`,
        '- **probe lan-guard (auth_guard → lan): auth_not_enforced: lan accepted a key without "Bearer " \\| see the guard**',
        '- **client entry litellm in codex.toml: 1 error, its live try auth_rejected** — explains 2 results:',
        '  - codex.toml:4: error: litellm: [missing_bearer_prefix] LITELLM_KEY lacks "Bearer " — fix: add the `Bearer ` prefix',
        '  - codex.toml: litellm: live: auth_rejected — auth_rejected — key sent without "Bearer " prefix?',
        '',
        '',
      ].join('\n'),
    );
    expect(causeLines(withAbout.causes)).toEqual([
      '  - server ev down: internal',
      `      ${failuresOf(r)[0]}`,
      `      ${failuresOf(r)[1]}`,
      `      codex.toml:4: warning: codex: [server_down] ev is down at the gateway (the gateway says internal): see the mcp_catalog probes of target lan — fix: ${warning.fix} (not a failure)`,
      `  - ${failuresOf(r)[2]}`,
      '  - client entry litellm in codex.toml: 1 error, its live try auth_rejected',
      `      ${failuresOf(r)[3]}`,
      `      ${failuresOf(r)[4]}`,
    ]);
  });

  it('says what was not given: no clients, no logs, no probes', () => {
    const md = renderMarkdown(
      report({ probes: [], clients: { files: [], findings: [], live: [], errors: [] }, logs: null }),
    );
    expect(md).toContain('No probes in the config.');
    expect(md).toContain('No client files given (`mcpwatch report --clients PATH...`).');
    expect(md).toContain('No containers followed (`logs:` is not in the config).');
  });

  it('shows the gateway’s containers and versions as facts: a restart pending named, no failure added', () => {
    const r = report({
      gatewayState: {
        containers: [
          {
            name: 'litellm',
            target: 'lan',
            status: 'running',
            running: true,
            health: 'unhealthy',
            id: 'abcdef012345',
            image: 'ghcr.io/berriai/litellm:main-v1.77.1-stable',
            imageVersion: '1.77.1',
            startedAt: '2026-12-02T18:00:00.000Z',
            lastExit: { code: 137, at: '2026-12-02T17:59:58.000Z' },
            restarts: 2,
            dockerRestartCount: 2,
            oomKills: 1,
            restartPending: true,
            pendingFiles: [{ path: '/gateway/config.yaml', changedAt: '2026-12-02T18:30:00.000Z' }],
            unreadableFiles: [],
          },
        ],
        versions: [{ target: 'lan', version: '1.77.1', source: 'readiness', saidAt: null, imageVersion: '1.77.1' }],
      },
    });
    expect(failuresOf(r)).toEqual(failuresOf(report()));
    const md = renderMarkdown(r);
    expect(md).toContain('## Gateway containers and versions');
    expect(md).toMatch(
      /\| litellm \| lan \| running \| \*\*unhealthy\*\* \| .* \| 2 \| 137 \| \*\*yes\*\* \| 1\.77\.1 \|/,
    );
    expect(md).toContain('**Restart pending** for `litellm`: `/gateway/config.yaml` changed at');
    expect(md).toMatch(/\| lan \| 1\.77\.1 \| readiness \| 1\.77\.1 \|/);
  });

  it("each key's view: a table per target, the own key first, what a key does not see; entries' keys and views", () => {
    const r = report({
      keyViews: [
        { target: 'lan', outcome: 'ok', reason: '19 tools', toolsPerServer: { mcp_fs: 14, mcp_postgres: 5 } },
        {
          target: 'lan',
          key: 'codex',
          outcome: 'ok',
          reason: '14 tools',
          toolsPerServer: { mcp_fs: 14 },
          probe: 'codex-view',
        },
        { target: 'lan', key: 'webui', outcome: 'auth_rejected', reason: '401 Unauthorized from lan' },
      ],
      clients: {
        files: ['codex.toml'],
        findings: [],
        keys: [
          {
            file: 'codex.toml',
            line: 1,
            client: 'codex',
            server: 'litellm',
            target: 'lan',
            which: 'named',
            key: 'codex',
            level: 'info',
            message: 'uses key codex of target lan',
          },
        ],
        live: [{ file: 'codex.toml', server: 'litellm', outcome: 'ok', reason: '14 tools (mcp_fs: 14)' }],
        views: [
          { file: 'codex.toml', server: 'litellm', key: 'key codex', sees: { mcp_fs: 14 }, unseen: ['mcp_postgres'] },
        ],
        errors: [],
      },
    });
    const md = renderMarkdown(r);
    expect(md).toContain(
      "## Each key's view\n\n" +
        'What each key of a target sees of the gateway: one tools/list as that key, naming no servers (its grant decides).\n\n' +
        '### lan\n\n' +
        '| key | sees (tools) | not seen (the own key sees) | from |\n' +
        '|---|---|---|---|\n' +
        '| own key (apiKey) | mcp_fs (14), mcp_postgres (5) |  | read for the report |\n' +
        '| `codex` | mcp_fs (14) | mcp_postgres | `codex-view` |\n' +
        '| `webui` | **auth_rejected**: 401 Unauthorized from lan |  | read for the report |\n',
    );
    // The views come before the client configs; they fail nothing.
    expect(md.indexOf("## Each key's view")).toBeLessThan(md.indexOf('## Client configs'));
    expect(failuresOf(r)).not.toContain(expect.stringContaining('webui'));
    expect(md).toContain('- codex.toml:1: key: litellm: uses key codex of target lan\n');
    expect(md).toContain(
      '| codex.toml | litellm | ok | 14 tools (mcp_fs: 14) | ' +
        "key codex sees mcp_fs (14 tools); not mcp_postgres, which the target's own key sees |",
    );
    // No section without views.
    expect(renderMarkdown(report())).not.toContain("Each key's view");
  });

  it('names its files by UTC time, sortable and without colons', () => {
    expect(reportStem(new Date('2026-12-02T18:40:05.999Z'))).toBe('mcpwatch-report-20261202T184005Z');
  });
});
