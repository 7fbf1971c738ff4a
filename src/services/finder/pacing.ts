/** A bounded worker pool of the finder. */

/**
 * Run `fn` over `items` with at most `limit` running at once, in order of start. `shouldStart` is asked before
 * each item is started; once it says no, the remaining items are skipped. The first error is rethrown after
 * every running call has settled.
 */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  shouldStart: () => boolean = () => true,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined && shouldStart()) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const n = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  if (failure) throw failure.error;
}
