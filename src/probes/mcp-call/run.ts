import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { classifyMcpError } from '../mcp/failures.js';
import { openSession, type McpSession } from '../mcp/session.js';
import { withSsoToken } from '../oauth/with-token.js';
import { formatDuration } from '../../config/duration.js';
import { ProbeFailure, ProbeTimeoutError, type ProbeFn } from '../types.js';
import { NO_PREFIX, serverOf } from '../tool-servers.js';
import type { CallProbeDetails } from './details.js';
import type { McpCallProbeConfig } from './schema.js';
import { checkCallResult, type CallResult } from './verdict.js';
import { stripMcpErrorPrefix } from '../text.js';

/** initialize + tools/call through the gateway, result checked. */
export const run: ProbeFn<McpCallProbeConfig, CallProbeDetails> = async (spec, ctx) => {
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
    const result = await ctx.phases.run('call_tool', () =>
      s.call((opts) => s.client.callTool({ name: spec.tool, arguments: spec.arguments }, undefined, opts)),
    );
    return checkCallResult(spec.tool, spec.expect, result as CallResult);
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
    // A JSON-RPC error to tools/call (unknown tool, bad arguments) is the tool failing.
    if (
      failure?.outcome === 'protocol_error' &&
      ctx.phases.last === 'call_tool' &&
      err instanceof McpError &&
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
