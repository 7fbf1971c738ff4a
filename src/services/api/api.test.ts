import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRelays } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { type ApiService, createApi } from './api.js';
import { type ApiConfig, apiConfigSchema } from './config.js';

const db = useTestDatabase('bigbrotr');
const signal = () => new AbortController().signal;
const relays = ['wss://a.example.com', 'wss://b.example.com'].map((url) => ({
  url: url as RelayUrl,
  network: 'clearnet' as const,
  discoveredAt: 1,
}));
const config = (tables: Record<string, boolean>, over: Partial<ApiConfig> = {}): ApiConfig => ({
  ...apiConfigSchema.parse({
    tables: Object.fromEntries(Object.entries(tables).map(([k, enabled]) => [k, { enabled, price: 0 }])),
    request_timeout: 1,
  }),
  host: '127.0.0.1',
  port: 0,
  ...over,
});
const started: ApiService[] = [];
const clients: postgres.Sql[] = [];
async function start(...args: Parameters<typeof createApi>): Promise<ApiService> {
  const api = await createApi(...args);
  started.push(api);
  return api;
}
const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, never> };
};

beforeAll(async () => {
  await insertRelays(db.sql, relays);
});
afterAll(async () => {
  for (const api of started) await api.close();
  for (const c of clients) await c.end({ timeout: 5 });
});

describe('createApi', () => {
  it('listens on the configured address and stops on close', async () => {
    const api = await createApi({ ...recordingDeps(db.sql), rateLimit: false }, config({ relay: true }));
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await getJson(`${api.url}/v1/relay`)).body.meta).toMatchObject({ total: 2 });
    await api.close();
    await expect(fetch(`${api.url}/health`)).rejects.toThrow();
  });

  it('its cycle reloads the catalog: a view created later appears, a dropped one disappears', async () => {
    const deps = recordingDeps(db.sql);
    const api = await start({ ...deps, rateLimit: false }, config({ relay: true, late_view: true }));
    expect(deps.gauges.get('tables_exposed')).toBe(1);
    expect((await getJson(`${api.url}/v1/late_view`)).status).toBe(404);
    await db.sql`CREATE VIEW late_view AS SELECT url FROM relay`;
    await api.cycle(signal());
    expect(deps.gauges.get('tables_exposed')).toBe(2);
    expect((await getJson(`${api.url}/v1/late_view?sort=url:desc`)).body.data).toEqual([
      { url: 'wss://b.example.com' },
      { url: 'wss://a.example.com' },
    ]);
    await db.sql`DROP VIEW late_view`;
    await api.cycle(signal());
    expect((await getJson(`${api.url}/v1/late_view`)).status).toBe(404);
    expect(deps.logs.filter((l) => l.message === 'tables_missing')).toHaveLength(2);
  });

  it('rate-limits each client with 429 and Retry-After (health exempt)', async () => {
    const deps = recordingDeps(db.sql);
    const api = await start({ ...deps, rateLimit: { perSecond: 0.5, burst: 3 } }, config({ relay: true }));
    const statuses = [];
    // the schema serves no rows: each request costs one unit (pages cost more, see rate-limit-cost.test.ts)
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${api.url}/v1/schema`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await getJson(`${api.url}/v1/relay`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
    expect(deps.counters.get('requests_rate_limited')).toBe(2);
    expect(deps.counters.get('requests_failed')).toBeUndefined();
  });

  it('the request deadline answers 504 even when a handler ignores it; a crash is a logged 500', async () => {
    const deps = recordingDeps(db.sql);
    const api = await start({ ...deps, rateLimit: false }, config({}), {
      mount: (app) => {
        app.get('/v1/stats', () => new Promise<Response>(() => undefined));
        app.get('/v1/relays', () => {
          throw new Error('boom');
        });
      },
    });
    const slow = await getJson(`${api.url}/v1/stats`);
    expect(slow).toMatchObject({ status: 504, body: { error: { code: 'timeout' } } });
    const crash = await getJson(`${api.url}/v1/relays`);
    expect(crash).toMatchObject({
      status: 500,
      body: { error: { code: 'internal_error', message: 'internal error' } },
    });
    expect(JSON.stringify(crash.body)).not.toContain('boom');
    expect(deps.logs.find((l) => l.level === 'error')).toMatchObject({
      message: 'request_failed',
      fields: { detail: 'boom' },
    });
    expect(deps.counters.get('requests_failed')).toBe(2);
  });

  it('starts without a database and answers 503 until it is back', async () => {
    const down = postgres('postgres://nobody@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
    clients.push(down);
    const deps = recordingDeps(down);
    const api = await start({ ...deps, rateLimit: false }, config({ relay: true }));
    expect(deps.logs.some((l) => l.message === 'catalog_load_failed')).toBe(true);
    expect(await getJson(`${api.url}/health`)).toMatchObject({ status: 503, body: { status: 'unavailable' } });
    expect(await getJson(`${api.url}/v1/relay`)).toMatchObject({
      status: 503,
      body: { error: { code: 'unavailable' } },
    });
  });
});

describe('the reader role', () => {
  let reader: postgres.Sql;
  beforeAll(() => {
    // a session that runs as `reader` (SET ROLE at connection start), as the deployed API does
    reader = postgres(db.url, { max: 2, connection: { role: 'reader' }, onnotice: () => {} });
    clients.push(reader);
  });

  it('cannot write through SQL', async () => {
    expect((await reader`SELECT current_user AS u`)[0]?.u).toBe('reader');
    const attempts = [
      reader`INSERT INTO relay (url, network, discovered_at) VALUES ('wss://x.example.com', 'clearnet', 1)`,
      reader`UPDATE relay SET discovered_at = 2`,
      reader`DELETE FROM relay`,
      reader`SELECT relay_insert(ARRAY['wss://x.example.com'], ARRAY['clearnet'], ARRAY[1::bigint])`,
      reader`TRUNCATE event CASCADE`,
      reader`CREATE TABLE intruder (x int)`,
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ code: '42501' });
    expect((await db.sql`SELECT count(*)::int AS n FROM relay`)[0]?.n).toBe(2);
  });

  it('reads through the API', async () => {
    const api = await start({ ...recordingDeps(reader), rateLimit: false }, config({ relay: true, relay_stats: true }));
    const list = await getJson(`${api.url}/v1/relay`);
    expect(list.body.data).toHaveLength(2);
    const stats = await getJson(`${api.url}/v1/schema/relay_stats`);
    expect(stats.body.data).toMatchObject({ kind: 'matview', primary_key: ['relay_url'] });
  });
});
