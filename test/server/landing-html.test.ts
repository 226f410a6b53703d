import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HealthReport } from '../../src/runtime/health-view.js';
import type { ProbeStatus, StatusDocument } from '../../src/runtime/status-view.js';
import { escapeHtml, landingHtml } from '../../src/server/landing-html.js';
import { Redactor } from '../../src/util/redact.js';
import { REPO } from '../support/agent-proc.js';

// The page at `/`, pure: /status and /health as a LiteLLM deployment's agent answers them (test/fixtures/status,
// as the `mcpwatch status` renderer's tests read them), with text a page must not take as markup and a key.

function fixture(name: string): { status: StatusDocument; health: HealthReport } {
  const read = (kind: string): unknown =>
    JSON.parse(readFileSync(join(REPO, 'test/fixtures/status', `${name}.${kind}.json`), 'utf8'));
  return { status: read('status') as StatusDocument, health: read('health') as HealthReport };
}

const NOW = Date.parse('2026-05-01T10:05:00.000Z');
const KEY = 'sk-landing-SECRET-0123456789abcdef';

function page(edit: (s: StatusDocument) => void = () => undefined): string {
  const { status, health } = fixture('litellm-shard');
  edit(status);
  const redactor = new Redactor();
  redactor.addSecrets([KEY]);
  return landingHtml({ status, health, now: NOW, mask: (t) => redactor.mask(t) });
}

/** The section of the page with this id. */
const sectionOf = (html: string, id: string): string => {
  const from = html.indexOf(`<section id="${id}">`);
  return html.slice(from, html.indexOf('</section>', from));
};

/** The page's probe rows, in order: their state and name. */
const probeOrder = (html: string): string[] =>
  [...sectionOf(html, 'probes').matchAll(/<tr class="(fail|pending|ok)"><td>.*?<span class="name">([^<]+)</g)].map(
    (m) => `${m[1]} ${m[2]}`,
  );

