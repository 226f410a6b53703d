import { Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  isSeriesFamily,
  Pieces,
  SeriesCounter,
  SeriesGauge,
  SeriesHistogram,
} from '../../src/metrics/families.js';

// The families whose series render themselves: their text in both formats, series removed, and the
// lines a series keeps between scrapes written anew once its value changes.

const LABELS = ['probe', 'target', 'type'] as const;
const gauge = () => new SeriesGauge({ name: 'mcp_probe_success', help: 'Whether it worked.', labelNames: LABELS });
const counter = () =>
  new SeriesCounter({ name: 'mcp_probe_runs_total', help: 'Runs.', labelNames: [...LABELS, 'outcome'] });
const p = { probe: 'web', target: 'gw', type: 'http' };

describe('SeriesGauge', () => {
  it('HELP, TYPE, then a line per series, labels in labelNames order whatever the order given', () => {
    const g = gauge();
    expect(g.render('text')).toBe('# HELP mcp_probe_success Whether it worked.\n# TYPE mcp_probe_success gauge');
    g.set({ type: 'http', target: 'gw', probe: 'web' }, 1);
    g.set({ ...p, probe: 'cat' }, 0);
    expect(g.render('text')).toBe(
      '# HELP mcp_probe_success Whether it worked.\n# TYPE mcp_probe_success gauge\n' +
        'mcp_probe_success{probe="web",target="gw",type="http"} 1\n' +
        'mcp_probe_success{probe="cat",target="gw",type="http"} 0',
    );
    // A gauge renders the same in OpenMetrics.
    expect(g.render('openmetrics')).toBe(g.render('text'));
    expect(g.size).toBe(2);
  });

  it('the cached line of a series is written anew after its value changes, and only its', () => {
    const g = gauge();
    g.set(p, 1);
    g.set({ ...p, probe: 'other' }, 5);
    expect(g.render('text')).toContain('mcp_probe_success{probe="web",target="gw",type="http"} 1');
    g.set(p, 0);
    const after = g.render('text');
    expect(after).toContain('mcp_probe_success{probe="web",target="gw",type="http"} 0');
    expect(after).not.toContain('type="http"} 1');
    expect(after).toContain('{probe="other",target="gw",type="http"} 5');
    // The same value again: still right.
    g.set(p, 0);
    expect(g.render('text')).toBe(after);
  });

  it('removing a series drops its line; reset drops them all; removing one that is not there is nothing', () => {
    const g = gauge();
    g.set(p, 1);
    g.set({ ...p, probe: 'cat' }, 1);
    g.remove(p);
    g.remove({ ...p, probe: 'never' });
    expect(g.render('text')).not.toContain('probe="web"');
    expect(g.size).toBe(1);
    // Set again after removal: back, from scratch.
    g.set(p, 7);
    expect(g.render('text')).toContain('mcp_probe_success{probe="web",target="gw",type="http"} 7');
    g.reset();
    expect(g.size).toBe(0);
  });

  it('no labels: the bare name; a label left out is not written; special values and escapes', () => {
    const bare = new SeriesGauge({ name: 'up_now', help: 'a\\b\nc', labelNames: [] });
    bare.set({}, Number.NaN);
    expect(bare.render('text')).toBe('# HELP up_now a\\\\b\\nc\n# TYPE up_now gauge\nup_now NaN');
    const g = gauge();
    g.set({ probe: 'we"ird\\\nname', target: 'gw' }, Infinity);
    expect(g.render('text').split('\n')[2]).toBe('mcp_probe_success{probe="we\\"ird\\\\\\nname",target="gw"} +Inf');
  });

  it('refuses a label it does not have and a name that is not a metric name', () => {
    expect(() => gauge().set({ ...p, extra: 'x' }, 1)).toThrow(
      'mcp_probe_success: label "extra" is not one of probe, target, type',
    );
    expect(() => new SeriesGauge({ name: 'bad-name', help: 'h', labelNames: [] })).toThrow(
      'invalid metric name: bad-name',
    );
  });

  it("get(): prom-client's shape, for Registry.metrics()", async () => {
    const g = gauge();
    g.set(p, 3);
    expect(await g.get()).toEqual({
      name: 'mcp_probe_success',
      help: 'Whether it worked.',
      type: 'gauge',
      aggregator: 'sum',
      values: [{ labels: p, value: 3 }],
    });
  });
});

describe('SeriesCounter', () => {
  it('inc adds (1 by default); 0 creates the series at 0; it never goes down', () => {
    const c = counter();
    c.inc({ ...p, outcome: 'timeout' }, 0);
    c.inc({ ...p, outcome: 'ok' });
    c.inc({ ...p, outcome: 'ok' }, 2.5);
    expect(c.render('text')).toBe(
      '# HELP mcp_probe_runs_total Runs.\n# TYPE mcp_probe_runs_total counter\n' +
        'mcp_probe_runs_total{probe="web",target="gw",type="http",outcome="timeout"} 0\n' +
        'mcp_probe_runs_total{probe="web",target="gw",type="http",outcome="ok"} 3.5',
    );
    expect(() => c.inc({ ...p, outcome: 'ok' }, -1)).toThrow(
      'mcp_probe_runs_total: a counter cannot be increased by -1',
    );
    expect(() => c.inc({ ...p, outcome: 'ok' }, Number.NaN)).toThrow(/cannot be increased by NaN/);
  });

  it('OpenMetrics names the family without _total; the samples keep it', () => {
    const c = counter();
    c.inc({ ...p, outcome: 'ok' });
    expect(c.render('openmetrics')).toBe(
      '# HELP mcp_probe_runs Runs.\n# TYPE mcp_probe_runs counter\n' +
        'mcp_probe_runs_total{probe="web",target="gw",type="http",outcome="ok"} 1',
    );
  });

  it('the cached line follows each increase', () => {
    const c = counter();
    const labels = { ...p, outcome: 'ok' };
    c.inc(labels);
    expect(c.render('text')).toMatch(/outcome="ok"\} 1$/);
    c.inc(labels);
    expect(c.render('text')).toMatch(/outcome="ok"\} 2$/);
    // inc by 0 of a series that exists changes nothing.
    c.inc(labels, 0);
    expect(c.render('text')).toMatch(/outcome="ok"\} 2$/);
  });
});

