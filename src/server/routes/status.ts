import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../ports.js';

export const statusRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent }) => {
  app.get('/status', async (_req, reply) => reply.header('cache-control', 'no-store').send(agent.status()));
};
