import { describe, expect, it } from 'vitest';
import { runPool } from './pacing.js';

describe('runPool', () => {
  it('never runs more than the limit at once and runs every item', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      done.push(n);
      running -= 1;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing more once shouldStart says no, and rethrows the first error', async () => {
    const seen: number[] = [];
    await runPool(
      [1, 2, 3],
      1,
      async (n) => void seen.push(n),
      () => seen.length < 2,
    );
    expect(seen).toEqual([1, 2]);
    await expect(
      runPool([1, 2], 2, async (n) => {
        if (n === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
