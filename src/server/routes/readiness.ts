import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../ports.js';

/**
 * The probes an orchestrator asks, as Prometheus names them: `/-/healthy` is 200 while the process serves HTTP
 * (a liveness probe: nothing else is asked); `/-/ready` is 200 once the config is loaded and the scheduler runs,
 * 503 before that and while shutting down (a readiness probe). `/health` stays the one that says how mcpwatch
 * works (503 when its event loop blocks or its scheduler stalls). GET and HEAD.
 */
export const readinessRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent }) => {
  app.get('/-/healthy', async (_req, reply) =>
    reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('mcpwatch is healthy.\n'),
  );
  app.get('/-/ready', async (_req, reply) => {
    const r = agent.readiness();
    void reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8');
    if (r.ready) return reply.send('mcpwatch is ready.\n');
    return reply.code(503).send(`mcpwatch is not ready: ${r.reason}.\n`);
  });
};
