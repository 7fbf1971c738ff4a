/**
 * A small response cache for the insight endpoints whose data changes only when the statistics views are refreshed
 * or a relay is checked again (relay list, relay detail, statistics): answers are kept for a few seconds, and
 * concurrent requests for the same URL share one computation (no thundering herd on the database).
 */

/** A cached answer: its status (200 or 404) and JSON body. */
export interface CachedBody {
  readonly status: 200 | 404;
  readonly body: string;
}

/** The cache. */
export interface ResponseCache {
  /** The answer for `key`: a fresh cached one, the one being computed, or a new computation. */
  get(key: string, compute: () => Promise<CachedBody>): Promise<CachedBody>;
  /** Number of entries held (for tests and metrics). */
  readonly size: number;
}

/** Options: how long answers stay fresh, how many are kept, and the clock (ms). */
export interface ResponseCacheOpts {
  readonly ttlMs: number;
  readonly maxEntries?: number;
  /** Bodies larger than this are not kept (default 1 MiB). */
  readonly maxBodyBytes?: number;
  readonly now?: () => number;
}

/** Build a cache; with `ttlMs` 0 every call computes. */
export function createResponseCache(opts: ResponseCacheOpts): ResponseCache {
  const max = opts.maxEntries ?? 256;
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const now = opts.now ?? Date.now;
  const fresh = new Map<string, { at: number; value: CachedBody }>();
  const pending = new Map<string, Promise<CachedBody>>();
  return {
    get(key, compute) {
      if (opts.ttlMs <= 0) return compute();
      const hit = fresh.get(key);
      if (hit && now() - hit.at < opts.ttlMs) return Promise.resolve(hit.value);
      if (hit) fresh.delete(key);
      const running = pending.get(key);
      if (running) return running;
      const p = compute()
        .then((value) => {
          if (value.body.length <= maxBody) {
            fresh.set(key, { at: now(), value });
            // Map keeps insertion order: the first keys are the oldest
            for (const old of fresh.keys()) {
              if (fresh.size <= max) break;
              fresh.delete(old);
            }
          }
          return value;
        })
        .finally(() => pending.delete(key));
      pending.set(key, p);
      return p;
    },
    get size() {
      return fresh.size;
    },
  };
}
