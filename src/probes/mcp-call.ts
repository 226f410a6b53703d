import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpCallProbeConfig } from '../config/schema.js';
import { ProbeFailure } from './errors.js';
import { checkText, excerpt } from './expect.js';
import { classifyMcpError } from './mcp-errors.js';
import { openSession, type McpSession } from './mcp-client.js';
import type { ProbeFn, ProbeOutput } from './types.js';

interface CallResult {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: unknown;
}

/** The text a tool returned: its text content, else its structured content as JSON. */
export function resultText(r: CallResult): string {
  const texts = (r.content ?? []).filter((c) => c.type === 'text' && typeof c.text === 'string').map((c) => c.text!);
  if (texts.length) return texts.join('\n');
  return r.structuredContent !== undefined ? JSON.stringify(r.structuredContent) : '';
}

/** Pure: a tools/call result against the probe's `expect`. */
export function checkCallResult(tool: string, expect: McpCallProbeConfig['expect'], r: CallResult): ProbeOutput {
  const text = resultText(r);
  // LiteLLM 1.77 wraps some upstream failures in a result with isError: false: JSON-RPC errors
  // ("MCP error -32602: Tool x not found") and an upstream that did not start.
  const disguised = !r.isError && /^(MCP error -?\d+:|MCP client session is not initialized)/.test(text);
  const isError = Boolean(r.isError) || disguised;
  const details = { tool, isError, textBytes: Buffer.byteLength(text), text: excerpt(text, 500) };
  if (isError && !expect.isError) {
    return { outcome: 'tool_error', reason: `${tool} failed: ${excerpt(text, 300) || '(no message)'}${disguised ? ' (reported by the gateway with isError: false)' : ''}`, details };
  }
  if (!isError && expect.isError) return { outcome: 'expectation_failed', reason: `${tool} succeeded, expected isError: true`, details };
  const failed = checkText(text, expect, `${tool} result`);
  if (failed) return { outcome: 'expectation_failed', reason: failed, details };
  return { outcome: 'ok', reason: `${tool} returned ${excerpt(text, 80) || '(empty)'}`, details };
}

/** initialize + tools/call through the gateway, result checked. */
export const mcpCallProbe: ProbeFn<McpCallProbeConfig> = async (spec, ctx) => {
  let session: McpSession | undefined;
  try {
    session = await openSession(ctx, { servers: spec.servers, headers: spec.headers, ...(spec.maxResponseBytes && { maxResponseBytes: spec.maxResponseBytes }) });
    const s = session;
    ctx.step(`tools/call ${spec.tool}`, { arguments: spec.arguments });
    const result = (await ctx.phases.run('call_tool', () => s.call((opts) => s.client.callTool({ name: spec.tool, arguments: spec.arguments }, undefined, opts))));
    return checkCallResult(spec.tool, spec.expect, result as CallResult);
  } catch (err) {
    const failure = classifyMcpError(err, ctx, session?.responses ?? [], ctx.phases.last);
    // A JSON-RPC error to tools/call (unknown tool, bad arguments) is the tool failing.
    if (failure?.outcome === 'protocol_error' && ctx.phases.last === 'call_tool' && err instanceof McpError && failure.message.startsWith('JSON-RPC error')) {
      throw new ProbeFailure('tool_error', `${spec.tool} failed: ${err.code} ${err.message.replace(/^(MCP error -?\d+: )+/, '')}`, { jsonRpcError: err.code });
    }
    throw failure ?? err;
  } finally {
    await session?.close();
  }
};
