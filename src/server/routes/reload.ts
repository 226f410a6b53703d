import type { FastifyPluginAsync } from 'fastify';
import { formatProblem } from '../../config/problems.js';
import type { AppDeps } from '../ports.js';

/** Why `POST /-/reload` answers 403, and how to turn it on. */
export const LIFECYCLE_DISABLED =
  'POST /-/reload is disabled: start mcpwatch with --web.enable-lifecycle (or set web.enableLifecycle: true), ' +
  'or send it SIGHUP, which always reloads';

export const reloadRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent }) => {
  app.post('/-/reload', async (_req, reply) => {
    // Read per request: a reload that sets web.enableLifecycle applies to the next one.
    if (!agent.webAccess().lifecycle) return reply.code(403).send({ status: 'error', error: LIFECYCLE_DISABLED });
    const r = await agent.reload();
    if (!r.ok) return reply.code(400).send({ status: 'error', errors: r.problems.map(formatProblem) });
    return reply.send({ status: 'ok', warnings: r.warnings.map(formatProblem) });
  });
};
