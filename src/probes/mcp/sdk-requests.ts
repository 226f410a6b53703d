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
