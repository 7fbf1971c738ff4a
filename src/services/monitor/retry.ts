/** Per-check retry policies (`processing.retries.<type>`): exponential backoff with jitter. */
import { sleep } from '../../utils/deadline.js';

/** A retry policy: `maxAttempts` retries after the first try; delays in seconds. */
export interface RetryPolicy {
  readonly max_attempts: number;
  readonly initial_delay: number;
  readonly max_delay: number;
  readonly jitter: number;
}

/** The delay before retry `n` (0-based), in ms: initial × 2ⁿ capped at max, ± jitter × delay. */
export function retryDelayMs(policy: RetryPolicy, n: number, random: () => number = Math.random): number {
  const base = Math.min(policy.max_delay, policy.initial_delay * 2 ** n);
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round((base + spread) * 1000));
}

/**
 * Run `attempt` until `succeeded` says so or the policy is exhausted; returns the last result. Waits are cut
 * short by `signal` (then the last result is returned at once).
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  succeeded: (result: T) => boolean,
  signal?: AbortSignal,
): Promise<T> {
  let result = await attempt();
  for (let n = 0; n < policy.max_attempts && !succeeded(result) && !signal?.aborted; n++) {
    if (!(await sleep(retryDelayMs(policy, n), signal))) break;
    result = await attempt();
  }
  return result;
}
