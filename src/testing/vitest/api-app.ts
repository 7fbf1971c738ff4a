/** The API served over a seeded database for the app tests (app*.test.ts). */
import postgres from 'postgres';
import { afterAll, beforeAll } from 'vitest';
import { insertEventRelaysCascade, insertRelayMetadataCascade } from '../../core/db/store.js';
import { buildMetadata } from '../../models/metadata.js';
import type { RelayUrl } from '../../models/relay.js';
import { type ApiService, createApi } from '../../services/api/api.js';
import { apiConfigSchema } from '../../services/api/config.js';
import { generateEvents } from '../events.js';
import { type RecordingDeps, recordingDeps } from '../service-deps.js';
import { type TestDb, useTestDatabase } from './db.js';

export const SECRET = 'SECRET-MARKER-of-a-disabled-table';
export const events = generateEvents(25, { kinds: [1, 7], tags: (i) => [['t', `tag${i % 5}`]] });
export const relayA = { url: 'wss://a.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 5 };
export const secretDoc = buildMetadata('nip11_info', { data: { name: SECRET }, logs: { success: true } });
export const enabled = { enabled: true, price: 0 };

/** The file's database (set by useApiApp). */
export let db: TestDb;
export let api: ApiService;
export let deps: RecordingDeps;
export let appSql: postgres.Sql;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test JSON
  json: any;
}
export async function get(path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${api.url}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Register the hooks of an API test file: a database with events, a disabled table holding a secret document,
 * and the API served over it (a pool without prepared statements, as behind PgBouncer) with two mounted routes.
 */
export function useApiApp(): void {
  db = useTestDatabase('bigbrotr');
  beforeAll(async () => {
    await insertEventRelaysCascade(
      db.sql,
      events.map((event, i) => ({ event, relay: relayA, seenAt: 1000 + i })),
    );
    await insertRelayMetadataCascade(db.sql, [{ relay: relayA, metadata: secretDoc, generatedAt: 50 }]);
    await db.sql`CREATE VIEW slow_view AS SELECT pg_sleep(10) IS NULL AS slept`;
    await db.sql`CREATE VIEW typed_view AS SELECT now()::timestamptz AS ts, 1.5::numeric AS x, true AS flag,
      '{"a": [1]}'::jsonb AS j`;
    await db.sql`CREATE TABLE stats (n int PRIMARY KEY)`;
    // the production pool's setting: no prepared statements (PgBouncer); parameters are still typed by the server
    appSql = postgres(db.url, { prepare: false, max: 4, onnotice: () => {} });
    deps = recordingDeps(appSql);
    const config = apiConfigSchema.parse({
      tables: {
        event: enabled,
        relay: enabled,
        event_relay: enabled,
        relay_stats: enabled,
        slow_view: enabled,
        typed_view: enabled,
        stats: enabled,
        metadata: { enabled: false, price: 0 },
        relay_metadata: { enabled: false, price: 0 },
      },
      cors_origins: ['https://example.org'],
      request_timeout: 1,
      max_page_size: 10,
      default_page_size: 4,
    });
    api = await createApi(
      { ...deps, rateLimit: false },
      { ...config, host: '127.0.0.1', port: 0 },
      {
        openapiPaths: { '/v1/relays': { get: { summary: 'relays with their latest status' } } },
        mount: (app) => {
          app.get('/v1/stats', (c) => c.json({ mounted: 'stats' }));
          app.get('/v1/relays', (c) => c.json({ mounted: 'relays' }));
        },
      },
    );
  });
  afterAll(async () => {
    await api?.close();
    await appSql?.end({ timeout: 5 });
  });
}
