import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshAllStatistics } from '../../../core/db/maintenance.js';
import { insertEventRelaysCascade, insertRelayMetadataCascade, insertRelays } from '../../../core/db/store.js';
import type { NostrEvent } from '../../../models/event.js';
import { buildMetadata, type MetadataType, type RelayMetadata } from '../../../models/metadata.js';
import type { Relay, RelayUrl } from '../../../models/relay.js';
import { generateEvents } from '../../../testing/events.js';
import { recordingLogger } from '../../../testing/service-deps.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { everyInsightTable, insightRoutes } from './insights.js';
import { EVENT_STATS_FIELDS } from './stats.js';

const NOW = 1_700_100_000;
const HOUR = 3_600;
const relay = (url: string, network: Relay['network'] = 'clearnet'): Relay => ({
  url: url as RelayUrl,
  network,
  discoveredAt: 1_600_000_000,
});
const A = relay('wss://alpha.example.com');
const B = relay('wss://beta.example.org');
const C = relay(`ws://${'c'.repeat(56)}.onion`, 'tor');
const D = relay('wss://gamma.example.net');

const doc = (relayOf: Relay, type: MetadataType, value: unknown, generatedAt: number): RelayMetadata => ({
  relay: relayOf,
  metadata: buildMetadata(type, value),
  generatedAt,
});
const rtt = (open: number | null) =>
  open === null
    ? { data: {}, logs: { open_success: false, open_reason: 'timeout', read_success: false, write_success: false } }
    : {
        data: { rtt_open: open, rtt_read: open + 5, rtt_write: open + 9 },
        logs: { open_success: true, read_success: true, write_success: true },
      };

/** Ten hourly checks of A (all up), B up then down at the end, D up; C never checked. */
function metadataRows(): RelayMetadata[] {
  const rows: RelayMetadata[] = [];
  for (let i = 0; i < 10; i++) {
    rows.push(doc(A, 'nip66_rtt', rtt(100 + i * 10), NOW - i * HOUR));
    rows.push(doc(B, 'nip66_rtt', rtt(i === 0 ? null : 300), NOW - i * HOUR - 60));
  }
  rows.push(doc(D, 'nip66_rtt', rtt(50), NOW - 120));
  const nip11 = (data: Record<string, unknown>) => ({ data, logs: { success: true } });
  rows.push(
    doc(
      A,
      'nip11_info',
      nip11({
        name: 'Alpha Relay',
        software: 'git+https://github.com/hoytech/strfry.git',
        version: '1.0.1',
        supported_nips: [1, 11, 42],
      }),
      NOW - 100,
    ),
    doc(
      B,
      'nip11_info',
      nip11({ name: 'Beta', software: 'nostr-rs-relay', version: '0.8.9', supported_nips: [1, 11] }),
      NOW,
    ),
    // no geo check: the country is the first two-letter code NIP-11 announces
    doc(D, 'nip11_info', nip11({ name: 'Gamma', supported_nips: [1, 'x', 2.5], relay_countries: ['*', 'jp'] }), NOW),
    doc(A, 'nip66_geo', { data: { geo_country: 'DE', geo_city: 'Berlin' }, logs: { success: true } }, NOW),
    doc(B, 'nip66_geo', { data: { geo_country: 'US' }, logs: { success: true } }, NOW),
    doc(A, 'nip66_ssl', { data: { ssl_valid: true, ssl_issuer: "Let's Encrypt" }, logs: { success: true } }, NOW),
    doc(A, 'nip66_dns', { data: { dns_ips: ['192.0.2.1'] }, logs: { success: true } }, NOW),
    doc(A, 'nip66_net', { data: { net_ip: '192.0.2.1', net_asn: 64500 }, logs: { success: true } }, NOW),
  );
  return rows;
}

// three events share each timestamp, so pagination must break ties by id
const events: NostrEvent[] = generateEvents(30, {
  seed: 7,
  pubkeys: 3,
  kinds: [1, 7, 30023],
  createdAt: (i) => NOW - Math.floor(i / 3) * 6 * HOUR,
  tags: (i) => [
    ['t', `tag${i % 3}`],
    ['e', (i * 7919).toString(16).padStart(64, '0')],
    ['r', `https://x.example/${i % 2},${i}`],
  ],
});

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test JSON
  json: any;
}

