/**
 * Metric families whose series render themselves: the per-probe metrics, thousands of series at
 * scale. prom-client formats every series at every scrape (label objects spread, escaped and
 * joined, about 2 µs a series); these keep each series' label text, escaped once when the series
 * is created, and write a scrape by concatenation. They register on prom-client's Registry like
 * its own metrics (so the registry stays the one list of what mcpwatch exports, and its
 * `metrics()` and `getMetricsAsJSON()` still work through `get()`), and the exposition writer
 * (exposition.ts) asks them for their text.
 */

export type Format = 'text' | 'openmetrics';
export type LabelValues = Readonly<Record<string, string>>;

interface FamilyOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
}

interface Entry {
  /** The series' labels as given (for get()). */
  labels: Record<string, string>;
  /** `a="x",b="y"`: escaped, in labelNames order; '' without labels. */
  text: string;
  /**
   * The series' sample lines as the last scrape wrote them, until its value changes: a series
   * that did not change since (most of them, when probes run less often than Prometheus
   * scrapes) costs a scrape one string, not a number formatted anew.
   */
  lines: string | undefined;
  /** The UTF-8 length of `lines`. */
  bytes: number;
}

interface ValueEntry extends Entry {
  value: number;
}

interface HistogramEntry extends Entry {
  /** Observations per bucket (not cumulative); the last is above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** prom-client's shape of a metric's values, for Registry.metrics() and getMetricsAsJSON(). */
export interface FamilyValues {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

/** A sample value as Prometheus and OpenMetrics read it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return `${v}`;
}

export function escapeLabelValue(v: string): string {
  return /[\\\n"]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

export function escapeHelp(v: string): string {
  return /[\\\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : v;
}

/**
 * One string, stored flat: what `+` and template literals build is a rope, which every scrape that
 * encodes it would walk again; `join` writes the pieces into one sequential string.
 */
function flat(pieces: string[]): string {
  return pieces.join('');
}

/**
 * A scrape being written: its pieces and their UTF-8 length, encoded into one buffer at the end
 * (no joined string of the whole exposition on V8's heap).
 */
export class Pieces {
  private readonly list: string[] = [];
  bytes = 0;

  add(s: string, bytes = Buffer.byteLength(s)): void {
    this.list.push(s);
    this.bytes += bytes;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (const s of this.list) at += buf.write(s, at);
    return buf;
  }

  toString(): string {
    return this.list.join('');
  }
}

abstract class Family<L extends string, E extends Entry> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'gauge' | 'counter' | 'histogram';
  protected readonly entries = new Map<string, E>();
  private readonly known: ReadonlySet<string>;

  constructor(opts: FamilyOptions<L>) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(opts.name)) throw new Error(`invalid metric name: ${opts.name}`);
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
    this.known = new Set(opts.labelNames);
  }

  /** The series of these label values, if any. */
  protected find(labels: LabelValues): E | undefined {
    return this.entries.get(this.key(labels));
  }

  /** The series of these label values, created (its label text rendered once) if new. */
  protected entry(labels: LabelValues): E {
    const key = this.key(labels);
    let e = this.entries.get(key);
    if (e) return e;
    for (const name of Object.keys(labels)) {
      if (!this.known.has(name))
        throw new Error(`${this.name}: label "${name}" is not one of ${this.labelNames.join(', ')}`);
    }
    const parts: string[] = [];
    const own: Record<string, string> = {};
    for (const name of this.labelNames) {
      const v = labels[name];
      if (v === undefined) continue;
      own[name] = v;
      parts.push(`${name}="${escapeLabelValue(v)}"`);
    }
    e = this.create({ labels: own, text: parts.join(','), lines: undefined, bytes: 0 });
    this.entries.set(key, e);
    return e;
  }

  protected abstract create(base: Entry): E;

  remove(labels: LabelValues): void {
    this.entries.delete(this.key(labels));
  }

  reset(): void {
    this.entries.clear();
  }

  /** Series in this family now. */
  get size(): number {
    return this.entries.size;
  }

  /** HELP and TYPE lines, then one line per sample; no trailing newline. */
  render(format: Format): string {
    const out = new Pieces();
    this.writeTo(format, out);
    return out.toString();
  }

  /** render(), as pieces of the scrape. */
  writeTo(format: Format, out: Pieces): void {
    // OpenMetrics names a counter family without its samples' `_total`.
    const family =
      format === 'openmetrics' && this.type === 'counter' && this.name.endsWith('_total')
        ? this.name.slice(0, -6)
        : this.name;
    out.add(`# HELP ${family} ${escapeHelp(this.help)}\n# TYPE ${family} ${this.type}`);
    for (const e of this.entries.values()) {
      if (e.lines === undefined) {
        e.lines = this.lines(e);
        e.bytes = Buffer.byteLength(e.lines);
      }
      out.add(e.lines, e.bytes);
    }
  }

  /** A series' samples, each as `\n` + its line, as one flat string. */
  protected abstract lines(e: E): string;

  abstract get(): Promise<FamilyValues>;

  private key(labels: LabelValues): string {
    let k = '';
    for (const name of this.labelNames) k += `${labels[name] ?? ''}\u0000`;
    return k;
  }
}

