/**
 * Per-client rate limiting: a token bucket per client address, refilled continuously. The map of buckets is
 * bounded (least recently seen clients are forgotten first), so a flood of addresses cannot exhaust memory.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { jsonError } from './http.js';

/** How fast each client may call. Defaults: 20 requests/s sustained, bursts of 100, 10,000 clients tracked. */
export interface RateLimitOpts {
  readonly perSecond: number;
  readonly burst: number;
  readonly maxClients?: number;
  /** Key clients by the last X-Forwarded-For address (only behind a reverse proxy that sets it). */
  readonly trustProxy?: boolean;
}

/** The default rate limit. */
export const DEFAULT_RATE_LIMIT: RateLimitOpts = { perSecond: 20, burst: 100, maxClients: 10_000 };

/** The answer of a bucket: allowed, or how many seconds until a token is available. */
export type Take = { readonly ok: true } | { readonly ok: false; readonly retryAfterSec: number };

/** A set of token buckets keyed by client. */
export interface RateLimiter {
  take(key: string): Take;
  readonly size: number;
}

/** Build the buckets; `now` (milliseconds) is injectable for tests. */
export function createRateLimiter(opts: RateLimitOpts, now: () => number = Date.now): RateLimiter {
  const max = opts.maxClients ?? DEFAULT_RATE_LIMIT.maxClients ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: opts.burst, at: t };
      b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
      b.at = t;
      // why: re-inserting moves the key to the end, so the first key is always the least recently seen
      buckets.delete(key);
      buckets.set(key, b);
      if (buckets.size > max) buckets.delete(buckets.keys().next().value as string);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond)) };
    },
    get size() {
      return buckets.size;
    },
  };
}

/** The address a request came from. */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // why: outside the Node server (app.request() in tests) there is no socket
    return 'unknown';
  }
}

/** Middleware answering 429 with Retry-After once a client's bucket is empty. */
export function rateLimit(opts: RateLimitOpts, limiter = createRateLimiter(opts)): MiddlewareHandler {
  return async (c, next) => {
    const take = limiter.take(clientAddress(c, opts.trustProxy ?? false));
    if (!take.ok) {
      c.header('Retry-After', String(take.retryAfterSec));
      return jsonError(c, 429, 'rate_limited', `too many requests; retry in ${take.retryAfterSec} s`);
    }
    await next();
  };
}