describe('landingHtml', () => {
  it('a whole HTML document, with no script and no external asset', () => {
    const html = page();
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect(html).toContain('<title>mcpwatch: 1 probe failing</title>');
  });

  it('probes failing first, then those not run yet, then the others, each in the config order', () => {
    expect(probeOrder(page())).toEqual([
      'fail litellm-catalog',
      'pending litellm-read',
      'ok litellm-liveliness',
      'ok codex-lan',
    ]);
  });

  it("each probe: outcome, reason, its last run's age, when it last succeeded, the next run, a link that runs it", () => {
    const html = page((s) => {
      s.probes[1]!.nextRunAt = '2026-05-01T10:05:20.000Z';
    });
    const row = html.split('\n').find((l) => l.includes('<span class="name">litellm-catalog<'))!;
    expect(row).toContain('<td>expectation_failed</td>');
    expect(row).toContain('server down: mcp_postgres');
    expect(row).toContain(
      '<span class="nowrap" title="2026-05-01T10:04:20.000Z">40s ago</span><br><span class="dim">last success 9m39s ago</span>',
    );
    expect(row).toContain('<span class="nowrap" title="2026-05-01T10:05:20.000Z">in 20s</span>');
    expect(row).toContain('<a href="probe?name=litellm-catalog&amp;debug=true"');
    expect(html).toContain('<a href="metrics">/metrics</a>');
    expect(html).toContain('<a href="status">/status</a>');
    // Links to the sections further down (past hundreds of probes).
    expect(html).toContain(
      '<span class="dim">on this page:</span> <a href="#probes">Probes</a> <a href="#servers">Servers</a> ' +
        '<a href="#clients">Clients</a> <a href="#logs">Followed containers</a> <a href="#health">Health</a></nav>',
    );
  });

  it('a probe that runs only when asked (schedule: on_request): next run "on request", its last run as any', () => {
    const html = page((s) => {
      const p = s.probes.find((x) => x.name === 'litellm-catalog')!;
      p.schedule = 'on request';
      delete p.nextRunAt;
    });
    const row = html.split('\n').find((l) => l.includes('<span class="name">litellm-catalog<'))!;
    expect(row).toContain('40s ago</span>');
    expect(row).toMatch(/<span class="dim nowrap" title="[^"]*on_request[^"]*">on request<\/span>/);
    // Another probe keeps its "-" (no next run known).
    const other = html.split('\n').find((l) => l.includes('<span class="name">litellm-read<'))!;
    expect(other).not.toContain('on request');
  });

  it('escapes every text and masks key material, in names, reasons and links alike', () => {
    const html = page((s) => {
      const p = s.probes[0]!;
      p.name = `a"&<b>'x`;
      p.last!.reason = `<script>alert(1)</script> key ${KEY}`;
      p.last!.success = false;
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(KEY);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; key ***');
    expect(html).toContain('<span class="name">a&quot;&amp;&lt;b&gt;&#39;x</span>');
    expect(html).toContain(`href="probe?name=${escapeHtml(encodeURIComponent(`a"&<b>'x`))}&amp;debug=true"`);
  });

  it("the catalogs' servers, down first; the followed containers with their lines and recent matches", () => {
    const html = page();
    const servers = sectionOf(html, 'servers');
    expect(servers.indexOf('mcp_postgres')).toBeLessThan(servers.indexOf('mcp_fs'));
    expect(servers).toContain('<span class="st fail">DOWN</span>');
    const logs = sectionOf(html, 'logs');
    expect(logs).toContain('<span class="name">litellm-2</span>');
    expect(logs).toContain('<td>18234</td>');
    expect(logs.indexOf('litellm-2')).toBeLessThan(logs.indexOf('<span class="name">litellm</span>'));
  });

  it("discovered servers: each target's list, the probes made for each server, a list that could not be read", () => {
    const html = page((s) => {
      s.discovery = [
        {
          target: 'litellm',
          every: '5m',
          list: {
            source: 'server_list',
            readAt: '2026-05-01T10:03:00.000Z',
            servers: [
              { name: 'mcp_fs', probes: ['litellm-catalog-mcp_fs', 'litellm-guard-mcp_fs'] },
              { name: 'mcp_secret', excluded: true, probes: [] },
            ],
          },
          lastAttempt: { at: '2026-05-01T10:03:00.000Z', ok: true },
        },
        { target: 'other', every: '5m', lastAttempt: { at: '2026-05-01T10:04:00.000Z', ok: false, error: 'HTTP 401' } },
      ];
    });
    expect(html).toContain('<a href="#discovered">Discovered servers</a>');
    const rows = [...sectionOf(html, 'discovered').matchAll(/<tr class="([a-z]+)">(.*?)<\/tr>/g)].map((m) => [
      m[1],
      m[2]!.replace(/<[^>]+>/g, '|').replace(/\|+/g, '|'),
    ]);
    expect(rows).toEqual([
      ['ok', '|listed|mcp_fs|litellm|litellm-catalog-mcp_fs, litellm-guard-mcp_fs|listed by server_list 2m ago|'],
      ['pending', '|excluded|mcp_secret|litellm|-|listed by server_list 2m ago|'],
      ['fail', '|-|(no list yet)|other|the last read failed: HTTP 401|'],
    ]);
    expect(page()).not.toContain('id="discovered"');
  });

  it('500 probes: one row each, failing first', () => {
    const html = page((s) => {
      const template = s.probes[0]!;
      s.probes = Array.from(
        { length: 500 },
        (_, i): ProbeStatus =>
          ({
            ...template,
            name: `p${String(i).padStart(3, '0')}`,
            last: { ...template.last!, success: i % 100 !== 7, outcome: i % 100 !== 7 ? 'ok' : 'timeout' },
          }) as ProbeStatus,
      );
    });
    const order = probeOrder(html);
    expect(order).toHaveLength(500);
    expect(order.slice(0, 5)).toEqual(['fail p007', 'fail p107', 'fail p207', 'fail p307', 'fail p407']);
    expect(order[5]).toBe('ok p000');
    expect(html).toContain('<title>mcpwatch: 5 probes failing</title>');
  });
});
