import {
  CallToolRequestSchema,
  ErrorCode,
  InitializeRequestSchema,
  JSONRPCMessageSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
  type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';

/** A JSON-RPC error answered without an id (the message could not be read), with its HTTP status. */
export interface RejectedBody {
  status: 400 | 413;
  code: number;
  message: string;
}

/**
 * Pure: reads the body of a POST to `/mcp` as JSON-RPC, before the SDK sees it, so that what is
 * not JSON-RPC gets a JSON-RPC error (the SDK answers -32700 for a message that is JSON but not
 * JSON-RPC, and 202 for an empty batch). Empty or not JSON: -32700. Not a JSON-RPC 2.0 message,
 * or an empty batch: -32600. Both HTTP 400, as the transport spec asks for input it cannot accept.
 */
export function readJsonRpcBody(
  body: Buffer | string | undefined,
): { ok: true; message: unknown } | { ok: false; rejected: RejectedBody } {
  const text = body === undefined ? '' : typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '')
    return reject(ErrorCode.ParseError, 'Parse error: the body is empty (send a JSON-RPC message)');
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    // Not the parser's own words: they quote the body, which may hold a key.
    return reject(ErrorCode.ParseError, 'Parse error: the body is not valid JSON');
  }
  const messages = Array.isArray(message) ? message : [message];
  if (messages.length === 0) return reject(ErrorCode.InvalidRequest, 'Invalid Request: an empty batch');
  for (const [i, m] of messages.entries()) {
    const why = invalidMessage(m);
    if (why)
      return reject(
        ErrorCode.InvalidRequest,
        `Invalid Request: ${Array.isArray(message) ? `message ${i + 1} of the batch: ` : ''}${why}`,
      );
  }
  return { ok: true, message };
}

/** The HTTP status and JSON-RPC error for a body over the size limit. */
export function bodyTooLarge(limitBytes: number): RejectedBody {
  return {
    status: 413,
    code: ErrorCode.InvalidRequest,
    message: `Invalid Request: the body is larger than ${Math.round(limitBytes / 1024)} KiB`,
  };
}

function reject(code: number, message: string): { ok: false; rejected: RejectedBody } {
  return { ok: false, rejected: { status: 400, code, message } };
}

function invalidMessage(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'a JSON-RPC message is an object';
  const o = m as Record<string, unknown>;
  if (o.jsonrpc !== '2.0')
    return `"jsonrpc" must be "2.0" (got ${o.jsonrpc === undefined ? 'none' : JSON.stringify(o.jsonrpc).slice(0, 40)})`;
  if ('method' in o && typeof o.method !== 'string') return '"method" must be a string';
  if (!JSONRPCMessageSchema.safeParse(m).success) return 'not a JSON-RPC 2.0 request, notification or response';
  return undefined;
}

/** The requests mcpwatch's server answers, with the SDK's schemas for their params. */
const PARAMS_OF: Readonly<
  Record<
    string,
    {
      safeParse(v: unknown): {
        success: boolean;
        error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> };
      };
    }
  >
> = {
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
  'tools/list': ListToolsRequestSchema,
  'tools/call': CallToolRequestSchema,
};

/**
 * Pure: a request whose params do not fit its method gets -32602 Invalid params (the SDK answers
 * -32603 Internal error there, as if mcpwatch had failed). Undefined when they fit, or when the
 * method is not one mcpwatch serves (the SDK answers that with -32601).
 */
export function invalidParams(request: JSONRPCRequest): { code: number; message: string } | undefined {
  const schema = PARAMS_OF[request.method];
  if (!schema) return undefined;
  const r = schema.safeParse(request);
  if (r.success) return undefined;
  const issues = (r.error?.issues ?? []).map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`);
  return {
    code: ErrorCode.InvalidParams,
    message: `Invalid params for ${request.method}: ${issues.join('; ') || 'they do not match its schema'}`,
  };
}
