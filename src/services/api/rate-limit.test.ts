import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createRateLimiter, rateLimit, requestCost } from './rate-limit.js';

describe('createRateLimiter', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    let t = 0;
    const limiter = createRateLimiter({ perSecond: 2, burst: 3 }, () => t);
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSec: 1 });
    expect(limiter.take('b').ok).toBe(true);
    t = 500;
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    t = 100_000;
    expect([1, 2, 3, 4].map(() => limiter.take('a').ok)).toEqual([true, true, true, false]);
  });

  it('says how long to wait at slow rates', () => {
    const limiter = createRateLimiter({ perSecond: 0.1, burst: 1 }, () => 0);
    limiter.take('a');
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSec: 10 });
  });

  it('tracks a bounded number of clients, forgetting the least recently seen', () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, maxClients: 3 }, () => 0);
    for (const k of ['a', 'b', 'c']) limiter.take(k);
    limiter.take('a');
    limiter.take('d');
    expect(limiter.size).toBe(3);
    // 'b' was forgotten (a fresh bucket), 'a' was kept (still empty)
    expect(limiter.take('b').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    for (let i = 0; i < 10_000; i++) limiter.take(`x${i}`);
    expect(limiter.size).toBe(3);
  });
});

describe('rateLimit middleware', () => {
  const appWith = (trustProxy: boolean) => {
    const app = new Hono();
    app.use('*', rateLimit({ perSecond: 0.1, burst: 1, trustProxy }));
    app.get('/', (c) => c.text('ok'));
    return app;
  };
  const from = (app: Hono, ip: string) => app.request('/', { headers: { 'X-Forwarded-For': `10.9.9.9, ${ip}` } });

  it('keys clients by the proxy-reported address only when told to trust it', async () => {
    const trusting = appWith(true);
    expect((await from(trusting, '192.0.2.1')).status).toBe(200);
    const limited = await from(trusting, '192.0.2.1');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(await limited.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    expect((await from(trusting, '192.0.2.2')).status).toBe(200);
    // not trusting the header: a client cannot mint itself new buckets by forging it
    const strict = appWith(false);
    expect((await from(strict, '192.0.2.1')).status).toBe(200);
    expect((await from(strict, '192.0.2.2')).status).toBe(429);
  });
});

describe('cost', () => {
  it('charges a 1,000-row page more than a 10-row page, reserving before and settling after', () => {
    const limiter = createRateLimiter({ perSecond: 20, burst: 100 }, () => 0);
    expect(requestCost(10)).toBeCloseTo(1.1);
    expect(requestCost(1000)).toBe(11);
    // nine 1,000-row reservations fit in a burst of 100, the tenth does not
    expect(Array.from({ length: 10 }, () => limiter.take('heavy', requestCost(1000)).ok)).toEqual([
      ...Array(9).fill(true),
      false,
    ]);
    expect(limiter.take('heavy', 11)).toEqual({ ok: false, retryAfterSec: 1 });
    // the same budget buys ninety 10-row pages
    expect(Array.from({ length: 90 }, () => limiter.take('light', requestCost(10)).ok).every(Boolean)).toBe(true);
    // a request that asked for nothing but was served 1,000 rows pays afterwards: the debt is waited out
    const settled = createRateLimiter({ perSecond: 20, burst: 100 }, () => 0);
    for (let i = 0; i < 10; i++) {
      expect(settled.take('x', 1).ok).toBe(true);
      settled.settle('x', requestCost(1000) - 1);
    }
    expect(settled.take('x', 1)).toEqual({ ok: false, retryAfterSec: 1 });
  });
});
