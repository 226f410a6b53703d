import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpCallProbeConfig } from '../config/schema.js';
import { classifyMcpError } from './mcp/failures.js';
import { openSession, type McpSession } from './mcp/session.js';
import { ProbeFailure, type ProbeFn } from './types.js';
import { checkCallResult, type CallResult } from './verdicts/call.js';
import { stripMcpErrorPrefix } from './verdicts/text.js';

/** initialize + tools/call through the gateway, result checked. */
export const mcpCallProbe: ProbeFn<McpCallProbeConfig> = async (spec, ctx) => {
  let session: McpSession | undefined;
  try {
    session = await openSession(ctx, { servers: spec.servers, headers: spec.headers, ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }) });
    const s = session;
    ctx.step(`tools/call ${spec.tool}`, { arguments: spec.arguments });
    const result = await ctx.phases.run('call_tool', () => s.call((opts) => s.client.callTool({ name: spec.tool, arguments: spec.arguments }, undefined, opts)));
    return checkCallResult(spec.tool, spec.expect, result as CallResult);
  } catch (err) {
    const failure = classifyMcpError(err, ctx, session?.responses ?? [], ctx.phases.last);
    // A JSON-RPC error to tools/call (unknown tool, bad arguments) is the tool failing.
    if (failure?.outcome === 'protocol_error' && ctx.phases.last === 'call_tool' && err instanceof McpError && failure.message.startsWith('JSON-RPC error')) {
      throw new ProbeFailure('tool_error', `${spec.tool} failed: ${err.code} ${stripMcpErrorPrefix(err.message)}`, { jsonRpcError: err.code });
    }
    throw failure ?? err;
  } finally {
    await session?.close();
  }
};