describe.each(['bigbrotr', 'lilbrotr'] as const)('insight endpoints (%s)', (deployment) => {
  const db = useTestDatabase(deployment);
  let base = '';
  let close = async (): Promise<void> => {};
  let appSql: postgres.Sql | undefined;
  const get = async (path: string): Promise<Answer> => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, json: await res.json() };
  };

  beforeAll(async () => {
    await insertRelays(db.sql, [C]);
    await insertRelayMetadataCascade(db.sql, metadataRows());
    await insertEventRelaysCascade(db.sql, [
      ...events.map((event, i) => ({ event, relay: A, seenAt: event.created_at + 10 + i })),
      ...events.filter((_, i) => i % 2 === 0).map((event) => ({ event, relay: B, seenAt: event.created_at + 5 })),
    ]);
    await refreshAllStatistics(db.sql);
    // the production pool's setting: no prepared statements (PgBouncer)
    appSql = postgres(db.url, { prepare: false, max: 4, onnotice: () => {} });
    const app = new Hono();
    app.route(
      '/v1',
      insightRoutes(
        { sql: appSql, logger: recordingLogger([]), now: () => NOW },
        {
          defaultPageSize: 2,
          maxPageSize: 3,
          cacheSeconds: deployment === 'bigbrotr' ? 5 : 0,
          tables: everyInsightTable(),
        },
      ),
    );
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
    await appSql?.end({ timeout: 5 });
  });

  const urls = async (path: string): Promise<string[]> => {
    const r = await get(path);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.data.map((x: { url: string }) => x.url);
  };

  it('lists relays with their latest status, paginated with the total', async () => {
    const r = await get('/v1/relays?limit=3');
    expect(r.status).toBe(200);
    expect(r.json.meta).toEqual({ total: 4, limit: 3, offset: 0 });
    // URL order: 'ws://c…' sorts before 'wss://…' in both C and natural-language collations
    expect(r.json.data.map((x: { url: string }) => x.url)).toEqual([C.url, A.url, B.url]);
    expect(r.json.data[0]).toMatchObject({ url: C.url, network: 'tor', status: 'unchecked', reachable: null });
    expect(r.json.data[1]).toMatchObject({
      url: A.url,
      network: 'clearnet',
      name: 'Alpha Relay',
      software: 'git+https://github.com/hoytech/strfry.git',
      version: '1.0.1',
      supported_nips: [1, 11, 42],
      country: 'DE',
      country_source: 'geo',
      checked_at: NOW,
      status: 'online',
      reachable: true,
      rtt_open: 100,
      rtt_read: 105,
      rtt_write: 109,
      event_count: 30,
    });
    expect(r.json.data[2]).toMatchObject({ status: 'offline', reachable: false, rtt_open: null, event_count: 15 });
    const page2 = await get('/v1/relays?limit=3&offset=3');
    expect(page2.json.data).toHaveLength(1);
    expect(page2.json.data[0]).toMatchObject({
      url: D.url,
      name: 'Gamma',
      supported_nips: [1],
      software: null,
      country: 'JP',
      country_source: 'nip11',
    });
    expect((await get('/v1/relays')).json.meta).toEqual({ total: 4, limit: 2, offset: 0 });
    expect((await get('/v1/relays?limit=1000000000')).json.meta.limit).toBe(3);
    expect((await get('/v1/relays?offset=99')).json).toEqual({ data: [], meta: { total: 4, limit: 2, offset: 99 } });
    expect((await get('/v1/relays?limit=0')).json).toEqual({ data: [], meta: { total: 4, limit: 0, offset: 0 } });
  });

  it('caches relay and statistics answers for cacheSeconds (bigbrotr: 5 s, lilbrotr: off), never events', async () => {
    const relays = await fetch(`${base}/v1/relays`);
    expect(relays.headers.get('cache-control')).toBe(deployment === 'bigbrotr' ? 'public, max-age=5' : null);
    expect(relays.headers.get('content-type')).toContain('application/json');
    const events = await fetch(`${base}/v1/events?limit=1`);
    expect(events.headers.get('cache-control')).toBeNull();
    expect(events.headers.get('content-type')).toContain('application/json');
  });

  it('filters relays by network, NIP, software, country, status and search', async () => {
    expect(await urls('/v1/relays?network=tor')).toEqual([C.url]);
    expect(await urls('/v1/relays?nip=42')).toEqual([A.url]);
    expect(await urls('/v1/relays?nip=11&limit=3')).toEqual([A.url, B.url]);
    expect(await urls('/v1/relays?software=STRFRY')).toEqual([A.url]);
    expect(await urls('/v1/relays?country=us')).toEqual([B.url]);
    expect(await urls('/v1/relays?country=JP')).toEqual([D.url]);
    expect(await urls('/v1/relays?status=unchecked')).toEqual([C.url]);
    expect(await urls('/v1/relays?status=offline')).toEqual([B.url]);
    expect(await urls('/v1/relays?status=online')).toEqual([A.url, D.url]);
    expect(await urls('/v1/relays?q=beta')).toEqual([B.url]);
    expect(await urls('/v1/relays?q=alpha%20RELAY')).toEqual([A.url]);
    expect(await urls('/v1/relays?q=100%25')).toEqual([]);
    expect(await urls('/v1/relays?network=clearnet&nip=1&country=DE')).toEqual([A.url]);
    const r = await get('/v1/relays?network=clearnet&limit=1');
    expect(r.json.meta.total).toBe(3);
  });

  it('sorts relays by a field, either way, nulls last', async () => {
    expect(await urls('/v1/relays?sort=event_count:desc&limit=3')).toEqual([A.url, B.url, C.url]);
    expect(await urls('/v1/relays?sort=rtt_open&limit=3')).toEqual([D.url, A.url, C.url]);
    expect(await urls('/v1/relays?sort=rtt_open:desc&limit=3')).toEqual([A.url, D.url, C.url]);
    expect(await urls('/v1/relays?sort=url:desc&limit=1')).toEqual([D.url]);
    expect(await urls('/v1/relays?sort=name&limit=3')).toEqual([A.url, B.url, D.url]);
  });

  it('answers one relay: documents, uptime and latency windows, daily series, check history', async () => {
    const r = await get(`/v1/relays/${encodeURIComponent(A.url)}?limit=3`);
    expect(r.status).toBe(200);
    const d = r.json.data;
    expect(d).toMatchObject({ url: A.url, network: 'clearnet', discovered_at: 1_600_000_000 });
    expect(d.documents.nip11_info).toMatchObject({ generated_at: NOW - 100, data: { name: 'Alpha Relay' } });
    expect(d.documents.nip66_ssl.data).toEqual({ ssl_valid: true, ssl_issuer: "Let's Encrypt" });
    expect(d.documents.nip66_geo.data.geo_city).toBe('Berlin');
    expect(d.documents.nip66_net.data.net_asn).toBe(64500);
    expect(d.documents.nip66_dns.data.dns_ips).toEqual(['192.0.2.1']);
    expect(d.documents.nip66_rtt).toMatchObject({ generated_at: NOW, data: { rtt_open: 100 } });
    expect(d.health['24h']).toMatchObject({ checks: 10, uptime: 1, rtt_open_p50: 145, rtt_write_p50: 154 });
    expect(d.health['7d'].checks).toBe(10);
    expect(d.health['30d'].rtt_open_p95).toBeCloseTo(185.5);
    expect(d.daily.reduce((n: number, x: { checks: number }) => n + x.checks, 0)).toBe(10);
    expect(d.stats).toMatchObject({ event_count: 30 });
    expect(d.checks.map((x: { generated_at: number }) => x.generated_at)).toEqual([NOW, NOW - HOUR, NOW - 2 * HOUR]);
    expect(d.checks[0]).toMatchObject({
      open_success: true,
      rtt_open: 100,
      rtt_read: 105,
      rtt_write: 109,
      reason: null,
    });
    expect(r.json.meta.checks).toEqual({ limit: 3, next_before: NOW - 2 * HOUR });
    const seen: number[] = [];
    let before: number | null = null;
    do {
      const page: Answer = await get(
        `/v1/relays/${encodeURIComponent(A.url)}?limit=3${before === null ? '' : `&before=${before}`}`,
      );
      seen.push(...page.json.data.checks.map((x: { generated_at: number }) => x.generated_at));
      before = page.json.meta.checks.next_before;
    } while (before !== null);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => NOW - i * HOUR));
  });

  it('finds a relay by its URL unencoded or not canonical, and says which relays do not exist', async () => {
    const plain = await get(`/v1/relays/${A.url}`);
    expect(plain.status).toBe(200);
    expect(plain.json.data.url).toBe(A.url);
    const loose = await get(`/v1/relays/${encodeURIComponent('WSS://Alpha.Example.com:443/')}`);
    expect(loose.json.data.url).toBe(A.url);
    const offline = await get(`/v1/relays/${encodeURIComponent(B.url)}?limit=1`);
    expect(offline.json.data.checks[0]).toMatchObject({ open_success: false, rtt_open: null, reason: 'timeout' });
    expect(offline.json.data.health['24h'].uptime).toBeCloseTo(0.9);
    const bare = await get(`/v1/relays/${encodeURIComponent(C.url)}`);
    expect(bare.json.data).toMatchObject({ url: C.url, documents: {}, checks: [], daily: [] });
    expect(bare.json.data.health['24h']).toMatchObject({ checks: 0, uptime: null });
    const missing = await get(`/v1/relays/${encodeURIComponent('wss://nowhere.example.com')}`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('not_found');
  });

  it('answers network statistics', async () => {
    const r = await get('/v1/stats?days=7');
    expect(r.status).toBe(200);
    const s = r.json.data;
    expect(s.relays).toMatchObject({ total: 4, online: 2, offline: 1, unchecked: 1, with_nip11: 3 });
    expect(s.relays.by_network).toEqual([
      { network: 'clearnet', relays: 3, online: 2, offline: 1, unchecked: 0, event_count: 30 },
      { network: 'tor', relays: 1, online: 0, offline: 0, unchecked: 1, event_count: 0 },
    ]);
    expect(s.events).toMatchObject({
      event_count: 30,
      unique_pubkeys: 3,
      unique_kinds: 3,
      addressable_event_count: 10,
    });
    expect(Object.keys(s.events)).toEqual([...EVENT_STATS_FIELDS]);
    expect(s.events_per_day).toHaveLength(7);
    expect(s.events_per_day.at(-1).day).toBe(new Date(NOW * 1000).toISOString().slice(0, 10));
    const inWindow = events.filter((e) => e.created_at >= Date.parse(`${s.events_per_day[0].day}T00:00:00Z`) / 1000);
    expect(s.events_per_day.reduce((n: number, d: { event_count: number }) => n + d.event_count, 0)).toBe(
      inWindow.length,
    );
    expect(s.software).toEqual([
      { software: 'git+https://github.com/hoytech/strfry.git', relays: 1, share: 0.333 },
      { software: 'nostr-rs-relay', relays: 1, share: 0.333 },
    ]);
    expect(s.nips).toEqual([
      { nip: 1, relays: 3, share: 1 },
      { nip: 11, relays: 2, share: 0.667 },
      { nip: 42, relays: 1, share: 0.333 },
    ]);
    expect(s.countries).toEqual([
      { country: 'DE', relays: 1 },
      { country: 'JP', relays: 1 },
      { country: 'US', relays: 1 },
    ]);
    expect((await get('/v1/stats')).json.data.events_per_day).toHaveLength(30);
  });

  const byNewest = (a: NostrEvent, b: NostrEvent): number =>
    b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const ids = (r: Answer): string[] => r.json.data.map((x: { event: { id: string } }) => x.event.id);

  it('answers events by kinds, authors and ids, as NIP-01 JSON with the relays that served them', async () => {
    const r = await get('/v1/events?kinds=1&limit=3');
    expect(r.status).toBe(200);
    const want = events.filter((e) => e.kind === 1).sort(byNewest);
    expect(ids(r)).toEqual(want.slice(0, 3).map((e) => e.id));
    const first = r.json.data[0];
    const original = want[0] as NostrEvent;
    expect(first.event).toMatchObject({
      id: original.id,
      pubkey: original.pubkey,
      created_at: original.created_at,
      kind: 1,
    });
    if (deployment === 'bigbrotr') {
      expect(first.event).toEqual(original);
    } else {
      expect(first.event).toMatchObject({ tags: null, content: null, sig: null });
    }
    const index = events.indexOf(original);
    expect(first.seen_on.map((s: { relay: string }) => s.relay)).toEqual(index % 2 === 0 ? [B.url, A.url] : [A.url]);
    expect(r.json.meta).toMatchObject({ limit: 3, count: 3 });
    const author = events[1]?.pubkey ?? '';
    const byAuthor = await get(`/v1/events?authors=${author.toUpperCase()}&kinds=7,30023&limit=3`);
    expect(ids(byAuthor)).toEqual(
      events
        .filter((e) => e.pubkey === author && e.kind !== 1)
        .sort(byNewest)
        .slice(0, 3)
        .map((e) => e.id),
    );
    const two = [events[4], events[20]].map((e) => e?.id ?? '');
    const byId = await get(`/v1/events?ids=${two.join(',')}`);
    expect(ids(byId).sort()).toEqual([...two].sort());
  });

  it('filters events by tags (GIN on tagvalues) and by time', async () => {
    const t1 = await get('/v1/events?%23t=tag1&limit=3');
    expect(ids(t1)).toEqual(
      events
        .filter((e) => e.tags[0]?.[1] === 'tag1')
        .sort(byNewest)
        .slice(0, 3)
        .map((e) => e.id),
    );
    const eValue = (5 * 7919).toString(16).padStart(64, '0');
    expect(ids(await get(`/v1/events?%23e=${eValue},${'f'.repeat(64)}`))).toEqual([events[5]?.id]);
    const rValue = encodeURIComponent(JSON.stringify(['https://x.example/1,7']));
    expect(ids(await get(`/v1/events?%23r=${rValue}`))).toEqual([events[7]?.id]);
    expect(ids(await get(`/v1/events?%23t=tag1&%23e=${eValue}`))).toEqual([]);
    const from = NOW - 12 * HOUR;
    const until = NOW - 6 * HOUR;
    const window = await get(`/v1/events?since=${from}&until=${until}&limit=3`);
    expect(ids(window)).toEqual(
      events
        .filter((e) => e.created_at >= from && e.created_at <= until)
        .sort(byNewest)
        .slice(0, 3)
        .map((e) => e.id),
    );
    expect(ids(await get('/v1/events?kinds=1&limit=0'))).toEqual([]);
  });

  it.each([
    ['every event', ''],
    ['two kinds', 'kinds=1,7&'],
    ['an author', `authors=${events[0]?.pubkey}&`],
    ['a tag', '%23t=tag2&'],
  ])('pages through %s with until + before_id, newest first, ties broken by id', async (_name, filter) => {
    const got: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 40; pages++) {
      const r = await get(`/v1/events?${filter}limit=2${cursor}`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      got.push(...ids(r));
      const next = r.json.meta.next;
      if (next === null) break;
      cursor = `&until=${next.until}&before_id=${next.before_id}`;
    }
    const all = await get(`/v1/events?${filter}limit=3`);
    expect(got.slice(0, 3)).toEqual(ids(all));
    expect(new Set(got).size).toBe(got.length);
    const kinds = filter.includes('kinds') ? [1, 7] : undefined;
    const want = events
      .filter((e) => !kinds || kinds.includes(e.kind))
      .filter((e) => !filter.includes('authors') || e.pubkey === events[0]?.pubkey)
      .filter((e) => !filter.includes('tag2') || e.tags[0]?.[1] === 'tag2')
      .sort(byNewest)
      .map((e) => e.id);
    expect(got).toEqual(want);
  });
});
