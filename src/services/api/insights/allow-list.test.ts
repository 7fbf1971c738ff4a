import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingLogger } from '../../../testing/service-deps.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { everyInsightTable, INSIGHT_TABLES, insightRoutes } from './insights.js';

const db = useTestDatabase('bigbrotr');
const clients: postgres.Sql[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
});

const PATHS: Record<string, string> = {
  '/relays': '/relays',
  '/relays/:url{.+}': '/relays/wss%3A%2F%2Frelay.example.com',
  '/stats': '/stats',
  '/events': '/events?limit=1',
  '/pipeline': '/pipeline',
};

describe('the insight endpoints obey the table allow-list', () => {
  it('serves an endpoint only when every relation it reads is enabled, saying which are not', async () => {
    const sql = postgres(db.url, { max: 2, connection: { role: 'reader' }, onnotice: () => {} });
    clients.push(sql);
    const page = { defaultPageSize: 10, maxPageSize: 100, cacheSeconds: 0 };
    for (const [route, needs] of Object.entries(INSIGHT_TABLES)) {
      const path = PATHS[route] as string;
      for (const missing of needs) {
        const tables = { ...everyInsightTable(), [missing]: { enabled: false, price: 0 } };
        const res = await insightRoutes({ sql, logger: recordingLogger([]) }, { ...page, tables }).request(path);
        expect(res.status, `${path} without ${missing}`).toBe(404);
        expect(((await res.json()) as { error: { message: string } }).error.message).toContain(missing);
      }
      // an empty allow-list (an api.yaml that says nothing) serves none of them
      expect(
        (await insightRoutes({ sql, logger: recordingLogger([]) }, { ...page, tables: {} }).request(path)).status,
      ).toBe(404);
      const all = await insightRoutes(
        { sql, logger: recordingLogger([]) },
        { ...page, tables: everyInsightTable() },
      ).request(path);
      expect([200, 404], path).toContain(all.status);
      if (all.status === 404) expect(route).toBe('/relays/:url{.+}');
    }
  });
});
