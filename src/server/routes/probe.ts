import type { FastifyPluginAsync } from 'fastify';
import { holdOpenWhileAnswering } from '../hold-open.js';
import type { AppDeps } from '../ports.js';

export const probeRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent, connectionTimeoutMs }) => {
  app.get<{ Querystring: { name?: string; debug?: string } }>('/probe', async (req, reply) => {
    const { name, debug } = req.query;
    const names = agent.probeNames();
    if (!name) return reply.code(400).send({ error: 'missing query parameter name', probes: names });
    if (!names.includes(name)) return reply.code(404).send({ error: `unknown probe "${name}"`, probes: names });
    holdOpenWhileAnswering(req, reply, connectionTimeoutMs);
    const result = await agent.runProbe(name);
    const { steps, ...rest } = result;
    const body = debug === 'true' || debug === '1' ? result : rest;
    return reply.header('cache-control', 'no-store').send(agent.redactor.maskDeep({ ...body, startedAt: new Date(result.startedAt).toISOString(), ...(body === result && { steps }) }));
  });
};
