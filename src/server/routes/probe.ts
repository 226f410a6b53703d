import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE } from '../../metrics/registry.js';
import { runExposition } from '../../metrics/run-exposition.js';
import { elsewhereMessage } from '../../runtime/status-view.js';
import { holdOpenWhileAnswering } from '../hold-open.js';
import type { AppDeps, ProbeRunAnswer } from '../ports.js';

/** A probe runs at most once per this long on request: a request within it gets that run (in flight or ended). */
export const PROBE_REUSE_MS = 10_000;
/** What a scrape's timeout keeps for the answer itself (blackbox_exporter's default offset). */
export const SCRAPE_TIMEOUT_OFFSET_S = 0.5;
/** The header Prometheus sends its scrape timeout in. */
const SCRAPE_TIMEOUT_HEADER = 'x-prometheus-scrape-timeout-seconds';
/** Says that the answer is another request's run (`in_flight` or `recent`). */
export const REUSED_HEADER = 'x-mcpwatch-reused';

type Query = { name?: string; debug?: string; format?: string };

/**
 * `/probe?name=NAME`: runs that probe now. JSON by default; the run's series in the Prometheus text format for a
 * scrape (an Accept that prefers text/plain or OpenMetrics, as Prometheus sends, or `format=prometheus`), the way
 * blackbox_exporter answers, with the scrape's own timeout (X-Prometheus-Scrape-Timeout-Seconds) less half a
 * second when that is shorter than the probe's.
 */
export const probeRoutes: FastifyPluginAsync<AppDeps> = async (app, { agent, connectionTimeoutMs }) => {
  app.get<{ Querystring: Query }>('/probe', async (req, reply) => {
    const { name, debug, format } = req.query;
    const asText = formatOf(format, req.headers.accept);
    if (asText instanceof Error) return reply.code(400).send({ error: asText.message });
    const timeoutMs = scrapeTimeoutMs(req.headers[SCRAPE_TIMEOUT_HEADER]);
    if (timeoutMs instanceof Error) return reply.code(400).send({ error: timeoutMs.message });
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
    const asked = Date.now();
    const answer = await agent.requestRun(name, {
      reuseWithinMs: PROBE_REUSE_MS,
      // A scrape wants the run's series, not the gateway's log, which comes later.
      withGatewayLog: !asText,
      ...(timeoutMs !== undefined && { timeoutMs }),
    });
    const reused = answer.reused && { run: answer.reused, message: reusedMessage(answer, asked) };
    void reply.header('cache-control', 'no-store');
    if (reused) void reply.header(REUSED_HEADER, reused.run);
    if (asText)
      return sendText(reply, agent.redactor.mask(runExposition(answer.result, reused ? [reused.message] : [])));
    const { result } = answer;
    const { steps, ...rest } = result;
    const body = debug === 'true' || debug === '1' ? result : rest;
    return reply.send(
      agent.redactor.maskDeep({
        ...body,
        startedAt: new Date(result.startedAt).toISOString(),
        ...(body === result && { steps }),
        ...(reused && { reused }),
      }),
    );
  });
};

function sendText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
}

/** Pure: whether the answer is the run's series in text (true) or JSON (false); an Error for an unknown `format`. */
export function formatOf(format: string | undefined, accept: string | undefined): boolean | Error {
  if (format === 'prometheus') return true;
  if (format === 'json') return false;
  if (format !== undefined) return new Error(`unknown format "${format}": prometheus or json`);
  return prefersMetricsText(accept);
}

/**
 * Pure: an Accept that prefers the Prometheus text format or OpenMetrics (answered as the text format, which
 * Prometheus also reads) to JSON. `*\/*` alone, a browser's Accept, or none: JSON, as always.
 */
export function prefersMetricsText(accept: string | undefined): boolean {
  if (!accept) return false;
  let text = 0;
  let json = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q >= 0)) continue;
    const t = type?.trim().toLowerCase();
    if (t === 'text/plain' || t === 'application/openmetrics-text') text = Math.max(text, q);
    else if (t === 'application/json') json = Math.max(json, q);
  }
  return text > 0 && text > json;
}

/**
 * Pure: the run's timeout from a scrape's X-Prometheus-Scrape-Timeout-Seconds, less SCRAPE_TIMEOUT_OFFSET_S;
 * undefined without the header, or when nothing would be left (then the probe's own timeout, as
 * blackbox_exporter does); an Error for a value that is not a positive number of seconds.
 */
export function scrapeTimeoutMs(header: string | string[] | undefined): number | undefined | Error {
  if (header === undefined) return undefined;
  const raw = Array.isArray(header) ? header[0] : header;
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (!(seconds > 0) || !Number.isFinite(seconds))
    return new Error(`X-Prometheus-Scrape-Timeout-Seconds: expected a number of seconds, got "${String(raw)}"`);
  const left = seconds - SCRAPE_TIMEOUT_OFFSET_S;
  return left > 0 ? Math.round(left * 1000) : undefined;
}

/** Pure: what an answer that is not its own run says (the JSON's `reused.message`, the text's first comment). */
export function reusedMessage({ result, reused }: ProbeRunAnswer, askedAt: number): string {
  const ago = `${(Math.max(0, askedAt - result.startedAt) / 1000).toFixed(1)} s`;
  if (reused === 'in_flight') {
    const run = result.trigger === 'schedule' ? 'the scheduled run' : 'the run';
    return `${run} already under way (started ${ago} before this request) answers it: a probe never runs twice at once`;
  }
  return (
    `the run asked for ${ago} before this request answers it: ` +
    `/probe runs a probe at most once per ${PROBE_REUSE_MS / 1000} s`
  );
}
