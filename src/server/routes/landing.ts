import type { FastifyPluginAsync } from 'fastify';
import { landingHtml } from '../landing-html.js';
import type { AppDeps } from '../ports.js';

/** The page allows nothing but its own inline style: no script, no image, no form, no frame. */
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** `/`: the agent's state at a glance for a browser (landing-html.ts), from what /status and /health answer. */
export const landingRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent }) => {
  app.get('/', async (_req, reply) => {
    const html = landingHtml({
      status: agent.status(),
      health: agent.health(),
      now: Date.now(),
      mask: (text) => agent.redactor.mask(text),
    });
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(html);
  });
};
