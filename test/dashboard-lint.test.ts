import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/agent-proc.js';

// The shipped Grafana dashboards, linted: every panel says what it shows (a description) and in what (a unit),
// every query is PromQL as Prometheus's own parser (lezer-promql, the one of Prometheus's UI) reads it and selects
// its job (one Prometheus often scrapes several things, and a dashboard that picks up another job's series
// shows wrong data quietly), and the panels the operators asked for are there. That the queries return data is
// test/integration/prometheus-live.test.ts's.

const DIR = join(REPO, 'config/grafana/dashboards');

interface Target {
  refId: string;
  expr: string;
}
interface Panel {
  id: number;
  title: string;
  type: string;
  description?: string;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string }> };
}

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

const dashboards = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, dash: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Dashboard }));

/** Grafana's interval macros, as Prometheus would get them; the template variables are inside strings. */
const fill = (expr: string): string => expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');

/** What is wrong with a query: a syntax error, vector selectors without a job matcher; and the metrics it reads. */
function lintQuery(expr: string): { problems: string[]; metrics: string[] } {
  const text = fill(expr);
  const tree = parser.parse(text);
  const problems: string[] = [];
  const metrics: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError)
        problems.push(`syntax error at ${n.from}: ${JSON.stringify(text.slice(n.from, n.from + 20))}`);
      if (n.name !== 'VectorSelector') return;
      const selector = text.slice(n.from, n.to);
      const name = n.node.getChild('Identifier');
      if (name) metrics.push(text.slice(name.from, name.to));
      if (!matcherNames(n.node, text).includes('job')) problems.push(`${selector} does not select the job`);
    },
  });
  return { problems, metrics };
}

function matcherNames(selector: SyntaxNode, text: string): string[] {
  const matchers = selector.getChild('LabelMatchers');
  if (!matchers) return [];
  const names: string[] = [];
  for (const m of [...matchers.getChildren('UnquotedLabelMatcher'), ...matchers.getChildren('QuotedLabelMatcher')]) {
    const label = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
    if (label) names.push(text.slice(label.from, label.to).replace(/^"|"$/g, ''));
  }
  return names;
}

describe('lintQuery', () => {
  it.each([
    ['sum by (a) (rate(x{job=~"$job", t="1"}[$__rate_interval]))', [], ['x']],
    ['time() - x{job=~"$job"}', [], ['x']],
    ['{__name__="x", job="a"}', [], []],
    ['x', ['x does not select the job'], ['x']],
    ['x{job="a"} / y{target="b"}', ['y{target="b"} does not select the job'], ['x', 'y']],
    ['x{job="a"', ['syntax error at 9: ""'], ['x']],
  ])('%s', (expr, problems, metrics) => {
    expect(lintQuery(expr)).toEqual({ problems, metrics });
  });
});

describe.each(dashboards)('dashboard $file', ({ dash }) => {
  const panels = dash.panels.filter((p) => p.type !== 'row');

  it('every panel has a description and a unit', () => {
    const missing = panels.flatMap((p) => [
      ...(p.description?.trim() ? [] : [`${p.title}: no description`]),
      ...(p.fieldConfig?.defaults?.unit ? [] : [`${p.title}: no unit (fieldConfig.defaults.unit)`]),
    ]);
    expect(missing).toEqual([]);
  });

  it('every query parses as PromQL and every selector in it selects the job', () => {
    const problems = panels.flatMap((p) =>
      (p.targets ?? []).flatMap((t) => lintQuery(t.expr).problems.map((x) => `${p.title} (${t.refId}): ${x}`)),
    );
    expect(problems).toEqual([]);
    expect(panels.every((p) => (p.targets ?? []).length > 0)).toBe(true);
  });

  it('the job is a template variable', () => {
    expect(dash.templating.list.map((v) => v.name)).toContain('job');
  });

  it.each([
    ['the upstream servers each catalog probe reports (per-server state)', ['mcp_catalog_server_up']],
    ['TLS expiry', ['mcp_probe_tls_cert_expiry_timestamp_seconds', 'mcp_probe_tls_earliest_expiry_timestamp_seconds']],
    ['the OAuth token', ['mcp_oauth_token_expiry_timestamp_seconds', 'mcp_oauth_token_requests_total']],
    ['client config findings', ['mcp_client_config_findings']],
    // Discovery's metrics come with issue 26; the panel is there for them already.
    ['discovered servers', ['mcp_discovery_servers', 'mcp_discovery_server_info']],
  ])('has a panel for %s', (_what, metrics) => {
    const read = new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => lintQuery(t.expr).metrics)));
    expect(metrics.filter((m) => !read.has(m))).toEqual([]);
  });
});
