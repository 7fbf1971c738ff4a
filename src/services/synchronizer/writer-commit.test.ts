/**
 * The commit step alone (docs/design/write-path.md): a prepared batch written in one transaction against a real
 * database, each event once and every sighting, idempotent when committed again; the return value counts the
 * events actually inserted.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { insertEvents, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { batchWrites, commitBatch } from './writer-commit.js';
import type { EventRow, PreparedBatch, SightingRow } from './writer-prepare.js';

const db = useTestDatabase('bigbrotr');
const relay = (name: string): Relay => ({ url: `ws://${name}.test` as RelayUrl, network: 'local', discoveredAt: 1 });
const a = relay('a');
const b = relay('b');
const unknown = relay('not-in-the-relay-table');

beforeEach(async () => {
  await db.sql`DELETE FROM relay`;
  await db.sql`DELETE FROM event`;
  await insertRelays(db.sql, [a, b]);
});

const batch = (eventRows: EventRow[], sightingRows: SightingRow[] = [], recorded = 0): PreparedBatch => ({
  eventRows,
  sightingRows,
  recorded,
  refused: [],
});
const rows = (r: Relay, events: readonly NostrEvent[], seenAt = 1_700_000_500): EventRow[] =>
  events.map((event) => ({ event, relay: r, seenAt }));

/** Every stored event (id and content) and every sighting (id, relay, seen_at), sorted. */
async function snapshot(): Promise<{ events: string[]; sightings: string[] }> {
  const ev = await db.sql`SELECT encode(id, 'hex') AS id, content FROM event ORDER BY id`;
  const er = await db.sql`SELECT encode(event_id, 'hex') AS id, relay_url, seen_at FROM event_relay
    ORDER BY event_id, relay_url`;
  return {
    events: ev.map((r) => `${r.id} ${r.content}`),
    sightings: er.map((r) => `${r.id} ${r.relay_url} ${r.seen_at}`),
  };
}
const eventLines = (events: readonly NostrEvent[]): string[] => events.map((e) => `${e.id} ${e.content}`).sort();
const sightingLines = (pairs: [NostrEvent, Relay, number][]): string[] =>
  pairs.map(([e, r, s]) => `${e.id} ${r.url} ${s}`).sort();

describe('batchWrites', () => {
  it('counts event rows and sighting rows, not the recorded ones', () => {
    const events = generateEvents(3, { seed: 71 });
    const sighting = { eventId: (events[0] as NostrEvent).id, relayUrl: b.url, seenAt: 1 };
    expect(batchWrites(batch(rows(a, events), [sighting, sighting], 7))).toBe(5);
    expect(batchWrites(batch([], [], 4))).toBe(0);
  });
});

describe('commitBatch', () => {
  it('new events: each stored once with a sighting per relay; returns the events inserted', async () => {
    const events = generateEvents(6, { seed: 72 });
    // the same events from two relays, and a repeated copy from one relay
    const prepared = batch([...rows(a, events), ...rows(b, events, 1_700_000_600), ...rows(a, events.slice(0, 2))]);
    expect(await commitBatch(db.sql, prepared)).toBe(6);
    expect(await snapshot()).toEqual({
      events: eventLines(events),
      sightings: sightingLines([
        ...events.map((e): [NostrEvent, Relay, number] => [e, a, 1_700_000_500]),
        ...events.map((e): [NostrEvent, Relay, number] => [e, b, 1_700_000_600]),
      ]),
    });
  });

  it('sighting rows of stored events are recorded; stored events are not counted as inserted', async () => {
    const events = generateEvents(4, { seed: 73 });
    await insertEvents(db.sql, events);
    const sightings = events.map((e) => ({ eventId: e.id, relayUrl: b.url, seenAt: 1_700_000_700 }));
    // an event row for a stored event too (a pair proven earlier in the run): a no-op insert, a new sighting
    const fresh = generateEvents(1, { seed: 74 });
    const prepared = batch([...rows(a, events.slice(0, 1)), ...rows(a, fresh)], sightings);
    expect(await commitBatch(db.sql, prepared)).toBe(1);
    expect(await snapshot()).toEqual({
      events: eventLines([...events, ...fresh]),
      sightings: sightingLines([
        [events[0] as NostrEvent, a, 1_700_000_500],
        [fresh[0] as NostrEvent, a, 1_700_000_500],
        ...events.map((e): [NostrEvent, Relay, number] => [e, b, 1_700_000_700]),
      ]),
    });
  });

  it('committing the same batch again (a retry) inserts nothing and changes no row', async () => {
    const events = generateEvents(5, { seed: 75 });
    const stored = generateEvents(2, { seed: 76 });
    await insertEvents(db.sql, stored);
    const prepared = batch(
      rows(a, events),
      stored.map((e) => ({ eventId: e.id, relayUrl: b.url, seenAt: 9 })),
    );
    expect(await commitBatch(db.sql, prepared)).toBe(5);
    const first = await snapshot();
    expect(first.sightings).toHaveLength(7);
    // a later seen_at does not overwrite the first sighting
    const again = batch(
      rows(a, events, 1_800_000_000),
      stored.map((e) => ({ eventId: e.id, relayUrl: b.url, seenAt: 99 })),
    );
    expect(await commitBatch(db.sql, again)).toBe(0);
    expect(await commitBatch(db.sql, prepared)).toBe(0);
    expect(await snapshot()).toEqual(first);
  });

  it('an empty batch writes nothing and returns 0', async () => {
    expect(await commitBatch(db.sql, batch([], [], 3))).toBe(0);
    expect(await snapshot()).toEqual({ events: [], sightings: [] });
  });

  it('one transaction: a sighting that cannot be written leaves none of the batch stored', async () => {
    const events = generateEvents(3, { seed: 77 });
    // the relay is not in the relay table: its sighting violates the foreign key
    const prepared = batch([...rows(a, events), ...rows(unknown, events.slice(0, 1))]);
    await expect(commitBatch(db.sql, prepared)).rejects.toThrow(/foreign key/);
    expect(await snapshot()).toEqual({ events: [], sightings: [] });
    // the same events commit once the bad sighting is gone
    expect(await commitBatch(db.sql, batch(rows(a, events)))).toBe(3);
  });
});
