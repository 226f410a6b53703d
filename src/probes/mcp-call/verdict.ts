import type { ProbeOutput } from '../types.js';
import { NO_PREFIX } from '../tool-servers.js';
import type { CallDetails } from './details.js';
import type { McpCallProbeConfig } from './schema.js';
import { checkText, excerpt } from '../text.js';
import { nameInBandRefusal } from '../mcp/gateway-refusals.js';

export interface CallResult {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: unknown;
}

/** The tool's server, and what the gateway's tools/list said of it when it was asked (LiteLLM 1.108+). */
export interface CalledServer {
  /** serverOf(tool, the probe's servers). */
  name: string;
  /** Its status in the gateway's per-server outcomes (`ok`, `internal`, `unreachable`, …). */
  status?: string;
}

/** LiteLLM 1.77's words for a call to a server it has no session to (one that failed to start), with isError: false. */
const NO_SESSION = /^MCP client session is not initialized\b/;
/**
 * LiteLLM 1.108+'s words for a call to a server that failed to start, and alike for an unknown tool of an up one
 * (`Error: Tool echo not found`; 1.109.1 quotes the name, `Tool 'echo'`, when another server is in x-mcp-servers).
 */
const TOOL_NOT_FOUND = /^Error: Tool \S+ not found$/;

/**
 * LiteLLM 1.77's HTTP 500 for a call to a server that failed to start, by timing, instead of the no-session answer:
 * `{"code":-32600,"message":"Error processing request: No response received"}`.
 */
const NO_RESPONSE = /No response received/;

/**
 * Pure: the reason for a call the gateway answered with an HTTP error saying it got no response from the tool's
 * server: that server named as the part that is down, the gateway's own answer kept. Undefined for other errors.
 */
export function noResponseReason(tool: string, server: string, message: string): string | undefined {
  if (!NO_RESPONSE.test(message)) return undefined;
  const name = server !== NO_PREFIX ? `server ${server}` : "the tool's server";
  return `${tool} failed: ${name} is down: the gateway got no response from it (its answer: ${excerpt(message, 300)})`;
}

/** The text a tool returned: its text content, else its structured content as JSON. */
export function resultText(r: CallResult): string {
  const texts = (r.content ?? []).filter((c) => c.type === 'text' && typeof c.text === 'string').map((c) => c.text!);
  if (texts.length) return texts.join('\n');
  return r.structuredContent !== undefined ? JSON.stringify(r.structuredContent) : '';
}

/**
 * Pure: whether the gateway's answer needs its word on the tool's server to be read: LiteLLM 1.108+ answers a call
 * to a server it could not start as it answers an unknown tool, and only its tools/list tells them apart.
 */
export function asksAboutServer(expect: McpCallProbeConfig['expect'], r: CallResult): boolean {
  return !expect.isError && Boolean(r.isError) && TOOL_NOT_FOUND.test(resultText(r).trim());
}

/** Pure: why the call failed when the gateway's words say the tool's server is down; undefined when they do not. */
function serverDown(text: string, server: CalledServer | undefined): string | undefined {
  const name = server && server.name !== NO_PREFIX ? `server ${server.name}` : "the tool's server";
  const words = excerpt(text, 200);
  if (NO_SESSION.test(text)) return `${name} is down: the gateway has no session to it (its words: ${words})`;
  if (server?.status && server.status !== 'ok' && TOOL_NOT_FOUND.test(text.trim()))
    return (
      `${name} is down: the gateway could not list its tools (${server.status}), so it does not know the tool ` +
      `(its words: ${words})`
    );
  return undefined;
}

/** Pure: a tools/call result against the probe's `expect`; `server` is the tool's, to name it when it is down. */
export function checkCallResult(
  tool: string,
  expect: McpCallProbeConfig['expect'],
  r: CallResult,
  server?: CalledServer,
): ProbeOutput<CallDetails> {
  const text = resultText(r);
  // LiteLLM 1.77 wraps some upstream failures in a result with isError: false: JSON-RPC errors
  // ("MCP error -32602: Tool x not found") and an upstream that did not start.
  const disguised = !r.isError && (/^MCP error -?\d+:/.test(text) || NO_SESSION.test(text));
  const isError = Boolean(r.isError) || disguised;
  const details: CallDetails = { tool, isError, textBytes: Buffer.byteLength(text), text: excerpt(text, 500) };
  if (isError && !expect.isError) {
    const down = serverDown(text, server);
    if (down) return { outcome: 'tool_error', reason: `${tool} failed: ${down}`, details };
    // LiteLLM 1.109+'s rate limit or a missing upstream credential, said in the result (mcp/gateway-refusals.ts).
    const refused = nameInBandRefusal(
      text.replace(/^Error: /, ''),
      server && server.name !== NO_PREFIX ? server.name : undefined,
    );
    if (refused) return { outcome: refused.outcome, reason: `${tool} failed: ${refused.reason}`, details };
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
