import postgres from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { insertEventRelaysCascade, insertRelays } from '../db/store.js';
import { type Catalog, loadCatalog, type TableInfo } from './catalog.js';
import {
  getByPrimaryKey,
  parseFilterString,
  parseTableQuery,
  type QueryResult,
  runTableQuery,
  type TableQuery,
  TableQueryError,
} from './query.js';

const db = useTestDatabase('bigbrotr');
const events = generateEvents(30, { kinds: [1, 7], tags: (i) => [['t', `tag${i % 3}`]] });
const page = { defaultPageSize: 10, maxPageSize: 20 };
let catalog: Catalog;

const table = (name: string): TableInfo => catalog.tables.get(name) as TableInfo;
const parsed = (name: string, params: Parameters<typeof parseTableQuery>[1]): TableQuery => {
  const r = parseTableQuery(table(name), params, page);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const errorOf = <T>(r: QueryResult<T>) => (r.ok ? undefined : r.error);

beforeAll(async () => {
  const relay = { url: 'wss://a.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 5 };
  await insertRelays(db.sql, [relay, { ...relay, url: 'wss://b.example.com' as RelayUrl }]);
  await insertEventRelaysCascade(
    db.sql,
    events.map((event, i) => ({ event, relay, seenAt: 100 + i })),
  );
  await db.sql`CREATE VIEW slow_view AS SELECT pg_sleep(5) IS NULL AS slept, 1 AS n`;
  await db.sql`CREATE TABLE "weird.name" (x int)`;
  catalog = await loadCatalog(db.sql, {
    event: { enabled: true, price: 0 },
    relay: { enabled: true, price: 7 },
    event_relay: { enabled: true, price: 0 },
    relay_stats: { enabled: true, price: 0 },
    slow_view: { enabled: true, price: 0 },
    metadata: { enabled: false, price: 0 },
    nope: { enabled: true, price: 0 },
    'weird.name': { enabled: true, price: 0 },
  });
});

describe('loadCatalog', () => {
  it('keeps only enabled relations and reports missing ones', () => {
    expect([...catalog.tables.keys()]).toEqual(['event', 'event_relay', 'relay', 'relay_stats', 'slow_view']);
    expect(catalog.missing).toEqual(['nope']); // a dotted name is never looked up
  });
  it('reads kinds, columns, types and keys', () => {
    expect(table('relay')).toEqual({
      name: 'relay',
      kind: 'table',
      price: 7,
      primaryKey: ['url'],
      columns: [
        { name: 'url', type: 'text', nullable: false },
        { name: 'network', type: 'text', nullable: false },
        { name: 'discovered_at', type: 'bigint', nullable: false },
      ],
    });
    expect(table('event').primaryKey).toEqual(['id']);
    expect(table('event').columns.find((c) => c.name === 'tagvalues')?.type).toBe('text[]');
    expect(table('event_relay').primaryKey).toEqual(['event_id', 'relay_url']);
    expect(table('relay_stats')).toMatchObject({ kind: 'matview', primaryKey: ['relay_url'] });
    expect(table('slow_view')).toMatchObject({ kind: 'view', primaryKey: [] });
  });
});

describe('parseTableQuery', () => {
  it('clamps the limit and parses filters and sort', () => {
    const q = parsed('event', { limit: '1000000000', sort: 'created_at:desc', filters: [['kind', '>=:7']] });
    expect(q).toMatchObject({ limit: 20, offset: 0, sort: { column: 'created_at', direction: 'desc' } });
    expect(q.filters).toEqual([{ column: 'kind', op: '>=', value: '7', contains: false }]);
  });
  it.each([
    [{ limit: '-1' }, 'invalid_limit'],
    [{ limit: '1.5' }, 'invalid_limit'],
    [{ offset: '1000000000000' }, 'invalid_offset'],
    [{ offset: 'abc' }, 'invalid_offset'],
    [{ sort: 'nope' }, 'unknown_column'],
    [{ sort: 'kind:sideways' }, 'invalid_sort'],
    [{ sort: 'kind;DROP TABLE event' }, 'unknown_column'],
    [{ filters: [['kind', 'ILIKE:%1%']] }, 'invalid_operator'],
    [{ filters: [['kind', 'one']] }, 'invalid_value'],
    [{ filters: [['kind', '99999999999']] }, 'invalid_value'],
    [{ filters: [['id', 'abc']] }, 'invalid_value'],
    [{ filters: [['id', 'zz']] }, 'invalid_value'],
    [{ filters: [['tags', '{bad json']] }, 'invalid_value'],
    [{ filters: [['tagvalues', '>:x']] }, 'invalid_operator'],
    [{ filters: [['id" OR 1=1 --', 'x']] }, 'unknown_column'],
    [
      {
        filters: [
          ['kind', '1'],
          ['kind', '7'],
        ],
      },
      'repeated_parameter',
    ],
  ] as const)('refuses %j with %s', (params, code) => {
    const r = parseTableQuery(table('event'), { filters: [], ...params }, page);
    expect(errorOf(r)).toMatchObject({ status: 400, code });
  });
});

describe('parseFilterString', () => {
  it('splits the DVM format with escapes', () => {
    expect(parseFilterString('kind=>=:1, content=ILIKE:a\\,b,url=wss://x')).toEqual({
      ok: true,
      value: [
        ['kind', '>=:1'],
        ['content', 'ILIKE:a,b'],
        ['url', 'wss://x'],
      ],
    });
    expect(parseFilterString('')).toEqual({ ok: true, value: [] });
    expect(errorOf(parseFilterString('kind'))).toMatchObject({ status: 400, code: 'invalid_filter' });
  });
});

describe('runTableQuery', () => {
  const opts = { timeoutMs: 5000 };
  it('pages with a stable order and counts the total', async () => {
    const q = parsed('event', { limit: 7, offset: 7, sort: 'created_at:desc', filters: [] });
    const res = await runTableQuery(db.sql, table('event'), q, opts);
    expect(res.meta).toEqual({ total: 30, limit: 7, offset: 7, table: 'event', total_exact: true });
    expect(res.data.map((r) => r.created_at)).toEqual(
      [...events]
        .sort((a, b) => b.created_at - a.created_at)
        .slice(7, 14)
        .map((e) => e.created_at),
    );
  });
  it('answers a NULL element of a text array as null (a one-letter tag without a value)', async () => {
    const [protectedEvent] = generateEvents(1, { seed: 77, tags: () => [['-'], ['t', 'x']] });
    const e = protectedEvent as (typeof events)[number];
    const relay = { url: 'wss://a.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 5 };
    await insertEventRelaysCascade(db.sql, [{ event: e, relay, seenAt: 1 }]);
    const byKey = await getByPrimaryKey(db.sql, table('event'), [e.id], opts);
    expect(byKey.ok && byKey.value.tagvalues).toEqual([null, 't:x']);
    const page = await runTableQuery(db.sql, table('event'), parsed('event', { filters: [['id', e.id]] }), opts);
    expect(page.data[0]?.tagvalues).toEqual([null, 't:x']);
    await db.sql`DELETE FROM event WHERE id = ${Buffer.from(e.id, 'hex')}`;
  });

  it('round-trips bytea as hex and filters by text-array element', async () => {
    const target = events[4] as (typeof events)[number];
    const byId = await runTableQuery(db.sql, table('event'), parsed('event', { filters: [['id', target.id]] }), opts);
    expect(byId.data).toEqual([{ ...target, tagvalues: ['t:tag1'] }]);
    const byTag = await runTableQuery(
      db.sql,
      table('event'),
      parsed('event', { filters: [['tagvalues', 't:tag1']] }),
      opts,
    );
    expect(byTag.meta.total).toBe(10);
    const upper = parsed('event', { filters: [['pubkey', target.pubkey.toUpperCase()]] });
    expect((await runTableQuery(db.sql, table('event'), upper, opts)).meta.total).toBe(3);
  });
  it('counts exactly up to the cap, then estimates', async () => {
    const q = parsed('event', { limit: 2, filters: [['kind', '1']] });
    const unprepared = postgres(db.url, { prepare: false, max: 1 });
    const res = await runTableQuery(unprepared, table('event'), q, { ...opts, countLimit: 5 });
    await unprepared.end();
    expect(res.meta.total_exact).toBe(false);
    // beyond the cap the total is the planner's estimate, never below what is known to exist
    expect(res.meta.total).toBeGreaterThanOrEqual(5);
  });
  it('ILIKE on text and a value the server refuses', async () => {
    const q = parsed('relay', { filters: [['url', 'ILIKE:%B.EXAMPLE%']] });
    expect((await runTableQuery(db.sql, table('relay'), q, opts)).data).toEqual([
      { url: 'wss://b.example.com', network: 'clearnet', discovered_at: 5 },
    ]);
  });
  it('turns a statement timeout into a 504 error', async () => {
    const q = parsed('slow_view', { filters: [] });
    const err = await runTableQuery(db.sql, table('slow_view'), q, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TableQueryError);
    expect((err as TableQueryError).error).toMatchObject({ status: 504, code: 'timeout' });
  });
  it('an abort signal cancels the running statement', async () => {
    const q = parsed('slow_view', { filters: [] });
    const ac = new AbortController();
    const run = runTableQuery(db.sql, table('slow_view'), q, { timeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const err = await run.catch((e: unknown) => e);
    expect((err as TableQueryError).error).toMatchObject({ status: 504 });
  });
});

describe('getByPrimaryKey', () => {
  const opts = { timeoutMs: 5000 };
  it('finds a row by a composite key, and reports missing rows and bad keys', async () => {
    const e = events[0] as (typeof events)[number];
    const r = await getByPrimaryKey(db.sql, table('event_relay'), [e.id, 'wss://a.example.com'], opts);
    expect(r).toEqual({ ok: true, value: { event_id: e.id, relay_url: 'wss://a.example.com', seen_at: 100 } });
    const missing = await getByPrimaryKey(db.sql, table('relay'), ['wss://zzz'], opts);
    expect(errorOf(missing)).toMatchObject({ status: 404, code: 'not_found' });
    const arity = await getByPrimaryKey(db.sql, table('event_relay'), [e.id], opts);
    expect(errorOf(arity)).toMatchObject({ status: 400, code: 'invalid_key' });
    const hex = await getByPrimaryKey(db.sql, table('event'), ['xyz'], opts);
    expect(errorOf(hex)).toMatchObject({ status: 400, code: 'invalid_value' });
    const op = await getByPrimaryKey(db.sql, table('relay'), ['>=:a'], opts);
    expect(errorOf(op)).toMatchObject({ status: 404 });
    const view = await getByPrimaryKey(db.sql, table('slow_view'), ['1'], opts);
    expect(errorOf(view)).toMatchObject({ status: 404, code: 'no_primary_key' });
  });
});
