import type { FastifyPluginAsync } from 'fastify';
import { httpStatusFor } from '../../runtime/health-view.js';
import type { AppDeps } from '../ports.js';

export const healthRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent }) => {
  app.get('/health', async (_req, reply) => {
    const report = agent.health();
    return reply.code(httpStatusFor(report.status)).header('cache-control', 'no-store').send(report);
  });
};
