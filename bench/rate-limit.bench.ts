/**
 * The rate limit by cost: one light client (10-row pages, 10 requests/s) alone, then beside one heavy address
 * pulling 1,000-row pages with 4 connections as fast as it can, under the request-count rule (every request
 * costs 1: `rowsPerUnit` infinite) and under the cost rule (1 + rows/100). Both clients share this process with
 * the server (the API app in full: compression, ETag, deadline), so the figures include that contention.
 *
 * `npm run bench -- rate-limit`; BIGBROTR_BENCH_RATE_SECONDS changes the duration of each phase (default 15).
 */
import postgres from 'postgres';
import type { Logger } from '../src/core/logger.js';
import { type ApiService, createApi } from '../src/services/api/api.js';
import { apiConfigSchema } from '../src/services/api/config.js';
import { DEFAULT_RATE_LIMIT, type RateLimitOpts } from '../src/services/api/rate-limit.js';
import { loadEvents } from './api.bench.js';
import { withBenchDatabase } from './service-bench.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const metrics = { setGauge() {}, inc() {}, observeCycle() {} };

async function phase(api: ApiService, seconds: number, heavy: boolean): Promise<string> {
  const until = performance.now() + seconds * 1000;
  const light: number[] = [];
  let lightRefused = 0;
  let heavyOk = 0;
  let heavyRefused = 0;
  const get = (path: string, from: string) => fetch(`${api.url}${path}`, { headers: { 'X-Forwarded-For': from } });
  const lightLoop = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      const res = await get('/v1/event?limit=10', '192.0.2.2');
      await res.arrayBuffer();
      light.push(performance.now() - t0);
      if (res.status !== 200) lightRefused += 1;
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - t0))));
    }
  };
  const heavyLoop = async () => {
    while (performance.now() < until) {
      const res = await get('/v1/event?limit=1000', '192.0.2.1');
      await res.arrayBuffer();
      if (res.status === 200) heavyOk += 1;
      else heavyRefused += 1;
    }
  };
  await Promise.all([lightLoop(), ...(heavy ? [heavyLoop(), heavyLoop(), heavyLoop(), heavyLoop()] : [])]);
  light.sort((a, b) => a - b);
  const q = (p: number) => (light[Math.min(light.length - 1, Math.floor(p * light.length))] ?? 0).toFixed(1);
  const heavyText = heavy ? `; heavy ${(heavyOk / seconds).toFixed(1)} pages/s served, ${heavyRefused} refused` : '';
  return `light p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, ${light.length} requests, ${lightRefused} refused${heavyText}`;
}

export default async function bench(): Promise<string[]> {
  const seconds = Number(process.env.BIGBROTR_BENCH_RATE_SECONDS ?? 15);
  return withBenchDatabase('bench_rate_limit', async (sql, url) => {
    await loadEvents(sql, 50_000);
    const appSql = postgres(url, { prepare: false, max: 8, onnotice: () => {} });
    const config = apiConfigSchema.parse({ tables: { event: { enabled: true, price: 0 } }, max_page_size: 1000 });
    const serve = (rateLimit: RateLimitOpts) =>
      createApi({ sql: appSql, logger: silent, metrics, batchSize: 1000, rateLimit }, { ...config, port: 0 });
    const lines: string[] = [];
    try {
      const rules: [string, RateLimitOpts][] = [
        ['count rule (every request costs 1)', { ...DEFAULT_RATE_LIMIT, trustProxy: true, rowsPerUnit: Infinity }],
        ['cost rule (1 + rows/100)', { ...DEFAULT_RATE_LIMIT, trustProxy: true }],
      ];
      for (const [name, rule] of rules) {
        const api = await serve(rule);
        try {
          lines.push(`${name}, light client alone: ${await phase(api, seconds, false)}`);
          lines.push(`${name}, light beside heavy: ${await phase(api, seconds, true)}`);
        } finally {
          await api.close();
        }
      }
    } finally {
      await appSql.end({ timeout: 5 });
    }
    return lines;
  });
}
