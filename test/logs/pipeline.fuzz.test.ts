import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cursor } from '../../src/logs/cursor.js';
import { FrameError } from '../../src/logs/frames.js';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { LogPipeline } from '../../src/logs/pipeline.js';
import { RuleSet } from '../../src/logs/rules.js';
import { frame } from '../support/docker-frames.js';

// Property tests of the log pipeline (frames → lines → records → rules): whatever bytes Docker
// (or something pretending to be it) sends, it counts, matches or reports a corrupt stream
// (FrameError, after which the tail reconnects); it never throws anything else.

const fragments = [
  '10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - ',
  'Malformed API Key passed in. Ensure Key has `Bearer ` prefix.',
  'Requester IP Address:10.0.0.1',
  'Traceback (most recent call last):',
  '  File "x.py", line 1',
  'ERROR:LiteLLM Proxy:',
  'INFO:     1.2.3.4:5 - "POST /mcp/ HTTP/1.1" 401 Unauthorized',
  '{"message": "x", "level": "ERROR"',
  '}',
  'Error handling MCP request: ',
  '\x1b[92m',
  '\r',
  '\n',
  '2026-11-24T10:00:00.000000001Z ',
  'ä€😀',
];

const text = fc
  .array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 30 })), { maxLength: 40 })
  .map((parts) => parts.join(''));

function run(chunks: Buffer[], tty: boolean): void {
  const p = new LogPipeline(tty, new RuleSet(litellmRules()), new Cursor({ id: 'x' }), {
    line: () => undefined,
    match: () => undefined,
  });
  try {
    for (const c of chunks) p.push(c);
    p.flushIdle();
    p.end();
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
  }
}

describe('log pipeline fuzz', () => {
  it('well-formed frames of arbitrary text, cut anywhere: never throws', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(1, 2), text), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(
            msgs.map(([s, t], i) => frame(s, Buffer.from(`2026-11-24T10:00:00.${String(i).padStart(9, '0')}Z ${t}\n`))),
          );
          const points = [...new Set(cuts.map((c) => (stream.length ? c % stream.length : 0)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let last = 0;
          for (const p of points) {
            chunks.push(stream.subarray(last, p));
            last = p;
          }
          chunks.push(stream.subarray(last));
          run(chunks, false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a framed stream: only FrameError', false],
    ['a TTY stream: never throws', true],
  ])('arbitrary bytes as %s', (_what, tty) => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) =>
        run(
          chunks.map((c) => Buffer.from(c)),
          tty,
        ),
      ),
      { numRuns: 500 },
    );
  });

  it('a corrupt frame after good ones: the good lines still count', () => {
    const lines: string[] = [];
    const p = new LogPipeline(false, new RuleSet(litellmRules()), new Cursor({ id: 'x' }), {
      line: (l) => lines.push(l.text),
      match: () => undefined,
    });
    const good = frame(1, Buffer.from('2026-11-24T10:00:00.000000001Z hello\n'));
    expect(() => p.push(Buffer.concat([good, Buffer.from('GARBAGE!')]))).toThrow(FrameError);
    expect(lines).toEqual(['hello']);
  });
});
