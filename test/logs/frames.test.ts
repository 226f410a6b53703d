import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameError } from '../../src/logs/frames.js';
import { frame } from '../support/docker-frames.js';

describe('frames', () => {
  const stream = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, '')]);

  it('decodes frames split at every possible point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(
        got.map((f) => [f.stream, f.payload.toString()]),
        `cut at ${cut}`,
      ).toEqual([
        ['stdout', 'hello\n'],
        ['stderr', 'oops\n'],
        ['stdout', ''],
      ]);
      expect(d.pending).toBe(0);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const d = new FrameDecoder();
    const got = [];
    for (const b of stream) got.push(...d.push(Buffer.from([b])));
    expect(got).toHaveLength(3);
  });

  it.each([
    ['a bad stream byte', Buffer.from([7, 0, 0, 0, 0, 0, 0, 1, 65])],
    ['non-zero padding', Buffer.from([1, 9, 0, 0, 0, 0, 0, 1, 65])],
    ['a frame larger than Docker sends', Buffer.from([1, 0, 0, 0, 0x7f, 0, 0, 0])],
  ])('rejects %s', (_n, bad) => {
    expect(() => new FrameDecoder().push(bad)).toThrow(FrameError);
  });
});
