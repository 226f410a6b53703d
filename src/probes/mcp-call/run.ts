import { ProtocolError } from '@modelcontextprotocol/client';
import { classifyMcpError } from '../mcp/failures.js';
import { serverOutcomesOf } from '../mcp/responses.js';
import { speaking } from '../mcp/protocol.js';
import { listToolsPage, openSession, type McpSession } from '../mcp/session.js';
import { withSsoToken } from '../oauth/with-token.js';
import { formatDuration } from '../../config/duration.js';
import { ProbeFailure, ProbeTimeoutError, type ProbeContext, type ProbeFn, type ServerOutcomes } from '../types.js';
import { NO_PREFIX, serverOf } from '../tool-servers.js';
import type { CallProbeDetails } from './details.js';
import type { McpCallProbeConfig } from './schema.js';
import { asksAboutServer, checkCallResult, noResponseReason, type CalledServer, type CallResult } from './verdict.js';
import { stripMcpErrorPrefix } from '../text.js';

/** Time kept for the rest of the run (closing the session) when the server check gets what is left of it. */
const MARGIN_MS = 1_000;

/** initialize + tools/call through the gateway, result checked. */
export const run: ProbeFn<McpCallProbeConfig, CallProbeDetails> = (spec, ctx) =>
  speaking(ctx, () => callRun(spec, ctx));

const callRun: ProbeFn<McpCallProbeConfig, CallProbeDetails> = async (spec, ctx) => {
  const startedAt = performance.now();
  let session: McpSession | undefined;
  try {
    session = await withSsoToken(ctx, (token) =>
      openSession(ctx, {
        servers: spec.servers,
        headers: spec.headers,
        ...(token && { ssoToken: token }),
        ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }),
      }),
    );
    const s = session;
    ctx.step(`tools/call ${spec.tool}`, { arguments: spec.arguments });
    const result = (await ctx.phases.run('call_tool', () =>
      s.call((opts) => s.client.callTool({ name: spec.tool, arguments: spec.arguments }, opts)),
    )) as CallResult;
    const server: CalledServer = { name: serverOf(spec.tool, spec.servers) };
    if (asksAboutServer(spec.expect, result)) {
      const status = await serverStatus(ctx, s, server.name, startedAt);
      if (status) server.status = status;
    }
    return checkCallResult(spec.tool, spec.expect, result, server);
  } catch (err) {
    // The gateway answered initialize, the tool did not answer: name the tool and its server, the
    // part that is down (an upstream blocked on its own backend, e.g. postgres-mcp on its database).
    if (ctx.signal.reason instanceof ProbeTimeoutError && ctx.phases.last === 'call_tool') {
      const server = serverOf(spec.tool, spec.servers);
      const ofServer = server !== NO_PREFIX ? ` (server ${server})` : '';
      throw new ProbeFailure(
        'timeout',
        `timeout after ${formatDuration(ctx.timeoutMs)} in call_tool: ${spec.tool}${ofServer} did not answer, ` +
          'while the gateway answered initialize: the upstream server is stuck or waits on its own backend',
      );
    }
    const failure = classifyMcpError(err, ctx, session?.responses ?? [], ctx.phases.last);
    const noResponse =
      failure?.outcome === 'http_error' && ctx.phases.last === 'call_tool'
        ? noResponseReason(spec.tool, serverOf(spec.tool, spec.servers), failure.message)
        : undefined;
    if (failure && noResponse) throw new ProbeFailure('http_error', noResponse, failure.details);
    // A JSON-RPC error to tools/call (unknown tool, bad arguments) is the tool failing.
    if (
      failure?.outcome === 'protocol_error' &&
      ctx.phases.last === 'call_tool' &&
      err instanceof ProtocolError &&
      failure.message.startsWith('JSON-RPC error')
    ) {
      throw new ProbeFailure('tool_error', `${spec.tool} failed: ${err.code} ${stripMcpErrorPrefix(err.message)}`, {
        jsonRpcError: err.code,
      });
    }
    throw failure ?? err;
  } finally {
    // After the timeout the reason above must reach the run within its grace period: the DELETE
    // that ends the session (its own deadline and connection) is not waited for then. A gateway
    // whose upstream hangs may take seconds to answer it (LiteLLM 1.109: 12 s).
    if (ctx.signal.aborted) void session?.close();
    else await session?.close();
  }
};

/**
 * LiteLLM 1.108+ answers a call to a server it could not start as it answers an unknown tool ("Error: Tool x not
 * found"): what its tools/list says of the server in the same session tells them apart (its per-server outcomes, on
 * a result or on the error it gives when every server failed). Within what is left of the run, less a margin, so
 * that the call's result stands; no answer, or none about the server, is undefined.
 */
async function serverStatus(
  ctx: ProbeContext,
  session: McpSession,
  server: string,
  startedAt: number,
): Promise<string | undefined> {
  const left = Math.floor(ctx.timeoutMs - (performance.now() - startedAt) - MARGIN_MS);
  if (left < 500) return undefined;
  ctx.step(`tools/list: is ${server} up? (the gateway answered the call as it answers an unknown tool)`);
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(left)]);
  let outcomes: ServerOutcomes | undefined;
  try {
    const res = await Promise.race([
      listToolsPage(session.client, undefined, { signal, timeout: left }),
      session.failed,
    ]);
    outcomes = serverOutcomesOf(res._meta);
  } catch (err) {
    outcomes = err instanceof ProtocolError ? serverOutcomesOf(err.data) : undefined;
  }
  const status = outcomes?.[server]?.status;
  ctx.step(`← ${server}: ${typeof status === 'string' ? status : 'no word from the gateway'}`);
  return typeof status === 'string' ? status : undefined;
}
