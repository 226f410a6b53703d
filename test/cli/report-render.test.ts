import { describe, expect, it } from 'vitest';
import { failuresOf, headline, renderMarkdown, type Report } from '../../src/cli/report-render.js';
import { reportStem } from '../../src/cli/report.js';

// The report's pure parts: what counts as failed, and the Markdown a team commits.

function report(over: Partial<Report> = {}): Report {
  const base: Omit<Report, 'status' | 'failures'> = {
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
  return { ...merged, status: failures.length ? 'failed' : 'green', failures };
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
    expect(headline(r)).toBe('FAILED: 4 things failed');
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
    expect(headline(green)).toBe('all green');
    expect(renderMarkdown(green)).toContain(
      "> Clients' own auth errors in the gateway log before this report started (origin external): 3 in litellm.",
    );
  });

  it('renders every part: a failed probe in full, findings and live tries in tables, each container’s counts and matches', () => {
    const md = renderMarkdown(report());
    expect(
      md.startsWith('# mcpwatch validation report — 2026-12-02 18:40:12 UTC\n\n**Result: FAILED: 4 things failed**\n'),
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

  it('says what was not given: no clients, no logs, no probes', () => {
    const md = renderMarkdown(
      report({ probes: [], clients: { files: [], findings: [], live: [], errors: [] }, logs: null }),
    );
    expect(md).toContain('No probes in the config.');
    expect(md).toContain('No client files given (`mcpwatch report --clients PATH...`).');
    expect(md).toContain('No containers followed (`logs:` is not in the config).');
  });

  it('names its files by UTC time, sortable and without colons', () => {
    expect(reportStem(new Date('2026-12-02T18:40:05.999Z'))).toBe('mcpwatch-report-20261202T184005Z');
  });
});
