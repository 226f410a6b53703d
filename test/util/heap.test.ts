import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, tuneHeapGrowth } from '../../src/util/heap.js';

describe('tuneHeapGrowth', () => {
  it('leaves a --heap-growing-percent given to Node alone, on the command line or in NODE_OPTIONS', () => {
    expect(tuneHeapGrowth(['--heap-growing-percent=50'], '')).toBeUndefined();
    expect(tuneHeapGrowth(['--inspect'], '--max-semi-space-size=8 --heap_growing_percent=0')).toBeUndefined();
  });

  it('sets the agent’s growth otherwise (V8 takes the flag after start)', () => {
    expect(tuneHeapGrowth(['--max-semi-space-size=8'], '--enable-source-maps')).toBe(HEAP_GROWING_PERCENT);
    // V8 accepted it: the process keeps running and its heap answers.
    expect(getHeapStatistics().total_heap_size).toBeGreaterThan(0);
  });
});
