/** Splitting work into batches of the configured size (1–100,000; default 1000). */

/** The default and the bounds of a batch. */
export const BATCH = { default: 1000, min: 1, max: 100_000 } as const;

/** Options every store function takes. */
export interface StoreOpts {
  /** Rows per round trip; a larger input is split, not refused. */
  readonly batchSize?: number;
}

/** Yield consecutive slices of at most `size` items. */
export function* chunks<T>(items: readonly T[], size: number = BATCH.default): Generator<readonly T[]> {
  const n = Math.min(BATCH.max, Math.max(BATCH.min, Math.floor(size)));
  for (let i = 0; i < items.length; i += n) yield items.slice(i, i + n);
}

/** Run `fn` on each batch in turn and add up the counts it returns. */
export async function sumBatches<T>(
  items: readonly T[],
  opts: StoreOpts | undefined,
  fn: (batch: readonly T[]) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (const batch of chunks(items, opts?.batchSize)) total += await fn(batch);
  return total;
}
