/**
 * The import pipeline's overlap of writing with the next batches: real PostgreSQL (the import's own store
 * functions), real signatures checked by the real verification; the only injected fault is a failing write.
 */
import { describe, expect, it } from 'vitest';
import { findStoredSightings, insertEventRelaysCascade, insertRelays } from '../../core/db/store.js';
import { hasValidId, hasValidSignature, type NostrEvent } from '../../models/event.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { type ImportDeps, importLines } from './importer.js';
import type { Line } from './lines.js';

const db = useTestDatabase();
const relay: Relay = { url: 'wss://import.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 1 };

async function* linesOf(events: readonly NostrEvent[]): AsyncGenerator<Line> {
  let n = 0;
  for (const e of events) yield { n: ++n, text: JSON.stringify(e) };
}

/** The import command's dependencies on the test database, with the writes in flight counted. */
function realDeps(opts: { failWrite?: number; writeDelayMs?: number } = {}) {
  const seen = { inFlight: 0, maxInFlight: 0, writes: 0, provenWhileWriting: 0 };
  const deps: ImportDeps = {
    existing: async (ids) => {
      const stored = await findStoredSightings(
        db.sql,
        ids.map((eventId) => ({ eventId, relayUrl: relay.url })),
      );
      return new Map([...stored.events].map((id) => [id, stored.sigs.get(id) ?? null]));
    },
    verify: async (events) => {
      if (seen.inFlight > 0) seen.provenWhileWriting += 1;
      return Uint8Array.from(events, (e) => (hasValidId(e) && hasValidSignature(e) ? 1 : 0));
    },
    store: async (fresh) => {
      const n = ++seen.writes;
      seen.inFlight += 1;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        await new Promise((r) => setTimeout(r, opts.writeDelayMs ?? 50));
        if (n === opts.failWrite) throw new Error(`write ${n} failed`);
        return await db.sql.begin((tx) =>
          insertEventRelaysCascade(
            tx,
            fresh.map((event) => ({ event, relay, seenAt: 1 })),
          ),
        );
      } finally {
        seen.inFlight -= 1;
      }
    },
  };
  return { deps, seen };
}

async function storedCount(): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event`;
  return row?.n ?? 0;
}

describe('importLines overlaps writing with the next batches', () => {
  it('proves the next batch while one is written, keeps at most writeDepth writes, stores each event once', async () => {
    await db.sql`TRUNCATE event, event_relay`;
    await insertRelays(db.sql, [relay]);
    const events = generateEvents(60, { seed: 91 });
    // a repeat of an event of the first batch arrives while that batch may still be being written
    const lines = [...events.slice(0, 20), events[3] as NostrEvent, ...events.slice(20)];
    const { deps, seen } = realDeps({ writeDelayMs: 80 });
    const summary = await importLines(linesOf(lines), deps, { batchSize: 10, writeDepth: 2 });
    expect(summary).toMatchObject({ read: 61, inserted: 60, duplicates: 1, invalid: 0 });
    expect(summary.readError).toBeUndefined();
    expect(seen.maxInFlight).toBe(2);
    expect(seen.provenWhileWriting).toBeGreaterThan(0);
    expect(await storedCount()).toBe(60);
  });

  it('writes one batch at a time with writeDepth 1, still proving the next one meanwhile', async () => {
    await db.sql`TRUNCATE event, event_relay`;
    const { deps, seen } = realDeps();
    const summary = await importLines(linesOf(generateEvents(40, { seed: 92 })), deps, {
      batchSize: 10,
      writeDepth: 1,
    });
    expect(summary).toMatchObject({ read: 40, inserted: 40, invalid: 0 });
    expect(seen.maxInFlight).toBe(1);
    expect(seen.provenWhileWriting).toBeGreaterThan(0);
  });

  it('a failed write ends the import with its error, and nothing is still writing when it returns', async () => {
    await db.sql`TRUNCATE event, event_relay`;
    const { deps, seen } = realDeps({ failWrite: 2 });
    const summary = await importLines(linesOf(generateEvents(80, { seed: 93 })), deps, { batchSize: 10 });
    expect(summary.readError).toBe('write 2 failed');
    expect(seen.inFlight).toBe(0);
    // the failed batch is not counted as stored, and what was counted is in the database
    expect(summary.inserted).toBe(await storedCount());
    expect(summary.inserted).toBeLessThan(80);
  });

  it('a failed last write rejects the import after the writes in flight have settled', async () => {
    await db.sql`TRUNCATE event, event_relay`;
    const { deps, seen } = realDeps({ failWrite: 3 });
    const run = importLines(linesOf(generateEvents(30, { seed: 94 })), deps, { batchSize: 10 });
    await expect(run).rejects.toThrow('write 3 failed');
    expect(seen.inFlight).toBe(0);
    expect(await storedCount()).toBe(20);
  });
});
