import { describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { buildMetadata } from '../../models/metadata.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { deleteOrphanEvents, refreshAllStatistics, refreshView } from './maintenance.js';
import {
  byteaArray,
  deleteServiceState,
  findStoredSightings,
  getServiceState,
  insertEventRelays,
  insertEventRelaysCascade,
  insertEvents,
  insertMetadata,
  insertRelayMetadata,
  insertRelayMetadataCascade,
  insertRelays,
  intArray,
  sightingKey,
  upsertServiceState,
} from './store.js';

const db = useTestDatabase('bigbrotr');
const h = (n: number): string => n.toString(16).padStart(64, '0');
const relay = (n: number): Relay => ({
  url: `wss://r${n}.example.com` as RelayUrl,
  network: 'clearnet',
  discoveredAt: n,
});
const event = (n: number, over: Partial<NostrEvent> = {}): NostrEvent =>
  ({
    id: h(n),
    pubkey: h(1),
    created_at: n,
    kind: 1,
    tags: [['t', `x${n}`]],
    content: `é ${n}`,
    sig: h(n) + h(n),
    ...over,
  }) as NostrEvent;

describe('store', () => {
  it('splits inputs into batches and adds up the counts, duplicates included', async () => {
    const relays = [1, 2, 3, 4, 5, 3].map(relay);
    expect(await insertRelays(db.sql, relays, { batchSize: 2 })).toBe(5);
    expect(await insertRelays(db.sql, relays, { batchSize: 2 })).toBe(0);
    const events = [1, 2, 3, 4, 5].map((n) => event(n));
    expect(await insertEvents(db.sql, [...events, events[0] as NostrEvent], { batchSize: 2 })).toBe(5);
    const [row] = await db.sql`SELECT tags, content, tagvalues FROM event WHERE id = ${Buffer.from(h(3), 'hex')}`;
    expect(row).toEqual({ tags: [['t', 'x3']], content: 'é 3', tagvalues: ['t:x3'] });
  });

  it('writes sightings directly and through the cascade', async () => {
    const r = relay(1);
    expect(await insertEventRelays(db.sql, [{ eventId: h(1), relayUrl: r.url, seenAt: 10 }])).toBe(1);
    const rows = [6, 7, 8].map((n) => ({ event: event(n), relay: relay(9), seenAt: 20 }));
    expect(await insertEventRelaysCascade(db.sql, [...rows, ...rows], { batchSize: 2 })).toBe(3);
    const pairs = [
      { eventId: h(6), relayUrl: relay(9).url },
      { eventId: h(7), relayUrl: relay(1).url },
      { eventId: h(99), relayUrl: relay(9).url },
    ];
    expect(await findStoredSightings(db.sql, pairs, { batchSize: 2 })).toEqual({
      events: new Set([h(6), h(7)]),
      sightings: new Set([sightingKey(h(6), relay(9).url)]),
      sigs: new Map([
        [h(6), event(6).sig],
        [h(7), event(7).sig],
      ]),
    });
  });

  it('sends arrays as literals that round-trip exactly and refuses what would break them', async () => {
    const hexes = ['', '00', 'ABcd', h(1)];
    const [row] = await db.sql<{ b: Buffer[]; n: string[] }[]>`
      SELECT ${byteaArray(hexes)}::bytea[] AS b, ${intArray([0, -1, Number.MAX_SAFE_INTEGER])}::bigint[]::text[] AS n`;
    expect(row?.b.map((b) => b.toString('hex'))).toEqual(hexes.map((x) => x.toLowerCase()));
    expect(row?.n).toEqual(['0', '-1', String(Number.MAX_SAFE_INTEGER)]);
    const [empty] = await db.sql<{ b: Buffer[] }[]>`SELECT ${byteaArray([])}::bytea[] AS b`;
    expect(empty?.b).toEqual([]);
    // a value that is not hex (a quote would end the element, a comma add one) never reaches the literal
    expect(() => byteaArray([h(1), '00","\\\\x01'])).toThrow(/not a hex string/);
    expect(() => intArray([1, 1.5])).toThrow(/not an integer/);
    expect(() => intArray([2 ** 63])).toThrow(/not an integer/);
    // odd-length hex is refused by PostgreSQL, where Buffer.from(…, 'hex') would silently drop the last digit
    await expect(db.sql`SELECT ${byteaArray(['abc'])}::bytea[]`).rejects.toThrow(/hexadecimal/);
  });

  it('stores metadata once per content and keeps the time series', async () => {
    const doc = buildMetadata(
      'nip66_geo',
      { data: { geo_lat: 52 }, logs: { success: true } },
      { floatKeys: new Set(['geo_lat']) },
    );
    expect(doc.json).toBe('{"data":{"geo_lat":52.0},"logs":{"success":true}}');
    expect(await insertMetadata(db.sql, [doc, doc])).toBe(1);
    const r = relay(1);
    expect(
      await insertRelayMetadata(db.sql, [
        { relayUrl: r.url, metadataId: doc.id, metadataType: doc.type, generatedAt: 1 },
      ]),
    ).toBe(1);
    const rows = [2, 3].map((t) => ({ relay: relay(10), metadata: doc, generatedAt: t }));
    expect(await insertRelayMetadataCascade(db.sql, rows)).toBe(2);
    const [m] = await db.sql`SELECT count(*)::int AS n, min(data->'data'->>'geo_lat') AS lat FROM metadata`;
    expect(m).toEqual({ n: 1, lat: '52.0' });
  });

  it('upserts, reads and deletes service state', async () => {
    const key = { serviceName: 'finder', stateType: 'cursor', stateKey: 'wss://r1.example.com' } as const;
    await upsertServiceState(db.sql, [
      { ...key, stateValue: { timestamp: 1 } },
      { ...key, stateValue: { timestamp: 2, id: 'ab' } },
    ]);
    expect(await getServiceState(db.sql, 'finder', 'cursor')).toEqual([
      { ...key, stateValue: { timestamp: 2, id: 'ab' } },
    ]);
    expect(await getServiceState(db.sql, 'finder', 'cursor', 'nope')).toEqual([]);
    expect(await deleteServiceState(db.sql, [key])).toBe(1);
  });

  it('runs cleanup and refreshes', async () => {
    expect(await deleteOrphanEvents(db.sql, 2)).toBeGreaterThanOrEqual(4);
    await refreshView(db.sql, 'event_stats');
    await refreshAllStatistics(db.sql);
    const [s] = await db.sql`SELECT event_count FROM event_stats`;
    expect(Number(s?.event_count)).toBe(4);
    await expect(refreshView(db.sql, 'pg_class; DROP TABLE event' as 'event_stats')).rejects.toThrow(/unknown/);
  });
});
