/**
 * The writer's commit step (docs/design/write-path.md): one transaction per prepared batch, each event once and
 * then every sighting, both in id order (concurrent writers lock rows in the same order, so they cannot
 * deadlock). Commits use `synchronous_commit = off`: a server crash may lose the last instants of commits, and
 * the cursors written after them are lost with them (the WAL is ordered).
 */
import type postgres from 'postgres';
import { insertEventRelays, insertEvents } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { PreparedBatch } from './writer-prepare.js';

/** Rows a prepared batch writes (events and sightings). */
export function batchWrites(batch: PreparedBatch): number {
  return batch.eventRows.length + batch.sightingRows.length;
}

/** Commit a prepared batch; returns the events the database actually inserted (a concurrent batch may hold one). */
export async function commitBatch(sql: postgres.Sql, batch: PreparedBatch): Promise<number> {
  if (batchWrites(batch) === 0) return 0;
  return await sql.begin(async (tx) => {
    await tx`SET LOCAL synchronous_commit = off`;
    // the foreign-key check of each sighting queries the hash-partitioned event table; with the default plan
    // cache mode PostgreSQL re-plans that query for every row (custom plans over 16 partitions), about a fifth
    // of the insert's time; one generic plan with run-time pruning serves them all
    await tx`SET LOCAL plan_cache_mode = force_generic_plan`;
    // the relays exist (they were claimed from the relay table), so the level-1 functions do
    const events = new Map<string, NostrEvent>();
    for (const r of batch.eventRows) events.set(r.event.id, r.event);
    const inserted =
      events.size > 0
        ? await insertEvents(
            tx,
            [...events.values()].sort((a, b) => byId(a.id, b.id)),
          )
        : 0;
    const sightings = [
      ...batch.sightingRows,
      ...batch.eventRows.map((r) => ({ eventId: r.event.id, relayUrl: r.relay.url, seenAt: r.seenAt })),
    ].sort((a, b) => byId(a.eventId, b.eventId));
    if (sightings.length > 0) await insertEventRelays(tx, sightings);
    return inserted;
  });
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
