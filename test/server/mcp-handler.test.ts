import { describe, expect, it } from 'vitest';
import { dedupeRepeated, nodeRequest, withRequestId } from '../../src/server/mcp-handler.js';

// The small parts around the SDK's handler: the request's id in its error bodies, LiteLLM 1.77's
// repeated header, the already-read body handed on. The handler itself: test/server/routes/mcp.test.ts.

const json = (body: unknown, status: number, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('withRequestId', () => {
  const idless = { jsonrpc: '2.0', error: { code: -32000, message: 'Unsupported Media Type' }, id: null };

  it('gives an error answered with id null the request id, status and headers kept', async () => {
    const res = await withRequestId(json(idless, 415, { 'content-length': '99', allow: 'POST' }), 7);
    expect(res.status).toBe(415);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('content-length')).toBeNull();
    expect(await res.text()).toBe(JSON.stringify({ ...idless, id: 7 }));
  });

  it.each([
    ['the request had no id', json(idless, 400), undefined],
    ['a success', json({ jsonrpc: '2.0', result: {}, id: null }, 200), 3],
    ['an error that names its id', json({ ...idless, id: 9 }, 400), 3],
    ['not JSON-RPC', json({ error: 'x' }, 404), 3],
    ['not JSON', new Response('event: message\ndata: {}\n\n', { status: 400 }), 3],
  ])('leaves the body as it is when %s', async (_what, response, id) => {
    const text = await response.clone().text();
    const res = await withRequestId(response, id);
    expect(res.status).toBe(response.status);
    expect(await res.text()).toBe(text);
  });
});

describe('dedupeRepeated', () => {
  it.each([
    ['2025-06-18, 2025-06-18', '2025-06-18'],
    [['2025-06-18', '2025-06-18'], '2025-06-18'],
    ['2025-06-18', '2025-06-18'],
    ['2025-06-18, 2025-03-26', '2025-06-18, 2025-03-26'],
    [undefined, undefined],
  ])('%j → %j', (value, expected) => {
    expect(dedupeRepeated(value)).toEqual(expected);
  });
});

describe('nodeRequest', () => {
  it('hands on method, URL, headers and the body already read', async () => {
    const req = nodeRequest({ method: 'POST', url: '/mcp', headers: { host: 'h' } }, Buffer.from('{"a":1}'));
    expect(req).toMatchObject({ method: 'POST', url: '/mcp', headers: { host: 'h' } });
    const chunks: unknown[] = [];
    for await (const c of req) chunks.push(c);
    expect(Buffer.concat(chunks as Buffer[]).toString()).toBe('{"a":1}');
    const empty: unknown[] = [];
    for await (const c of nodeRequest({ headers: {} }, undefined)) empty.push(c);
    expect(empty).toEqual([]);
  });
});
