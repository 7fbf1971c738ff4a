/** Retry with exponential backoff and jitter, for transient database failures only. */
import { sleep } from '../../utils/deadline.js';
import { isTransientDbError } from './errors.js';

/** How to retry. Delays double from `initialDelayMs` up to `maxDelayMs`, with ±50 % jitter. */
export interface RetryOpts {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly signal?: AbortSignal;
  /** Which errors are worth another attempt (default: transient database failures). */
  readonly isRetryable?: (err: unknown) => boolean;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Run `fn`, retrying retryable failures with backoff; the last error is thrown when attempts run out. */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOpts): Promise<T> {
  const retryable = opts.isRetryable ?? isTransientDbError;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= opts.maxAttempts || !retryable(err) || opts.signal?.aborted) throw err;
      const base = Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(base * (0.5 + Math.random()));
      opts.onRetry?.(err, attempt, delay);
      if (!(await sleep(delay, opts.signal))) throw opts.signal?.reason;
    }
  }
}
