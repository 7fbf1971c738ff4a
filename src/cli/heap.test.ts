import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_FLAG, tuneHeap } from './heap.js';

describe('heap policy', () => {
  it('sets the heap growth, unless the operator chose a heap policy', () => {
    const set: string[] = [];
    const setFlags = (f: string) => set.push(f);
    expect(tuneHeap({ execArgv: ['--enable-source-maps'], nodeOptions: '', setFlags })).toBe(true);
    expect(tuneHeap({ execArgv: ['--max-old-space-size=512'], nodeOptions: '', setFlags })).toBe(false);
    expect(tuneHeap({ execArgv: [], nodeOptions: '--trace-gc --heap-growing-percent=80', setFlags })).toBe(false);
    expect(tuneHeap({ execArgv: [], nodeOptions: '--max_old_space_size=300', setFlags })).toBe(false);
    expect(set).toEqual([HEAP_GROWING_FLAG]);
  });
});
