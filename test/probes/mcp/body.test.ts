import { describe, expect, it } from 'vitest';
import {
  bodyFaultReason,
  formatBytes,
  watchBody,
  type BodyFault,
  type BodyMode,
} from '../../../src/probes/mcp/body.js';

/** A body that yields these chunks, then ends (or fails with `error`); `cancelled` tells whether it was cancelled. */
function source(chunks: string[], error?: Error): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let i = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(new TextEncoder().encode(chunks[i++]));
      else if (error) c.error(error);
      else c.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

/** Reads a watched body to its end: its text, or the fault that ended it; and the SSE fields seen. */
async function read(
  chunks: string[],
  mode: BodyMode,
  opts: { limit?: number; error?: Error } = {},
): Promise<{ text?: string; fault?: BodyFault; fields: string[]; cancelled: boolean }> {
  const src = source(chunks, opts.error);
  const fields: string[] = [];
  let fault: BodyFault | undefined;
  const watched = watchBody(
    src.stream,
    opts.limit ?? 1024,
    mode,
    { onField: (f, v) => fields.push(`${f}=${v}`) },
    (why) => {
      fault = why;
      return new Error('fault');
    },
  );
  try {
    const text = await new Response(watched).text();
    return { text, fields, cancelled: src.cancelled() };
  } catch {
    return { ...(fault !== undefined && { fault }), fields, cancelled: src.cancelled() };
  }
}

describe('watchBody', () => {
  it('passes a body through unchanged', async () => {
    expect(await read(['{"a":', '1}'], 'plain')).toMatchObject({ text: '{"a":1}', fields: [] });
  });

  it('stops at the limit, and cancels the source so that no more is read', async () => {
    expect(await read(['x'.repeat(600), 'x'.repeat(600), 'x'], 'plain', { limit: 1000 })).toMatchObject({
      fault: 'too_large',
      cancelled: true,
    });
  });

  it('a connection that breaks mid-body is a fault with its error', async () => {
    const broken = new Error('socket hang up');
    expect((await read(['{"a"'], 'plain', { error: broken })).fault).toBe(broken);
  });

  it.each<[string, string[], BodyMode, BodyFault | undefined]>([
    ['an answer that ends after its event', ['event: message\ndata: {}\n\n'], 'request_sse', undefined],
    ['CR line ends', ['data: {}\r\r'], 'request_sse', undefined],
    ['an answer that ends inside an event', ['event: message\ndata: {"jsonrpc"'], 'request_sse', 'mid_event'],
    ['an end that splits the blank line', ['data: {}\n', ''], 'request_sse', 'mid_event'],
    ['the legacy session stream, ending at all', ['event: endpoint\ndata: /m\n\n'], 'session_sse', 'ended'],
    ['a plain body ending anywhere', ['event: message\ndata: {"js'], 'plain', undefined],
  ])('%s', async (_what, chunks, mode, fault) => {
    expect((await read(chunks, mode)).fault).toBe(fault);
  });

  it('sees the id and retry fields of an SSE body, also across chunks; not those of a plain body', async () => {
    const chunks = ['id: ev-1\nre', 'try: 500\ndata: {}\n\nid:ev-2\r\n', 'data: x\n\n'];
    expect((await read(chunks, 'request_sse')).fields).toEqual(['id=ev-1', 'retry=500', 'id=ev-2']);
    expect((await read(chunks, 'plain')).fields).toEqual([]);
  });
});

describe('formatBytes and bodyFaultReason', () => {
  it.each([
    [512, '512 bytes'],
    [1024, '1 KiB'],
    [65_536, '64 KiB'],
    [10 * 1024 * 1024, '10 MiB'],
    [1.25 * 1024 * 1024, '1.3 MiB'],
  ])('%d bytes: %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it.each<[BodyFault, string]>([
    ['too_large', 'response from gw larger than 64 KiB (maxResponseBytes): stopped reading it'],
    ['mid_event', 'the SSE stream from gw ended in the middle of an event'],
    ['ended', 'gw closed the SSE session stream while the session was in use'],
    [new Error('other side closed'), 'the connection to gw broke while reading the response (other side closed)'],
  ])('%s', (why, reason) => expect(bodyFaultReason(why, 'gw', 65_536)).toBe(reason));
});
