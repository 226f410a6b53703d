import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppDeps } from './ports.js';
import { healthRoutes } from './routes/health.js';
import { landingRoutes } from './routes/landing.js';
import { readinessRoutes } from './routes/readiness.js';
import { mcpRoutes } from './routes/mcp.js';
import { metricsRoutes } from './routes/metrics.js';
import { CONNECTION_TIMEOUT_MS } from './hold-open.js';
import { probeRoutes } from './routes/probe.js';
import { reloadRoutes } from './routes/reload.js';
import { statusRoutes } from './routes/status.js';
import { webGuard } from './web-guard.js';
import type { WebGate } from './web-gate.js';

/**
 * Builds the HTTP app without listening, so tests can use inject(). `web`: the web config (`--web.config.file`):
 * HTTPS when it has TLS, and its basic auth, headers and rate limit on every route.
 */
export async function buildApp(deps: AppDeps, opts: { web?: WebGate } = {}): Promise<FastifyInstance> {
  const https = opts.web?.httpsOptions();
  // Fastify types an HTTPS app apart; the routes see the same instance either way.
  const app = (Fastify as (o: object) => FastifyInstance)({
    ...(https && { https }),
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Our own onResponse hook logs requests (quietly for scrapes and health checks).
    logController: new LogController({ disableRequestLogging: true }),
    // A scrape or health check must never hang on a slow client.
    // (a request that runs a probe is held open while it runs: hold-open.ts)
    connectionTimeout: deps.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
    requestTimeout: 60_000,
    bodyLimit: 1024 * 1024,
  });
  // DNS-rebinding protection on every route: a foreign Origin or Host is refused before anything is read (first:
  // a rebound page gets no basic-auth prompt under its own name).
  app.addHook(
    'onRequest',
    webGuard(deps.agent, () => app.server.address()),
  );
  // The web config's headers, rate limit and basic auth, on every route (/mcp with its own token aside).
  opts.web?.install(app, { mcpToken: () => deps.agent.mcpAccess()?.token });
  // Scrapes and health and readiness checks arrive every few seconds: log them only at debug.
  app.addHook('onResponse', async (req, reply) => {
    const quiet = /^\/(?:metrics|health|-\/healthy|-\/ready)/.test(req.url);
    const level = reply.statusCode >= 500 ? 'warn' : quiet ? 'debug' : 'info';
    req.log[level](
      { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    void reply.code(status).send({ error: err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({
      error: `no route ${req.method} ${req.url.split('?')[0]}`,
      routes: [
        '/',
        '/metrics',
        '/health',
        '/-/healthy',
        '/-/ready',
        '/status',
        '/probe?name=NAME',
        'POST /-/reload',
        '/mcp',
      ],
    });
  });
  await app.register(metricsRoutes, deps);
  await app.register(healthRoutes, deps);
  await app.register(readinessRoutes, deps);
  await app.register(statusRoutes, deps);
  await app.register(landingRoutes, deps);
  await app.register(probeRoutes, deps);
  await app.register(reloadRoutes, deps);
  await app.register(mcpRoutes, {
    source: deps.agent,
    access: () => deps.agent.mcpAccess(),
    logger: deps.logger,
    ...(deps.connectionTimeoutMs !== undefined && { connectionTimeoutMs: deps.connectionTimeoutMs }),
  });
  return app;
}
