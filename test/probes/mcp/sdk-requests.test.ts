import { describe, expect, it } from 'vitest';
import { describeRequest, headersOf, postedMessages, requestIdsOf } from '../../../src/probes/mcp/sdk-requests.js';

describe('headersOf', () => {
  it.each<[string, unknown, Record<string, string>]>([
    ['nothing', undefined, {}],
    [
      'a Headers (names lower-cased)',
      new Headers({ Accept: 'text/event-stream', 'X-A': '1' }),
      { accept: 'text/event-stream', 'x-a': '1' },
    ],
    [
      'pairs',
      [
        ['accept', 'application/json'],
        ['x-a', '1'],
      ],
      { accept: 'application/json', 'x-a': '1' },
    ],
    ['a record (copied as it is)', { Accept: 'application/json' }, { Accept: 'application/json' }],
  ])('%s', (_what, h, out) => {
    expect(headersOf(h)).toEqual(out);
  });

  it('a record is copied, not shared', () => {
    const h = { a: '1' };
    const out = headersOf(h);
    out.b = '2';
    expect(h).toEqual({ a: '1' });
  });
});

describe('describeRequest', () => {
  it.each<[string, string, unknown, boolean, string]>([
    ['the standalone stream', 'GET', undefined, false, '(open server→client stream)'],
    ['the legacy session stream', 'GET', undefined, true, '(open SSE session stream)'],
    ['the end of a session', 'DELETE', undefined, false, '(end session)'],
    ['a request', 'POST', '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', false, 'tools/list'],
    [
      'a batch; an answer to the server is a response',
      'POST',
      '[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":7,"result":{}}]',
      false,
      'notifications/initialized, response',
    ],
    ['a body that is not JSON', 'POST', '{oops', false, ''],
    ['a body that is not text', 'POST', new Uint8Array([1]), false, ''],
  ])('%s', (_what, method, body, legacySse, out) => {
    expect(describeRequest(method, method === 'POST' ? postedMessages(body) : [], legacySse)).toBe(out);
  });
});

describe('requestIdsOf', () => {
  it('the ids of the requests of a message or a batch, as JSON; not of notifications or responses', () => {
    expect(requestIdsOf(postedMessages('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'))).toEqual(['1']);
    expect(
      requestIdsOf(
        postedMessages(
          '[{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{}},' +
            '{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":7,"result":{}}]',
        ),
      ),
    ).toEqual(['"a"']);
    expect(requestIdsOf(postedMessages('{oops'))).toEqual([]);
  });
});
