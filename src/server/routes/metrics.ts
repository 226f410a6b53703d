import type { FastifyPluginAsync } from 'fastify';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../../metrics/registry.js';
import type { AppDeps } from '../ports.js';

export const metricsRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent }) => {
  app.get('/metrics', async (req, reply) => {
    if (wantsOpenMetrics(req.headers.accept))
      return reply.type(OPENMETRICS_CONTENT_TYPE).send(await agent.scrape('openmetrics'));
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(await agent.scrape('text'));
  });
};

/** Prometheus asks for OpenMetrics first in its Accept header; other scrapers get the text format. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? '1',
    );
    const t = type?.trim().toLowerCase();
    if (t === 'application/openmetrics-text') om = Math.max(om, q);
    else if (t === 'text/plain' || t === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}
