import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
import { expose, exposeBytes } from '../../src/metrics/exposition.js';
import { SeriesCounter, SeriesGauge, SeriesHistogram } from '../../src/metrics/families.js';
import { toOpenMetrics } from '../../src/metrics/openmetrics.js';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { createMetrics } from '../../src/metrics/registry.js';
import type { ProbeResult } from '../../src/probes/table.js';

// The exposition writer against prom-client's own rendering of the same values, series by
// series: every family's HELP and TYPE, every sample's name, label set and value, in both
// formats. prom-client is the reference (it is what mcpwatch exported before).

interface Parsed {
  /** name → `type help` */
  families: Map<string, string>;
  /** `name{a="x",b="y"}` with labels sorted → value text */
  samples: Map<string, string>;
  order: string[];
}

function parse(text: string): Parsed {
  const families = new Map<string, string>();
  const help = new Map<string, string>();
  const samples = new Map<string, string>();
  const order: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'HELP') help.set(meta[2]!, meta[3]!);
      else {
        families.set(meta[2]!, `${meta[3]} ${help.get(meta[2]!)}`);
        order.push(meta[2]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort();
    const key = `${m[1]}{${labels.join(',')}}`;
    expect(samples.has(key), `duplicate series ${key}`).toBe(false);
    samples.set(key, m[3]!.toLowerCase());
  }
  return { families, samples, order };
}

function expectSame(ours: string, reference: string): void {
  const a = parse(ours);
  const b = parse(reference);
  expect(a.families).toEqual(b.families);
  expect(a.order).toEqual(b.order);
  expect([...a.samples.keys()].sort()).toEqual([...b.samples.keys()].sort());
  expect(Object.fromEntries(a.samples)).toEqual(Object.fromEntries(b.samples));
}

const LABELS = ['probe', 'target', 'type', 'extra'] as const;
// Label values that need escaping, and one left out (prom-client allows partial label sets).
const AWKWARD: Array<Record<string, string>> = [
  { probe: 'plain', target: 'lan', type: 'http' },
  { probe: 'quote"d', target: 'back\\slash', type: 'new\nline' },
  { probe: 'unicode ✓', target: '', type: 'http', extra: 'x' },
  { probe: 'partial', type: 'http' },
];

/** The same operations on prom-client's metrics and on ours. */
function fill(): { ref: Registry; own: Registry } {
  const ref = new Registry();
  const own = new Registry();
  const help = 'Help with a back\\slash and a\nnewline.';
  const g1 = new Gauge({ name: 't_gauge', help, labelNames: LABELS, registers: [ref] });
  const g2 = new SeriesGauge({ name: 't_gauge', help, labelNames: LABELS });
  const c1 = new Counter({ name: 't_runs_total', help: 'Runs.', labelNames: LABELS, registers: [ref] });
  const c2 = new SeriesCounter({ name: 't_runs_total', help: 'Runs.', labelNames: LABELS });
  const buckets = [0.01, 0.1, 1, 2.5, 10];
  const h1 = new Histogram({ name: 't_seconds', help: 'Durations.', labelNames: LABELS, buckets, registers: [ref] });
  const h2 = new SeriesHistogram({ name: 't_seconds', help: 'Durations.', labelNames: LABELS, buckets });
  const bare1 = new Gauge({ name: 't_bare', help: 'No labels.', registers: [ref] });
  const bare2 = new SeriesGauge({ name: 't_bare', help: 'No labels.', labelNames: [] });
  const empty1 = new Gauge({ name: 't_empty', help: 'No series.', labelNames: LABELS, registers: [ref] });
  const empty2 = new SeriesGauge({ name: 't_empty', help: 'No series.', labelNames: LABELS });
  for (const f of [g2, c2, h2, bare2, empty2]) own.registerMetric(f as never);
  void empty1;
  void empty2;

  const values = [0, 1, -1, 0.1 + 0.2, 1e21, 1e-7, 1_700_000_000.123, Infinity, -Infinity, NaN];
  AWKWARD.forEach((labels, i) => {
    g1.set(labels, values[i]!);
    g2.set(labels, values[i]!);
    c1.inc(labels, 0);
    c2.inc(labels, 0);
    for (let k = 0; k <= i; k++) {
      c1.inc(labels, 1.5);
      c2.inc(labels, 1.5);
    }
    // On the bounds, between them and above the last.
    for (const v of [0, 0.01, 0.011, 0.1, 1, 2.5, 3, 10, 10.5, 100].slice(0, 4 + i * 2)) {
      h1.observe(labels, v);
      h2.observe(labels, v);
    }
  });
  for (const v of values.slice(7)) {
    g1.set({ probe: `special ${v}` }, v);
    g2.set({ probe: `special ${v}` }, v);
  }
  bare1.set(42);
  bare2.set({}, 42);
  // Removed series are gone from both.
  g1.remove(AWKWARD[0]!);
  g2.remove(AWKWARD[0]!);
  h1.remove(AWKWARD[1]!);
  h2.remove(AWKWARD[1]!);
  return { ref, own };
}

