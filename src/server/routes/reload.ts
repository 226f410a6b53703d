import type { FastifyPluginAsync } from 'fastify';
import { formatProblem } from '../../config/problems.js';
import type { AppDeps } from '../ports.js';

export const reloadRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent }) => {
  app.post('/-/reload', async (_req, reply) => {
    const r = await agent.reload();
    if (!r.ok) return reply.code(400).send({ status: 'error', errors: r.problems.map(formatProblem) });
    return reply.send({ status: 'ok', warnings: r.warnings.map(formatProblem) });
  });
};
