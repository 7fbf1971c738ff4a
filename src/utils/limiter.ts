/** A concurrency limit: at most `max` tasks run at once; the rest wait in order. */

/** Runs tasks under the limit. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** Create a limiter allowing `max` concurrent tasks. */
export function createLimiter(max: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