describe('SeriesHistogram', () => {
  const hist = () =>
    new SeriesHistogram({
      name: 'mcp_probe_duration_seconds',
      help: 'Durations.',
      labelNames: LABELS,
      buckets: [1, 0.1, 0.5],
    });

  it('cumulative buckets in order, +Inf last, then _sum and _count; the same in OpenMetrics', () => {
    const h = hist();
    expect(h.buckets).toEqual([0.1, 0.5, 1]);
    h.observe(p, 0.05);
    h.observe(p, 0.5);
    h.observe(p, 3);
    const text = h.render('text');
    expect(text).toBe(
      [
        '# HELP mcp_probe_duration_seconds Durations.',
        '# TYPE mcp_probe_duration_seconds histogram',
        'mcp_probe_duration_seconds_bucket{probe="web",target="gw",type="http",le="0.1"} 1',
        'mcp_probe_duration_seconds_bucket{probe="web",target="gw",type="http",le="0.5"} 2',
        'mcp_probe_duration_seconds_bucket{probe="web",target="gw",type="http",le="1"} 2',
        'mcp_probe_duration_seconds_bucket{probe="web",target="gw",type="http",le="+Inf"} 3',
        'mcp_probe_duration_seconds_sum{probe="web",target="gw",type="http"} 3.55',
        'mcp_probe_duration_seconds_count{probe="web",target="gw",type="http"} 3',
      ].join('\n'),
    );
    expect(h.render('openmetrics')).toBe(text);
  });

  it('without labels; a new observation updates the cached lines', () => {
    const h = new SeriesHistogram({ name: 'h_seconds', help: 'h', labelNames: [], buckets: [1] });
    h.observe({}, 2);
    expect(h.render('text').split('\n').slice(2)).toEqual([
      'h_seconds_bucket{le="1"} 0',
      'h_seconds_bucket{le="+Inf"} 1',
      'h_seconds_sum 2',
      'h_seconds_count 1',
    ]);
    h.observe({}, 0.5);
    expect(h.render('text').split('\n').slice(2)).toEqual([
      'h_seconds_bucket{le="1"} 1',
      'h_seconds_bucket{le="+Inf"} 2',
      'h_seconds_sum 2.5',
      'h_seconds_count 2',
    ]);
    h.remove({});
    expect(h.render('text').split('\n')).toHaveLength(2);
  });

  it('refuses buckets that repeat or are not finite', () => {
    expect(() => new SeriesHistogram({ name: 'h', help: 'h', labelNames: [], buckets: [1, 1] })).toThrow(
      'h: buckets must be distinct finite numbers',
    );
    expect(() => new SeriesHistogram({ name: 'h', help: 'h', labelNames: [], buckets: [Infinity] })).toThrow(
      /distinct finite/,
    );
  });

  it("get(): each bucket, _sum and _count, as prom-client's histograms give them", async () => {
    const h = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['probe'], buckets: [1] });
    h.observe({ probe: 'a' }, 0.5);
    expect((await h.get()).values).toEqual([
      { labels: { probe: 'a', le: 1 }, value: 1, metricName: 'h_bucket' },
      { labels: { probe: 'a', le: '+Inf' }, value: 1, metricName: 'h_bucket' },
      { labels: { probe: 'a' }, value: 0.5, metricName: 'h_sum' },
      { labels: { probe: 'a' }, value: 1, metricName: 'h_count' },
    ]);
  });
});

describe('on a prom-client Registry', () => {
  it("registered like prom-client's own metrics: Registry.metrics() renders them through get()", async () => {
    const registry = new Registry();
    const g = gauge();
    registry.registerMetric(g as unknown as Metric);
    g.set(p, 1);
    expect(await registry.metrics()).toContain('mcp_probe_success{probe="web",target="gw",type="http"} 1');
    expect(isSeriesFamily(g)).toBe(true);
    expect(isSeriesFamily(counter())).toBe(true);
    expect(isSeriesFamily(registry)).toBe(false);
  });
});

describe('helpers', () => {
  it('formatValue', () => {
    expect([1, 0.25, -3, NaN, Infinity, -Infinity, 1e21].map(formatValue)).toEqual([
      '1',
      '0.25',
      '-3',
      'NaN',
      '+Inf',
      '-Inf',
      '1e+21',
    ]);
  });

  it('escapeLabelValue escapes backslash, newline and quote; escapeHelp leaves quotes', () => {
    expect(escapeLabelValue('plain')).toBe('plain');
    expect(escapeLabelValue('a\\b\n"c"')).toBe('a\\\\b\\n\\"c\\"');
    expect(escapeHelp('say "hi"\\\n')).toBe('say "hi"\\\\\\n');
  });

  it('Pieces: its bytes are the UTF-8 length, and its buffer is its text', () => {
    const out = new Pieces();
    out.add('# HELP x ünïcødé\n');
    out.add('x 1', 3);
    expect(out.toString()).toBe('# HELP x ünïcødé\nx 1');
    expect(out.bytes).toBe(Buffer.byteLength(out.toString()));
    expect(out.toBuffer().toString('utf8')).toBe(out.toString());
  });
});
