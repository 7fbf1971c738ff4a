import { describe, expect, it } from 'vitest';
import { isTransientDbError } from './errors.js';
import { withRetry } from './retry.js';

const pgError = (code: string): Error => Object.assign(new Error(`failure ${code}`), { code });

describe('withRetry', () => {
  it('retries transient failures with backoff and returns the first success', async () => {
    let calls = 0;
    const delays: number[] = [];
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw pgError(calls === 1 ? '57P01' : 'ECONNREFUSED');
        return 'done';
      },
      { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 15, onRetry: (_e, _a, d) => delays.push(d) },
    );
    expect(value).toBe('done');
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays.every((d) => d >= 5 && d <= 23)).toBe(true);
  });

  it('fails at once on permanent errors and after the last attempt on transient ones', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw pgError('42601');
        },
        { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toThrow('42601');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw pgError('08006');
        },
        { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toThrow('08006');
    expect(calls).toBe(3);
  });

  it('classifies by SQLSTATE or socket code, never by message', () => {
    expect(
      ['08000', '08006', '57P01', '57P03', '53300', '40001', '40P01', 'ECONNRESET', 'CONNECTION_CLOSED'].every((c) =>
        isTransientDbError(pgError(c)),
      ),
    ).toBe(true);
    expect(['23505', '42501', '42P01', '22P02'].some((c) => isTransientDbError(pgError(c)))).toBe(false);
    expect(isTransientDbError(new Error('connection refused'))).toBe(false);
  });
});
