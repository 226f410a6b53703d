import type { ProbeOutput } from '../types.js';
import type { CallDetails } from './details.js';
import type { McpCallProbeConfig } from './schema.js';
import { checkText, excerpt } from '../text.js';

export interface CallResult {
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
export function checkCallResult(
  tool: string,
  expect: McpCallProbeConfig['expect'],
  r: CallResult,
): ProbeOutput<CallDetails> {
  const text = resultText(r);
  // LiteLLM 1.77 wraps some upstream failures in a result with isError: false: JSON-RPC errors
  // ("MCP error -32602: Tool x not found") and an upstream that did not start.
  const disguised = !r.isError && /^(MCP error -?\d+:|MCP client session is not initialized)/.test(text);
  const isError = Boolean(r.isError) || disguised;
  const details: CallDetails = { tool, isError, textBytes: Buffer.byteLength(text), text: excerpt(text, 500) };
  if (isError && !expect.isError) {
    const message = excerpt(text, 300) || '(no message)';
    const how = disguised ? ' (reported by the gateway with isError: false)' : '';
    return { outcome: 'tool_error', reason: `${tool} failed: ${message}${how}`, details };
  }
  if (!isError && expect.isError)
    return { outcome: 'expectation_failed', reason: `${tool} succeeded, expected isError: true`, details };
  const failed = checkText(text, expect, `${tool} result`);
  if (failed) return { outcome: 'expectation_failed', reason: failed, details };
  return { outcome: 'ok', reason: `${tool} returned ${excerpt(text, 80) || '(empty)'}`, details };
}
