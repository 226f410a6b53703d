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

/** The JSON-RPC messages of a POST's body (a message, or a batch); none for a body that is not JSON text. */
export function postedMessages(body: unknown): unknown[] {
  if (typeof body !== 'string') return [];
  try {
    const msg = JSON.parse(body) as unknown;
    return Array.isArray(msg) ? msg : [msg];
  } catch {
    return [];
  }
}

/** What a request is, for the step log: the JSON-RPC method(s) of a POST (its `messages`), the stream of a GET. */
export function describeRequest(method: string, messages: readonly unknown[], legacySse: boolean): string {
  if (method === 'GET') return legacySse ? '(open SSE session stream)' : '(open server→client stream)';
  if (method === 'DELETE') return '(end session)';
  return messages
    .map((m) => {
      const name = (m as { method?: unknown } | null)?.method;
      return typeof name === 'string' ? name : 'response';
    })
    .join(', ');
}

/** The ids of the requests among a POST's messages, each as JSON (`1`, `"a"`). */
export function requestIdsOf(messages: readonly unknown[]): string[] {
  return messages.filter(isJSONRPCRequest).map((m) => JSON.stringify(m.id));
}

/** The id of a JSON-RPC response (a result or an error, as the SDK tells them), as JSON; else undefined. */
export function responseIdOf(message: unknown): string | undefined {
  return isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message) ? JSON.stringify(message.id) : undefined;
}
