import { describe, expect, it } from 'vitest';
import { retryDelayMs, withRetries } from './retry.js';

const policy = { max_attempts: 3, initial_delay: 0.01, max_delay: 0.03, jitter: 0.5 };

describe('retry policy', () => {
  it('doubles the delay up to the cap, spread by the jitter', () => {
    expect([0, 1, 2, 3].map((n) => retryDelayMs(policy, n, () => 0.5))).toEqual([10, 20, 30, 30]);
    expect(retryDelayMs(policy, 0, () => 0)).toBe(5);
    expect(retryDelayMs(policy, 0, () => 1)).toBe(15);
    expect(retryDelayMs({ ...policy, jitter: 0 }, 5, Math.random)).toBe(30);
  });

  it('retries until success or max_attempts, and stops waiting on abort', async () => {
    let calls = 0;
    const flaky = async () => ++calls;
    expect(await withRetries(policy, flaky, (n) => n >= 2)).toBe(2);
    calls = 0;
    expect(await withRetries(policy, flaky, () => false)).toBe(4); // first try + 3 retries
    calls = 0;
    expect(await withRetries({ ...policy, max_attempts: 0 }, flaky, () => false)).toBe(1);
    calls = 0;
    const stop = new AbortController();
    stop.abort();
    expect(await withRetries(policy, flaky, () => false, stop.signal)).toBe(1);
  });
});
