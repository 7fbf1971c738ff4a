/** A bounded worker pool of the finder, on the project's one concurrency limiter (utils/limiter.ts). */
import { createLimiter } from '../../utils/limiter.js';

/**
 * Run `fn` over `items` with at most `limit` running at once, in order of start. `shouldStart` is asked before
 * each item is started; once it says no, the remaining items are skipped. The first error is rethrown after
 * every running call has settled (no item starts after it).
 */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  shouldStart: () => boolean = () => true,
): Promise<void> {
  const limited = createLimiter(Math.max(1, limit));
  let stopped = false;
  let failure: { error: unknown } | undefined;
  const run = async (item: T): Promise<void> => {
    if (stopped || failure !== undefined || !shouldStart()) {
      stopped = true;
      return;
    }
    try {
      await fn(item);
    } catch (error) {
      failure ??= { error };
    }
  };
  await Promise.all(items.map((item) => limited(() => run(item))));
  if (failure) throw failure.error;
}
