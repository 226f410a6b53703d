import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/cli/report-render.js';
import { reportStem, writeReport, type ReportOptions } from '../../src/cli/report.js';
import { TestHttpServer } from '../support/http-server.js';
import { tempDir, writeConfig } from '../support/agent-proc.js';
import { captured } from '../support/std-output.js';

// `mcpwatch report`, in-process with probes against a local HTTP server, no client files and no logs (those
// are test/integration/report.test.ts's, with LiteLLM in a container): the files, the summary, the exit code.

const KEY = 'sk-report-SECRET-00112233445566778899';

describe('reportStem', () => {
  it('sortable, UTC, no colons', () => {
    expect(reportStem(new Date('2026-12-02T18:40:05.123Z'))).toBe('mcpwatch-report-20261202T184005Z');
  });
});

describe('mcpwatch report', () => {
  let server: TestHttpServer;
  let dir: string;
  let configPath: string;
  const opts = (over: Partial<ReportOptions> = {}): ReportOptions => ({
    clients: [],
    out: join(tempDir('mcpwatch-report-out-'), 'reports'),
    json: false,
    sinceMs: 3_600_000,
    ...over,
  });

  beforeAll(async () => {
    server = await new TestHttpServer().start();
    dir = tempDir('mcpwatch-report-');
    configPath = writeConfig(
      dir,
      `targets:\n  gw: { url: "${server.url}", apiKey: "${KEY}" }\n` +
        'probes:\n  - { name: a, type: http, target: gw, every: 30s }\n  - { name: b, type: http, target: gw, every: 30s }\n',
    );
  });
  afterAll(async () => {
    await server.stop();
  });

  it('all green: 0, both files written in a directory it makes, the summary on stdout, no key anywhere', async () => {
    server.mode = 'ok';
    const o = opts();
    const r = await captured(() => writeReport(configPath, {}, o));
    expect(r.value).toBe(0);
    const files = readdirSync(o.out).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^mcpwatch-report-\d{8}T\d{6}Z\.json$/);
    expect(files[1]).toBe(files[0]!.replace(/\.json$/, '.md'));
    const md = join(o.out, files[1]!);
    const json = join(o.out, files[0]!);
    expect(r.stdout).toBe(`report: ${md}\n        ${json}\nresult: ${r.stdout.split('\nresult: ')[1]}`);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report).toMatchObject({
      schema: 1,
      status: 'green',
      failures: [],
      causes: [],
      config: configPath,
      logs: null,
    });
    expect(report.probes.map((p) => [p.probe, p.url])).toEqual([
      ['a', server.url],
      ['b', server.url],
    ]);
    expect(report.targets).toEqual([{ name: 'gw', url: server.url, sso: false }]);
    expect(readFileSync(json, 'utf8') + readFileSync(md, 'utf8') + r.stdout + r.stderr).not.toContain(KEY);
  });

  it('probes failed: 1, a cause each listed under the summary; --json prints the report', async () => {
    server.mode = 'error500';
    const r = await captured(() => writeReport(configPath, {}, opts({ json: true })));
    expect(r.value).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.status).toBe('failed');
    expect(report.failures).toHaveLength(2);
    // No server explains a plain check: each failure is a cause of its own.
    expect(report.causes.map((c) => [c.kind, c.label, c.results.map((x) => x.text)])).toEqual(
      report.failures.map((f, i) => ['failure', `probe ${['a', 'b'][i]}: ${report.probes[i]!.outcome}`, [f]]),
    );
    const text = await captured(() => writeReport(configPath, {}, opts()));
    expect(text.value).toBe(1);
    const outcome = report.probes[0]!.outcome;
    expect(text.stdout).toContain(
      `result: FAILED: 2 causes: probe a: ${outcome}, probe b: ${outcome}\n` +
        report.failures.map((f) => `  - ${f}\n`).join(''),
    );
  });

  it('two reports in one directory: neither overwrites the other', async () => {
    server.mode = 'ok';
    const o = opts();
    await captured(() => writeReport(configPath, {}, o));
    await captured(() => writeReport(configPath, {}, o));
    expect(readdirSync(o.out).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  });

  it('a client file that cannot be read, an --out that cannot be made, an invalid config: 2, nothing written', async () => {
    const o = opts();
    const none = join(dir, 'none.toml');
    let r = await captured(() => writeReport(configPath, {}, { ...o, clients: [none] }));
    expect([r.value, r.stderr]).toEqual([2, `mcpwatch: --clients ${none}: no such file\n`]);
    r = await captured(() => writeReport(configPath, {}, { ...o, clients: [dir] }));
    expect([r.value, r.stderr]).toEqual([2, `mcpwatch: --clients ${dir}: not a file\n`]);
    expect(existsSync(o.out)).toBe(false);

    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    r = await captured(() => writeReport(configPath, {}, { ...o, out: join(file, 'reports') }));
    expect(r.value).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mcpwatch: --out ${file}/reports: cannot make the directory \\(.+\\)\\n$`));

    r = await captured(() => writeReport('/nonexistent/mcpwatch.yaml', {}, o));
    expect(r.value).toBe(2);
    expect(r.stderr).toMatch(/^\(file\): cannot read config file \/nonexistent\/mcpwatch\.yaml: /);
    expect(existsSync(o.out)).toBe(false);
  });
});
