import type { Registry } from 'prom-client';
import { isSeriesFamily, Pieces, type Format } from './families.js';
import { openMetricsBody } from './openmetrics.js';

export type { Format } from './families.js';

/**
 * The exposition of the one registry, in the Prometheus text format or OpenMetrics: the probe
 * families (families.ts) write their own text; prom-client formats the rest (process metrics,
 * log and self metrics: a few hundred series), converted to OpenMetrics when asked. Families in
 * registration order, as prom-client's `metrics()` gives them.
 */
export async function expose(registry: Registry, format: Format): Promise<string> {
  return (await pieces(registry, format)).toString();
}

/**
 * The exposition as bytes, for the HTTP response: every piece (a family's header, a series'
 * cached lines) encoded straight into one buffer, without a joined string of the whole (1.4 MB at
 * 500 probes) allocated on V8's heap at every scrape.
 */
export async function exposeBytes(registry: Registry, format: Format): Promise<Buffer> {
  return (await pieces(registry, format)).toBuffer();
}

async function pieces(registry: Registry, format: Format): Promise<Pieces> {
  const metrics = registry.getMetricsAsArray();
  // prom-client's families, formatted (some collect asynchronously) before the pieces are laid out in order.
  const texts = await Promise.all(
    metrics.map(async (m) => {
      const family: unknown = m;
      if (isSeriesFamily(family)) return undefined;
      const text = await registry.getSingleMetricAsString(m.name);
      return format === 'openmetrics' ? openMetricsBody(text) : text;
    }),
  );
  // Families apart by a blank line in the text format (as prom-client writes them), by none in OpenMetrics.
  const sep = format === 'openmetrics' ? '\n' : '\n\n';
  const out = new Pieces();
  metrics.forEach((m, i) => {
    if (i > 0) out.add(sep, sep.length);
    const family: unknown = m;
    if (isSeriesFamily(family)) family.writeTo(format, out);
    else out.add(texts[i]!);
  });
  out.add(format === 'openmetrics' ? '\n# EOF\n' : '\n');
  return out;
}