describe('exposition writer', () => {
  it('writes what prom-client writes for the same values, series by series (text format)', async () => {
    const { ref, own } = fill();
    const ours = await expose(own, 'text');
    expectSame(ours, await ref.metrics());
    // And prom-client's rendering of our families (through get()) agrees too.
    expectSame(await own.metrics(), await ref.metrics());
    expect(ours.endsWith('\n')).toBe(true);
    expect(ours).not.toContain('\n\n\n');
  });

  it('writes OpenMetrics as prom-client text converted to it', async () => {
    const { ref, own } = fill();
    const ours = await expose(own, 'openmetrics');
    expectSame(ours, toOpenMetrics(await ref.metrics()));
    expect(ours).toContain('# TYPE t_runs counter\n');
    expect(ours).toContain('# HELP t_runs Runs.\n');
    expect(ours.endsWith('\n# EOF\n')).toBe(true);
    expect(ours).not.toContain('\n\n');
  });

  it('the whole registry: probe families, prom-client metrics and process metrics, as prom-client renders them', async () => {
    const registry = new Registry();
    const m = createMetrics(registry);
    const recorder = new ProbeRecorder(m);
    const r = parseConfig(
      `targets:
  lan: { url: "http://gw:4000", apiKey: sk-test-1234567890abcdef, apiKeyHeader: x-litellm-api-key, oauth2: { tokenUrl: "http://kc/token", clientId: c, clientSecret: s } }
probes:
  - { name: h, type: http, target: lan }
  - { name: c, type: mcp_catalog, target: lan, expect: { tools: [a_echo, b_gone] } }
  - { name: g, type: auth_guard, target: lan }
`,
      {},
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    recorder.declare(r.config.probes, ['lan']);
    const base = { trigger: 'schedule' as const, steps: [], startedAt: 1_700_000_000_000, target: 'lan' };
    recorder.record({
      ...base,
      probe: 'h',
      type: 'http',
      outcome: 'ok',
      reason: 'ok',
      success: true,
      durationMs: 12.5,
      phases: { connect: 1, ttfb: 3 },
      tls: { notAfter: 1_800_000_000_000, earliestNotAfter: 1_790_000_000_000 },
    } as unknown as ProbeResult);
    recorder.record({
      ...base,
      probe: 'c',
      type: 'mcp_catalog',
      outcome: 'missing_tool',
      reason: 'b_gone missing',
      success: false,
      durationMs: 240,
      phases: { initialize: 100, tools_list: 140 },
      details: {
        catalog: {
          changed: true,
          added: [],
          removed: [],
          changedSchemas: [],
          tools: 3,
          toolsPerServer: { a: 2, b: 1 },
          fingerprint: 'f',
        },
        expectedTools: { a_echo: true, b_gone: false },
        servers: { a: { up: true }, b: { up: false, reason: 'no_tools' } },
      },
    } as unknown as ProbeResult);
    const ours = await expose(registry, 'text');
    const reference = await registry.metrics();
    // Process metrics move between two reads (CPU, memory, handles): compare those by name only.
    const moving = /^(process_|nodejs_)/;
    const stable = (t: string): string =>
      t
        .split('\n')
        .map((l) => (moving.test(l) ? l.replace(/ \S+$/, ' 0') : l))
        .join('\n');
    expectSame(stable(ours), stable(reference));
    expectSame(stable(await expose(registry, 'openmetrics')), stable(toOpenMetrics(reference)));
    expect(ours).toMatch(/^mcp_probe_duration_seconds_bucket\{probe="h",target="lan",type="http",le="0\.05"\} 1$/m);
    expect(ours).toMatch(
      /^mcp_catalog_server_failures_total\{probe="c",target="lan",type="mcp_catalog",server="b",reason="no_tools"\} 1$/m,
    );
  });

  it('refuses a label the family does not have, and a counter going down', () => {
    const c = new SeriesCounter({ name: 'x_total', help: 'x', labelNames: ['a'] });
    expect(() => c.inc({ b: '1' })).toThrow(/label "b"/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/cannot be increased by -1/);
    expect(() => new SeriesHistogram({ name: 'h', help: 'h', labelNames: [], buckets: [1, 1] })).toThrow(/distinct/);
  });
});

describe('exposition bytes and the per-series text kept between scrapes', () => {
  it('exposeBytes is the UTF-8 of expose, in both formats', async () => {
    const { own } = fill();
    for (const format of ['text', 'openmetrics'] as const)
      expect((await exposeBytes(own, format)).toString('utf8')).toBe(await expose(own, format));
  });

  it('a series written again after a change shows the change, one left alone shows the same text', async () => {
    const registry = new Registry();
    const g = new SeriesGauge({ name: 'g', help: 'g', labelNames: ['p'] });
    const c = new SeriesCounter({ name: 'c_total', help: 'c', labelNames: ['p'] });
    const h = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['p'], buckets: [1] });
    for (const f of [g, c, h]) registry.registerMetric(f as never);
    g.set({ p: 'a' }, 1);
    g.set({ p: 'b' }, 1);
    c.inc({ p: 'a' });
    h.observe({ p: 'a' }, 0.5);
    const before = await expose(registry, 'text');
    g.set({ p: 'a' }, 2);
    g.set({ p: 'b' }, 1); // the same value
    c.inc({ p: 'a' }, 0); // no change
    c.inc({ p: 'a' }, 2);
    h.observe({ p: 'a' }, 5);
    const after = parse(await expose(registry, 'text')).samples;
    expect(parse(before).samples.get('g{p="a"}')).toBe('1');
    expect(after.get('g{p="a"}')).toBe('2');
    expect(after.get('g{p="b"}')).toBe('1');
    expect(after.get('c_total{p="a"}')).toBe('3');
    expect(after.get('h_bucket{le="1",p="a"}')).toBe('1');
    expect(after.get('h_bucket{le="+Inf",p="a"}')).toBe('2');
    expect(after.get('h_count{p="a"}')).toBe('2');
    expect(after.get('h_sum{p="a"}')).toBe('5.5');
    // Removed and created again: starts over.
    c.remove({ p: 'a' });
    c.inc({ p: 'a' });
    expect(parse(await expose(registry, 'text')).samples.get('c_total{p="a"}')).toBe('1');
  });
});
