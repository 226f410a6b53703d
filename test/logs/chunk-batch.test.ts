import { describe, expect, it } from 'vitest';
import { ChunkBatch } from '../../src/logs/chunk-batch.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ChunkBatch', () => {
  it('hands on the chunks of one turn of the event loop together, in order', async () => {
    const batches: string[][] = [];
    const b = new ChunkBatch((chunks) => batches.push(chunks.map(String)));
    b.add(Buffer.from('a'));
    b.add(Buffer.from('b'));
    b.add(Buffer.from('c'));
    expect(batches).toEqual([]);
    await turn();
    expect(batches).toEqual([['a', 'b', 'c']]);
    b.add(Buffer.from('d'));
    await turn();
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('drain hands on what is pending at once; the turn that follows brings nothing more', async () => {
    const batches: string[][] = [];
    const b = new ChunkBatch((chunks) => batches.push(chunks.map(String)));
    b.add(Buffer.from('a'));
    b.drain();
    expect(batches).toEqual([['a']]);
    await turn();
    expect(batches).toEqual([['a'], []]);
    b.drain();
    expect(batches).toEqual([['a'], [], []]);
  });
});