abstract class ValueFamily<L extends string> extends Family<L, ValueEntry> {
  protected create(base: Entry): ValueEntry {
    return { ...base, value: 0 };
  }

  protected lines(e: ValueEntry): string {
    return flat(
      e.text === ''
        ? ['\n', this.name, ' ', formatValue(e.value)]
        : ['\n', this.name, '{', e.text, '} ', formatValue(e.value)],
    );
  }

  get(): Promise<FamilyValues> {
    const values = [...this.entries.values()].map((e) => ({ labels: { ...e.labels }, value: e.value }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}

export class SeriesGauge<L extends string = string> extends ValueFamily<L> {
  readonly type = 'gauge' as const;

  set(labels: LabelValues, value: number): void {
    const e = this.entry(labels);
    if (e.value === value && e.lines !== undefined) return;
    e.value = value;
    e.lines = undefined;
  }
}

export class SeriesCounter<L extends string = string> extends ValueFamily<L> {
  readonly type = 'counter' as const;

  /** Adds `by` (default 1; 0 creates the series at 0). A counter only goes up. */
  inc(labels: LabelValues, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter cannot be increased by ${by}`);
    if (by === 0) {
      this.entry(labels);
      return;
    }
    const e = this.entry(labels);
    e.value += by;
    e.lines = undefined;
  }
}

export class SeriesHistogram<L extends string = string> extends Family<L, HistogramEntry> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];
  /** `le` label text of each bucket, `+Inf` last. */
  private readonly le: readonly string[];

  constructor(opts: FamilyOptions<L> & { buckets: readonly number[] }) {
    super(opts);
    const sorted = [...opts.buckets].sort((a, b) => a - b);
    if (sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1])))
      throw new Error(`${opts.name}: buckets must be distinct finite numbers`);
    this.buckets = sorted;
    this.le = [...sorted.map(formatValue), '+Inf'];
  }

  protected create(base: Entry): HistogramEntry {
    return { ...base, counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  observe(labels: LabelValues, value: number): void {
    const e = this.entry(labels);
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    e.counts[i]!++;
    e.sum += value;
    e.count++;
    e.lines = undefined;
  }

  protected lines(e: HistogramEntry): string {
    const prefix = e.text === '' ? `\n${this.name}_bucket{le="` : `\n${this.name}_bucket{${e.text},le="`;
    const tail = e.text === '' ? '' : `{${e.text}}`;
    const lines: string[] = [];
    let acc = 0;
    for (let i = 0; i < this.le.length; i++) {
      acc += e.counts[i]!;
      lines.push(prefix, this.le[i]!, '"} ', String(acc));
    }
    lines.push(
      '\n',
      this.name,
      '_sum',
      tail,
      ' ',
      formatValue(e.sum),
      '\n',
      this.name,
      '_count',
      tail,
      ' ',
      String(e.count),
    );
    return flat(lines);
  }

  get(): Promise<FamilyValues> {
    const values: FamilyValues['values'] = [];
    for (const e of this.entries.values()) {
      let acc = 0;
      this.le.forEach((le, i) => {
        acc += e.counts[i]!;
        values.push({
          labels: { ...e.labels, le: i < this.buckets.length ? this.buckets[i]! : '+Inf' },
          value: acc,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push(
        { labels: { ...e.labels }, value: e.sum, metricName: `${this.name}_sum` },
        { labels: { ...e.labels }, value: e.count, metricName: `${this.name}_count` },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}

export type SeriesFamily = SeriesGauge | SeriesCounter | SeriesHistogram;

export function isSeriesFamily(m: unknown): m is SeriesFamily {
  return m instanceof SeriesGauge || m instanceof SeriesCounter || m instanceof SeriesHistogram;
}
