import { describe, expect, it } from 'vitest';
import { type CachedBody, createResponseCache } from './cache.js';

const body = (s: string): CachedBody => ({ status: 200, body: s });

describe('response cache', () => {
  it('keeps an answer for its lifetime, then computes again', async () => {
    let clock = 0;
    let calls = 0;
    const cache = createResponseCache({ ttlMs: 1000, now: () => clock });
    const compute = async () => body(`v${++calls}`);
    expect((await cache.get('/a', compute)).body).toBe('v1');
    clock = 999;
    expect((await cache.get('/a', compute)).body).toBe('v1');
    clock = 1000;
    expect((await cache.get('/a', compute)).body).toBe('v2');
    expect((await cache.get('/b', compute)).body).toBe('v3');
  });

  it('shares one computation between concurrent requests for the same key', async () => {
    let calls = 0;
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const cache = createResponseCache({ ttlMs: 1000 });
    const compute = async () => {
      calls += 1;
      await gate;
      return body('shared');
    };
    const all = Promise.all(Array.from({ length: 20 }, () => cache.get('/same', compute)));
    release();
    expect((await all).map((a) => a.body)).toEqual(Array(20).fill('shared'));
    expect(calls).toBe(1);
  });

  it('does not keep failures, oversized bodies, or anything when disabled', async () => {
    const cache = createResponseCache({ ttlMs: 1000, maxBodyBytes: 5 });
    await expect(cache.get('/x', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect((await cache.get('/x', async () => body('ok'))).body).toBe('ok');
    await cache.get('/big', async () => body('123456'));
    expect(cache.size).toBe(1);
    let calls = 0;
    const off = createResponseCache({ ttlMs: 0 });
    await off.get('/a', async () => body(`${++calls}`));
    await off.get('/a', async () => body(`${++calls}`));
    expect(calls).toBe(2);
    expect(off.size).toBe(0);
  });

  it('evicts the oldest entries beyond its size', async () => {
    const cache = createResponseCache({ ttlMs: 60_000, maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) await cache.get(k, async () => body(k));
    expect(cache.size).toBe(3);
    let recomputed = false;
    await cache.get('a', async () => {
      recomputed = true;
      return body('a2');
    });
    expect(recomputed).toBe(true);
  });
});
