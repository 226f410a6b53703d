import type { Registry } from 'prom-client';
import { isSeriesFamily, type Format } from './families.js';
import { openMetricsBody } from './openmetrics.js';

export type { Format } from './families.js';

/**
 * The exposition of the one registry, in the Prometheus text format or OpenMetrics: the probe
 * families (families.ts) write their own text; prom-client formats the rest (process metrics,
 * log and self metrics: a few hundred series), converted to OpenMetrics when asked. Families in
 * registration order, as prom-client's `metrics()` gives them.
 */
export async function expose(registry: Registry, format: Format): Promise<string> {
  const parts = await Promise.all(
    registry.getMetricsAsArray().map(async (m) => {
      const family: unknown = m;
      if (isSeriesFamily(family)) return family.render(format);
      const text = await registry.getSingleMetricAsString(m.name);
      return format === 'openmetrics' ? openMetricsBody(text) : text;
    }),
  );
  return format === 'openmetrics' ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`;
}
