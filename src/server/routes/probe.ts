import type { FastifyPluginAsync } from 'fastify';
import { holdOpenWhileAnswering } from '../hold-open.js';
import { elsewhereMessage } from '../../runtime/status-view.js';
import type { AppDeps } from '../ports.js';

export const probeRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent, connectionTimeoutMs }) => {
  app.get<{ Querystring: { name?: string; debug?: string } }>('/probe', async (req, reply) => {
    const { name, debug } = req.query;
    const names = agent.probeNames();
    if (!name) return reply.code(400).send({ error: 'missing query parameter name', probes: names });
    if (!names.includes(name)) {
      // Configured, but another replica runs it (another shard's): running it here too would put its
      // series on two replicas. 409, naming the shard that has it.
      const elsewhere = agent.probeElsewhere(name);
      if (elsewhere)
        return reply.code(409).send({
          error: elsewhereMessage(elsewhere),
          shard: { index: elsewhere.shard, total: elsewhere.total },
          probes: names,
        });
      return reply.code(404).send({ error: `unknown probe "${name}"`, probes: names });
    }
    holdOpenWhileAnswering(req, reply, connectionTimeoutMs);
    const result = await agent.runProbe(name);
    const { steps, ...rest } = result;
    const body = debug === 'true' || debug === '1' ? result : rest;
    return reply.header('cache-control', 'no-store').send(
      agent.redactor.maskDeep({
        ...body,
        startedAt: new Date(result.startedAt).toISOString(),
        ...(body === result && { steps }),
      }),
    );
  });
};
