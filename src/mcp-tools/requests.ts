/** A JSON-RPC error mcpwatch answers itself (the SDK answers the rest), with its HTTP status. */
export interface RejectedBody {
  status: 400 | 413;
  code: number;
  message: string;
}

/** A JSON-RPC id: what a request names itself by. */
export type RequestId = string | number;

/** What mcpwatch reads of a body before the SDK reads it as JSON-RPC. */
export interface BodyFacts {
  /** The request's id, when the body is one JSON-RPC message that has one (a string or a number). */
  id?: RequestId;
  /** The body is a JSON array: a JSON-RPC batch. */
  batch: boolean;
}

const INVALID_REQUEST = -32600;

/**
 * Pure: the id and the shape of a POST body, read before the SDK sees it, so that every error
 * mcpwatch or the SDK answers names the request it answers. Anything else about the body (not
 * JSON, not JSON-RPC, params that do not fit) the SDK answers itself; a body that is not JSON has
 * no id here.
 */
export function bodyFacts(body: Buffer | string | undefined): BodyFacts {
  const text = body === undefined ? '' : typeof body === 'string' ? body : body.toString('utf8');
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { batch: false };
  }
  if (Array.isArray(message)) return { batch: true };
  const id = typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
    ? { id, batch: false }
    : { batch: false };
}

/**
 * A JSON-RPC batch: MCP removed batching in 2025-06-18, and the 2026-07-28 revision refuses batches
 * that hold its requests. mcpwatch refuses every batch alike, whatever revision its messages claim.
 */
export function batchRefused(): RejectedBody {
  return {
    status: 400,
    code: INVALID_REQUEST,
    message: 'Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18): send one message',
  };
}

/** The HTTP status and JSON-RPC error for a body over the size limit. */
export function bodyTooLarge(limitBytes: number): RejectedBody {
  return {
    status: 413,
    code: INVALID_REQUEST,
    message: `Invalid Request: the body is larger than ${Math.round(limitBytes / 1024)} KiB`,
  };
}
