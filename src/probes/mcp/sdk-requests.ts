import { isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse } from '@modelcontextprotocol/client';

/** The headers of a request the SDK makes, as a record (the SDK passes a Headers, an array of pairs or a record). */
export function headersOf(h: unknown): Record<string, string> {
  if (!h) return {};
  if (typeof (h as Headers).forEach === 'function' && !(h instanceof Array)) {
    const out: Record<string, string> = {};
    (h as Headers).forEach((v, k) => (out[k] = v));
    return out;
  }
  if (Array.isArray(h)) return Object.fromEntries(h as Array<[string, string]>);
  return { ...(h as Record<string, string>) };
}

/** What a request is, for the step log: the JSON-RPC method(s) of a POST, the stream of a GET. */
export function describeRequest(method: string, body: unknown, legacySse: boolean): string {
  if (method === 'GET') return legacySse ? '(open SSE session stream)' : '(open server→client stream)';
  if (method === 'DELETE') return '(end session)';
  if (typeof body !== 'string') return '';
  try {
    const msg = JSON.parse(body) as { method?: unknown } | Array<{ method?: unknown }>;
    const methods = (Array.isArray(msg) ? msg : [msg]).map((m) =>
      typeof m?.method === 'string' ? m.method : 'response',
    );
    return methods.join(', ');
  } catch {
    return '';
  }
}

/** The ids of the requests in a POST's JSON-RPC body (a message, or a batch), each as JSON (`1`, `"a"`). */
export function requestIdsOf(body: unknown): string[] {
  if (typeof body !== 'string') return [];
  try {
    const msg = JSON.parse(body) as unknown;
    return (Array.isArray(msg) ? msg : [msg]).filter(isJSONRPCRequest).map((m) => JSON.stringify(m.id));
  } catch {
    return [];
  }
}

/** The id of a JSON-RPC response (a result or an error, as the SDK tells them), as JSON; else undefined. */
export function responseIdOf(message: unknown): string | undefined {
  return isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message) ? JSON.stringify(message.id) : undefined;
}
