import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Cursor } from '../../src/logs/cursor.js';
import { FrameError } from '../../src/logs/frames.js';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { LogRead, RECORD_IDLE_MS, type ReadSink } from '../../src/logs/log-read.js';
import { RuleSet } from '../../src/logs/rules.js';
import { frame } from '../support/docker-frames.js';
import { NO_KEY_LINE } from '../support/log-records.js';
import { until } from '../support/until.js';

// One read of a container's log, on a stream that stands in for Docker's: what is counted, when
// the cursor moves, when a record waiting for continuation lines ends, and how the read ends.

let n = 0;
function line(stream: 1 | 2, text: string): Buffer {
  n++;
  return frame(stream, `2026-11-24T10:00:00.${String(n).padStart(9, '0')}Z ${text}\n`);
}

const ACCESS_401 = 'INFO:     10.0.0.1:5 - "POST /mcp/ HTTP/1.1" 401 Unauthorized';

function read(cursor = new Cursor({ id: 'c' })) {
  const stream = new PassThrough();
  const got = { lines: 0, counts: [] as string[], matches: [] as string[], ended: [] as string[], moved: 0 };
  const corrupt: unknown[] = [];
  const sink: ReadSink = {
    line: () => void got.lines++,
    lines: (s, k) => void got.counts.push(`${s}:${k}`),
    match: (m) => void got.matches.push(`${m.category}/${m.kind}`),
    recordEnd: (rec) => void got.ended.push(rec.kind),
    cursorMoved: () => void got.moved++,
    corrupt: (err) => void corrupt.push(err),
  };
  const r = new LogRead(stream, false, new RuleSet(litellmRules()), cursor, sink);
  const settled = r.done.then(
    () => 'resolved',
    (err: Error) => `rejected: ${err.name}`,
  );
  return { stream, r, got, corrupt, settled, cursor };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('LogRead', () => {
  it('handles the chunks of one turn together: counts once per stream, the cursor saved once', async () => {
    const { stream, got } = read();
    stream.write(line(1, ACCESS_401));
    stream.write(line(1, 'INFO:     10.0.0.1:5 - "GET / HTTP/1.1" 200 OK'));
    stream.write(line(2, 'hello'));
    await turn();
    await turn();
    expect(got).toMatchObject({ lines: 3, counts: ['stdout:2', 'stderr:1'], matches: ['http/401'], moved: 1 });
    stream.write(line(1, 'INFO:     10.0.0.1:5 - "GET / HTTP/1.1" 200 OK'));
    await turn();
    await turn();
    expect(got).toMatchObject({ lines: 4, counts: ['stdout:2', 'stderr:1', 'stdout:1'], moved: 2 });
  });

  it('ends a record waiting for continuation lines once its stream is quiet, without the stream ending', async () => {
    const { stream, got } = read();
    stream.write(line(2, NO_KEY_LINE));
    await turn();
    await turn();
    expect(got.ended).toEqual([]);
    const t0 = Date.now();
    await until(() => got.ended.length === 1, 2_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(RECORD_IDLE_MS - 20);
    expect(got.ended).toEqual(['litellm']);
    expect(got.matches).toEqual(['auth/missing_key']);
  });

  it('at the end of the stream, what came just before still counts, the pipeline ends, and done resolves', async () => {
    const { stream, got, settled } = read();
    stream.write(line(2, NO_KEY_LINE));
    stream.end(line(1, 'last'));
    expect(await settled).toBe('resolved');
    expect(got).toMatchObject({ lines: 2, ended: ['other', 'litellm'], matches: ['auth/missing_key'] });
    expect(got.counts.sort()).toEqual(['stderr:1', 'stdout:1']);
    expect(stream.destroyed).toBe(true);
  });

  it('a corrupt chunk ends the read with a FrameError; the lines before it count; nothing after is read', async () => {
    const { stream, got, corrupt, settled } = read();
    stream.write(Buffer.concat([line(1, 'good'), Buffer.from([7, 0, 0, 0, 0, 0, 0, 1, 65])]));
    expect(await settled).toBe('rejected: FrameError');
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]).toBeInstanceOf(FrameError);
    expect(got).toMatchObject({ lines: 1, counts: ['stdout:1'] });
    expect(stream.destroyed).toBe(true);
    stream.emit('data', line(1, 'after'));
    await turn();
    expect(got.lines).toBe(1);
  });

  it('a stream error ends the read with that error, what was read counted', async () => {
    const { stream, got, settled } = read();
    stream.write(line(1, 'one'));
    await turn();
    stream.destroy(Object.assign(new Error('socket hang up'), { name: 'SocketError' }));
    expect(await settled).toBe('rejected: SocketError');
    expect(got.lines).toBe(1);
  });

  it('cancel ends the read quietly', async () => {
    const { stream, r, got, settled } = read();
    stream.write(line(1, 'one'));
    await turn();
    r.cancel();
    expect(await settled).toBe('resolved');
    expect(got.lines).toBe(1);
    r.cancel(); // a read that is over: nothing happens
  });

  it('counts nothing its cursor has counted already', async () => {
    const cursor = new Cursor({ id: 'c' });
    const first = line(1, 'one');
    const second = line(1, 'two');
    const a = read(cursor);
    a.stream.end(first);
    await a.settled;
    cursor.resume();
    const b = read(cursor);
    b.stream.write(first);
    b.stream.end(second);
    await b.settled;
    expect(b.got.lines).toBe(1);
  });
});
