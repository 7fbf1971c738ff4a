/**
 * Per-client rate limiting by cost: a token bucket per client address, refilled continuously, from which each
 * request takes what it costs: 1 + rows / 100 (a 10-row page costs 1.1, a 1,000-row page 11). The cost is
 * reserved before the request runs from the `limit` it asks for, and settled after from the rows the handler
 * served (`chargeRows`), so concurrent heavy requests cannot all slip in before the first one is charged, and
 * a bucket can go into debt that later requests wait out. One address pulling large pages is held to
 * `perSecond / 11` of them per second while every other address keeps its own bucket. The map of buckets is
 * bounded (least recently seen clients are forgotten first), so a flood of addresses cannot exhaust memory.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { type ApiEnv, jsonError } from './http.js';

/**
 * How much each client may take. Defaults: 20 cost units/s sustained (20 small requests, or 1.8 pages of
 * 1,000 rows), bursts of 100, 10,000 clients tracked.
 */
export interface RateLimitOpts {
  readonly perSecond: number;
  readonly burst: number;
  /** Rows that cost one unit on top of the request's own unit (default 100). */
  readonly rowsPerUnit?: number;
  /** The largest `limit` a request can ask for (api.yaml `max_page_size`), which bounds its reservation. */
  readonly maxPageSize?: number;
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
  /** Take `cost` (default 1) when the bucket holds it (or is full); otherwise say when it will. */
  take(key: string, cost?: number): Take;
  /** Charge `delta` more (or give back, when negative) after the fact; the bucket may go into debt. */
  settle(key: string, delta: number): void;
  readonly size: number;
}

/** What a request costs: one unit, plus one per `rowsPerUnit` rows. */
export function requestCost(rows: number, rowsPerUnit = 100): number {
  return 1 + Math.max(0, rows) / rowsPerUnit;
}

/** Build the buckets; `now` (milliseconds) is injectable for tests. */
export function createRateLimiter(opts: RateLimitOpts, now: () => number = Date.now): RateLimiter {
  const max = opts.maxClients ?? DEFAULT_RATE_LIMIT.maxClients ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const bucket = (key: string) => {
    const t = now();
    const b = buckets.get(key) ?? { tokens: opts.burst, at: t };
    b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
    b.at = t;
    // why: re-inserting moves the key to the end, so the first key is always the least recently seen
    buckets.delete(key);
    buckets.set(key, b);
    if (buckets.size > max) buckets.delete(buckets.keys().next().value as string);
    return b;
  };
  return {
    take(key, cost = 1) {
      const b = bucket(key);
      // a cost above the burst is allowed from a full bucket, or it could never be paid
      const need = Math.min(cost, opts.burst);
      if (b.tokens >= need) {
        b.tokens -= cost;
        return { ok: true };
      }
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((need - b.tokens) / opts.perSecond)) };
    },
    settle(key, delta) {
      bucket(key).tokens -= delta;
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

/** Record how many rows a handler served, for the rate limit to charge. */
export function chargeRows(c: Context<ApiEnv>, rows: number): void {
  c.set('served_rows', rows);
}

/** The rows a request asks for: its `limit` parameter, bounded by the largest page (0 when it has none). */
function requestedRows(c: Context, maxPageSize: number): number {
  const limit = Number(c.req.query('limit'));
  return Number.isFinite(limit) && limit > 0 ? Math.min(limit, maxPageSize) : 0;
}

/** Middleware answering 429 with Retry-After once a client's bucket cannot pay for the request. */
export function rateLimit(opts: RateLimitOpts, limiter = createRateLimiter(opts)): MiddlewareHandler<ApiEnv> {
  const perUnit = opts.rowsPerUnit ?? 100;
  const maxPage = opts.maxPageSize ?? 1000;
  return async (c, next) => {
    const key = clientAddress(c, opts.trustProxy ?? false);
    const reserved = requestCost(requestedRows(c, maxPage), perUnit);
    const take = limiter.take(key, reserved);
    if (!take.ok) {
      c.header('Retry-After', String(take.retryAfterSec));
      return jsonError(c, 429, 'rate_limited', `too many requests; retry in ${take.retryAfterSec} s`);
    }
    await next();
    const rows = c.get('served_rows');
    if (rows !== undefined) limiter.settle(key, requestCost(rows, perUnit) - reserved);
  };
}
