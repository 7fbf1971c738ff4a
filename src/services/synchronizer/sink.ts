/**
 * Where a relay's events go: dedupe (this run, then the database), verify on the worker pool, and store the
 * sightings in batches through `event_relay_insert_cascade`. `flush` commits what is buffered; the caller
 * moves a cursor only after a flush, so no cursor points past committed data.
 */
import type postgres from 'postgres';
import { findExistingEventIds, insertEventRelaysCascade } from '../../core/db/store.js';
import { checkEventStorable, type NostrEvent } from '../../models/event.js';
import type { Relay } from '../../models/relay.js';
import type { VerifierPool } from '../../utils/verifier/pool.js';

/** What the sink counted. */
export interface SinkStats {
  seen: number;
  inserted: number;
  duplicates: number;
  invalid: number;
}

/** The sink's collaborators and bounds. */
export interface SinkDeps {
  readonly sql: postgres.Sql;
  readonly pool: VerifierPool;
  readonly batchSize: number;
  readonly maxEventSize?: number;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

/** A per-relay event sink. */
export interface EventSink {
  readonly stats: SinkStats;
  add(events: readonly NostrEvent[]): Promise<void>;
  flush(): Promise<void>;
}

/** Create the sink of one relay. `recent` remembers ids across relays of a run (bounded by the caller). */
export function createEventSink(relay: Relay, deps: SinkDeps, recent: Set<string>): EventSink {
  const stats: SinkStats = { seen: 0, inserted: 0, duplicates: 0, invalid: 0 };
  let buffer: NostrEvent[] = [];
  const flush = async (): Promise<void> => {
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return;
    const stored = await findExistingEventIds(
      deps.sql,
      batch.map((e) => e.id),
    );
    // known events still get this relay's sighting, without verifying them again
    const fresh = batch.filter((e) => !stored.has(e.id));
    const flags = fresh.length > 0 ? await deps.pool.verify(fresh) : new Uint8Array();
    const valid = fresh.filter(
      (e, i) =>
        flags[i] === 1 && checkEventStorable(e, deps.maxEventSize ? { maxEventSize: deps.maxEventSize } : {}).ok,
    );
    stats.invalid += fresh.length - valid.length;
    const known = batch.filter((e) => stored.has(e.id));
    stats.duplicates += known.length;
    const seenAt = deps.now();
    const rows = [...valid, ...known].map((event) => ({ event, relay, seenAt }));
    await insertEventRelaysCascade(deps.sql, rows, { batchSize: deps.batchSize });
    stats.inserted += valid.length;
  };
  return {
    stats,
    async add(events) {
      for (const e of events) {
        stats.seen += 1;
        const key = `${relay.url} ${e.id}`;
        if (recent.has(key)) continue; // the same sighting twice in a run (overlapping windows)
        recent.add(key);
        buffer.push(e);
      }
      if (buffer.length >= deps.batchSize) await flush();
    },
    flush,
  };
}
