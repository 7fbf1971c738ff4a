import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshAllStatistics } from '../../../core/db/maintenance.js';
import { insertEventRelaysCascade, insertRelayMetadataCascade } from '../../../core/db/store.js';
import { buildMetadata } from '../../../models/metadata.js';
import type { Relay, RelayUrl } from '../../../models/relay.js';
import { generateEvents } from '../../../testing/events.js';
import { type LogRecord, recordingLogger } from '../../../testing/service-deps.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { everyInsightTable, insightRoutes } from './insights.js';

const db = useTestDatabase('bigbrotr');
const relay: Relay = { url: 'wss://hostile.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 1 };
const events = generateEvents(5, { kinds: [1], tags: () => [['t', 'x']] });
const logs: LogRecord[] = [];
const servers: { close(cb: () => void): void }[] = [];

async function serve(app: Hono): Promise<string> {
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
function mount(sql: postgres.Sql): Hono {
  const app = new Hono();
  app.route(
    '/v1',
    insightRoutes(
      { sql, logger: recordingLogger(logs) },
      { defaultPageSize: 10, maxPageSize: 200, tables: everyInsightTable() },
    ),
  );
  return app;
}

let base = '';
beforeAll(async () => {
  await insertEventRelaysCascade(
    db.sql,
    events.map((event) => ({ event, relay, seenAt: 5 })),
  );
  await insertRelayMetadataCascade(db.sql, [
    {
      relay,
      metadata: buildMetadata('nip11_info', {
        data: { name: "Robert'); DROP TABLE relay;--" },
        logs: { success: true },
      }),
      generatedAt: 10,
    },
  ]);
  await refreshAllStatistics(db.sql);
  base = await serve(mount(db.sql));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

// biome-ignore lint/suspicious/noExplicitAny: test JSON
async function get(path: string, root = base): Promise<{ status: number; json: any }> {
  const res = await fetch(`${root}${path}`);
  const text = await res.text();
  expect(res.headers.get('content-type') ?? '', `${path}: ${text}`).toContain('application/json');
  return { status: res.status, json: JSON.parse(text) };
}

const INJECTIONS = [
  "' OR '1'='1",
  '1; DROP TABLE relay; --',
  '1)) UNION SELECT * FROM pg_shadow --',
  '%00',
  '\\x00',
  "'::bytea",
  'null',
  '[]',
  '{"a":1}',
  '-1',
  '1e9',
  '0x10',
  ' ',
  'é'.repeat(300),
];
const PATHS: Record<string, readonly string[]> = {
  '/v1/relays': ['network', 'nip', 'software', 'country', 'q', 'status', 'sort', 'limit', 'offset'],
  '/v1/stats': ['days'],
  '/v1/events': ['ids', 'authors', 'kinds', '#e', '#p', '#t', 'since', 'until', 'limit', 'before_id'],
  [`/v1/relays/${encodeURIComponent(relay.url)}`]: ['limit', 'before'],
};

describe('hostile input to the insight endpoints', () => {
  it('never answers 500 and never runs injected SQL, whatever the parameter holds', async () => {
    for (const [path, params] of Object.entries(PATHS)) {
      for (const param of params) {
        for (const value of INJECTIONS) {
          const r = await get(`${path}?${encodeURIComponent(param)}=${encodeURIComponent(value)}`);
          expect([200, 400], `${path} ${param}=${value}: ${JSON.stringify(r.json)}`).toContain(r.status);
          if (r.status === 400) {
            expect(typeof r.json.error.code).toBe('string');
            expect(typeof r.json.error.message).toBe('string');
          }
        }
      }
    }
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM relay`;
    expect(row?.n).toBe(1);
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('treats search text as text, not as a pattern or SQL', async () => {
    const name = (await get(`/v1/relays?q=${encodeURIComponent('DROP TABLE relay;--')}`)).json;
    expect(name.data.map((r: { url: string }) => r.url)).toEqual([relay.url]);
    expect((await get('/v1/relays?q=%25')).json.data).toEqual([]);
    expect((await get('/v1/relays?q=_')).json.data).toEqual([]);
    expect((await get('/v1/relays?software=%27')).json.data).toEqual([]);
  });

  it.each([
    ['/v1/relays?limit=-1', 'invalid_limit'],
    ['/v1/relays?limit=1.5', 'invalid_limit'],
    ['/v1/relays?limit=abc', 'invalid_limit'],
    ['/v1/relays?limit=', 'invalid_limit'],
    ['/v1/relays?limit=1&limit=2', 'repeated_parameter'],
    ['/v1/relays?offset=-5', 'invalid_offset'],
    ['/v1/relays?offset=100000000000', 'invalid_offset'],
    ['/v1/relays?network=darknet', 'invalid_network'],
    ['/v1/relays?nip=-1', 'invalid_nip'],
    ['/v1/relays?nip=1000000', 'invalid_nip'],
    ['/v1/relays?country=DEU', 'invalid_country'],
    ['/v1/relays?sort=url;DROP', 'invalid_sort'],
    ['/v1/relays?sort=url:sideways', 'invalid_sort'],
    ['/v1/relays?sort=password', 'invalid_sort'],
    ['/v1/relays?q=a%00b', 'invalid_parameter'],
    [`/v1/relays?q=${'x'.repeat(5000)}`, 'invalid_q'],
    [`/v1/events?%23t=${'x'.repeat(16_100)}`, 'invalid_parameter'],
    ['/v1/relays?unknown=1', 'unknown_parameter'],
    ['/v1/stats?days=0', 'invalid_days'],
    ['/v1/stats?days=367', 'invalid_days'],
    ['/v1/stats?days=7&days=8', 'repeated_parameter'],
    ['/v1/events?limit=-1', 'invalid_limit'],
    ['/v1/events?limit=1&limit=1', 'repeated_parameter'],
    ['/v1/events?kinds=70000', 'invalid_kinds'],
    ['/v1/events?kinds=1,,2', 'invalid_kinds'],
    ['/v1/events?kinds=', 'invalid_kinds'],
    [`/v1/events?kinds=${Array.from({ length: 501 }, () => '1').join(',')}`, 'invalid_kinds'],
    [`/v1/events?%23t=${Array.from({ length: 501 }, () => 'x').join(',')}`, 'invalid_tag'],
    ['/v1/events?ids=xyz', 'invalid_ids'],
    [`/v1/events?ids=${'a'.repeat(63)}`, 'invalid_ids'],
    ['/v1/events?authors=', 'invalid_authors'],
    ['/v1/events?since=-1', 'invalid_since'],
    ['/v1/events?until=99999999999999999999', 'invalid_until'],
    [`/v1/events?before_id=${'a'.repeat(64)}`, 'invalid_before_id'],
    [`/v1/events?until=5&before_id=${'a'.repeat(64)},${'b'.repeat(64)}`, 'invalid_before_id'],
    ['/v1/events?%23tt=x', 'unknown_parameter'],
    ['/v1/events?%23e=[1,2]', 'invalid_tag'],
    ['/v1/events?%23e=[%22a%22', 'invalid_tag'],
    ['/v1/events?%23e=[]', 'invalid_tag'],
    ['/v1/events?search=hello', 'unknown_parameter'],
    [`/v1/relays/${encodeURIComponent(relay.url)}?limit=-3`, 'invalid_limit'],
    [`/v1/relays/${encodeURIComponent(relay.url)}?before=x`, 'invalid_before'],
  ])('%s → 400 %s', async (path, code) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(code);
  });

  it('clamps huge limits to the maximum page size', async () => {
    expect((await get('/v1/relays?limit=1000000000')).json.meta.limit).toBe(200);
    const e = await get('/v1/events?limit=1000000000');
    expect(e.json.meta).toMatchObject({ limit: 200, count: 5, next: null });
    const d = await get(`/v1/relays/${encodeURIComponent(relay.url)}?limit=1000000000`);
    expect(d.json.meta.checks.limit).toBe(200);
  });

  it.each([
    ['not a URL', 'not-a-url'],
    ['an http URL', encodeURIComponent('http://hostile.example.com')],
    ['bad percent-encoding', '%E0%A4%A'],
    ['a NUL byte', encodeURIComponent('wss://a.example.com/\0')],
    ['SQL', encodeURIComponent("wss://x.example.com/' OR 1=1 --")],
    ['a huge URL', encodeURIComponent(`wss://${'a'.repeat(3000)}.example.com`)],
  ])('refuses a relay path with %s (400 or 404, never 500)', async (_name, segment) => {
    const r = await get(`/v1/relays/${segment}`);
    expect([400, 404]).toContain(r.status);
    expect(typeof r.json.error.code).toBe('string');
  });

  it('answers 503 when the database cannot be reached', async () => {
    for (const path of ['/v1/relays', '/v1/stats', '/v1/events', `/v1/relays/${encodeURIComponent(relay.url)}`]) {
      // a fresh client per path: postgres.js backs off between failed connection attempts
      const down = postgres('postgres://nobody@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
      const r = await get(path, await serve(mount(down)));
      expect(r.status, path).toBe(503);
      expect(r.json.error.code).toBe('unavailable');
      await down.end({ timeout: 1 });
    }
  });
});
