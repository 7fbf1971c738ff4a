/**
 * The rate limit charges by cost, over a real server and real sockets: one address pulling 1,000-row pages as
 * fast as it can is held back with 429 and Retry-After, while a light client on another address is never
 * refused and keeps its latency.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { type ApiService, createApi } from './api.js';
import { apiConfigSchema } from './config.js';
import { DEFAULT_RATE_LIMIT } from './rate-limit.js';

const db = useTestDatabase('bigbrotr');
let api: ApiService;
let appSql: postgres.Sql;

beforeAll(async () => {
  await db.sql`INSERT INTO relay (url, network, discovered_at)
    SELECT 'wss://r' || i || '.example.com', 'clearnet', i FROM generate_series(1, 1500) i`;
  appSql = postgres(db.url, { prepare: false, max: 6, connection: { role: 'reader' }, onnotice: () => {} });
  const config = apiConfigSchema.parse({ tables: { relay: { enabled: true, price: 0 } }, max_page_size: 1000 });
  // the default limit, keyed by the proxy-reported address so two clients can share this machine
  api = await createApi(
    { ...recordingDeps(appSql), rateLimit: { ...DEFAULT_RATE_LIMIT, trustProxy: true } },
    { ...config, host: '127.0.0.1', port: 0 },
  );
});
afterAll(async () => {
  await api?.close();
  await appSql?.end({ timeout: 5 });
});

const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? 0;

describe('the rate limit by cost', () => {
  it('holds back a heavy client while a light client is never refused', async () => {
    const until = Date.now() + 6000;
    const heavy = { ok: 0, limited: 0, retryAfter: [] as number[] };
    const light = { ok: 0, limited: 0, ms: [] as number[] };
    const heavyLoop = async () => {
      while (Date.now() < until) {
        const res = await fetch(`${api.url}/v1/relay?limit=1000`, { headers: { 'X-Forwarded-For': '192.0.2.1' } });
        const body = await res.text();
        if (res.status === 200) {
          expect(JSON.parse(body).data).toHaveLength(1000);
          heavy.ok += 1;
        } else {
          expect(res.status).toBe(429);
          heavy.limited += 1;
          heavy.retryAfter.push(Number(res.headers.get('retry-after')));
        }
      }
    };
    const lightLoop = async () => {
      while (Date.now() < until) {
        const t = performance.now();
        const res = await fetch(`${api.url}/v1/relay?limit=10`, { headers: { 'X-Forwarded-For': '192.0.2.2' } });
        await res.text();
        light.ms.push(performance.now() - t);
        if (res.status === 200) light.ok += 1;
        else light.limited += 1;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await Promise.all([heavyLoop(), heavyLoop(), heavyLoop(), heavyLoop(), lightLoop()]);
    console.info(
      `cost limit: heavy served=${heavy.ok} refused=${heavy.limited}; light served=${light.ok} p95=${p95(light.ms).toFixed(1)} ms`,
    );
    // the heavy client: a burst of 100 units and 20 units/s buy at most (100 + 6 × 20) / 11 = 20 pages
    expect(heavy.limited).toBeGreaterThan(0);
    expect(heavy.ok).toBeGreaterThan(0);
    expect(heavy.ok).toBeLessThanOrEqual(21);
    expect(heavy.retryAfter.every((s) => Number.isInteger(s) && s >= 1)).toBe(true);
    // the light client: 10-row pages (1.1 units) ten times a second, never refused
    expect(light.limited).toBe(0);
    expect(light.ok).toBeGreaterThan(5);
  }, 30_000);
});
