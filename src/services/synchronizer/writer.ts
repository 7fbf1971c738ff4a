/**
 * The synchronizer's one writer for all relays of a cycle (spec 05: dedupe before verify, batches sized for
 * PostgreSQL, sorted by id, back-pressure from the database to the sockets).
 *
 * Sightings from every relay go into one open batch. A sealed batch is prepared (ids already stored or already
 * seen this run are known, and sightings already recorded are dropped; the rest are verified on the worker
 * pool), `prepares` batches at a time, and then committed, up to `commits` batches at once on separate
 * connections (PostgreSQL inserts scale with connections; each transaction inserts in id order, so concurrent
 * writers cannot deadlock). A
 * cursor marked while a batch was open is written once that batch and every earlier one have committed, so
 * no cursor ever points past uncommitted events; a crash in between only leaves a cursor behind, and the
 * events it would have covered are fetched again and absorbed as duplicates. Commits use
 * `synchronous_commit = off`: a server crash may lose the last instants of commits, and their cursors are lost
 * with them, because cursors are written only after their events (the WAL is ordered).
 * `add` waits while too many batches are in flight: that wait is what slows the sockets when PostgreSQL is busy.
 */
import type postgres from 'postgres';
import { withRetry } from '../../core/db/retry.js';
import {
  findStoredSightings,
  insertEventRelays,
  insertEvents,
  sightingKey,
  upsertServiceState,
} from '../../core/db/store.js';
import { checkEventStorable, type NostrEvent } from '../../models/event.js';
import type { Relay } from '../../models/relay.js';
import type { JsonObject } from '../../models/service-state.js';
import { createLimiter } from '../../utils/limiter.js';
import type { VerifierPool } from '../../utils/verifier/pool.js';

/** What the writer counted. */
export interface WriterStats {
  /** Events handed to the writer. */
  seen: number;
  /** New events stored (valid, not known before). */
  inserted: number;
  /** Events already stored or seen this run (stored as a sighting only). */
  duplicates: number;
  /** Events that failed verification or the storable checks; never stored. */
  invalid: number;
  /** Batches committed. */
  batches: number;
}

/** The writer's collaborators and bounds. */
export interface WriterDeps {
  readonly sql: postgres.Sql;
  readonly pool: VerifierPool;
  readonly batchSize: number;
  readonly maxEventSize?: number;
  /** Seconds since the epoch (the sightings' seen_at). */
  readonly now: () => number;
  /** Ids remembered as valid and stored, to skip the lookup and the verification (default 200,000). */
  readonly seenCapacity?: number;
  /** Batches committing at once (default 3). */
  readonly commits?: number;
  /** Batches being prepared at once (default 2: the lookup of one overlaps the verification of another). */
  readonly prepares?: number;
  /** Called when a commit is retried after a transient database failure. */
  readonly onRetry?: (err: unknown, attempt: number) => void;
}

/** The writer of one cycle. */
export interface EventWriter {
  readonly stats: WriterStats;
  /** Buffer sightings of `relay`; resolves when there is room again (back-pressure). */
  add(relay: Relay, events: readonly NostrEvent[]): Promise<void>;
  /** Write `relay`'s cursor once every event added for it so far has committed. */
  mark(relay: Relay, cursor: JsonObject): void;
  /** Commit everything added and marked so far; rejects when a commit failed. */
  flush(): Promise<void>;
}

interface Sighting {
  readonly event: NostrEvent;
  readonly relay: Relay;
}

interface Batch {
  readonly sightings: Sighting[];
  readonly cursors: Map<string, JsonObject>;
}

/** Create a writer. */
export function createEventWriter(deps: WriterDeps): EventWriter {
  const stats: WriterStats = { seen: 0, inserted: 0, duplicates: 0, invalid: 0, batches: 0 };
  const seen = boundedIdSet(deps.seenCapacity ?? 200_000);
  let open: Batch = { sightings: [], cursors: new Map() };
  const commits = deps.commits ?? 3;
  const prepares = deps.prepares ?? 2;
  const preparing = createLimiter(prepares);
  let cursorTail: Promise<void> = Promise.resolve();
  const inFlight = new Set<Promise<void>>();
  // batches by sequence number: committed ones wait here until every earlier one has committed
  let sealed = 0;
  let frontier = 0;
  const done = new Map<number, Map<string, JsonObject>>();
  let failure: unknown;

  const prepare = async (batch: Batch) => {
    const lookup = new Map<string, { eventId: string; relayUrl: string }>();
    for (const { event, relay } of batch.sightings)
      if (!seen.has(event.id)) lookup.set(sightingKey(event.id, relay.url), { eventId: event.id, relayUrl: relay.url });
    const stored =
      lookup.size > 0
        ? await findStoredSightings(deps.sql, [...lookup.values()])
        : { events: new Set<string>(), sightings: new Set<string>() };
    for (const id of stored.events) seen.add(id);
    // keyed by id and signature: a copy with a tampered signature must not pass for the valid one
    const key = (e: NostrEvent): string => e.id + e.sig;
    const fresh = new Map<string, NostrEvent>();
    for (const { event } of batch.sightings) if (!seen.has(event.id)) fresh.set(key(event), event);
    const candidates = [...fresh.values()];
    const flags = candidates.length > 0 ? await deps.pool.verify(candidates) : new Uint8Array();
    const storable = deps.maxEventSize ? { maxEventSize: deps.maxEventSize } : {};
    const valid = new Set<string>();
    candidates.forEach((e, i) => {
      if (flags[i] === 1 && checkEventStorable(e, storable).ok) valid.add(key(e));
    });
    const seenAt = deps.now();
    const newRows: { event: NostrEvent; relay: Relay; seenAt: number }[] = [];
    const knownRows: { eventId: string; relayUrl: Relay['url']; seenAt: number }[] = [];
    let recorded = 0;
    const runRows: { event: NostrEvent; relay: Relay; seenAt: number }[] = [];
    const validIds = new Set<string>();
    for (const { event, relay } of batch.sightings) {
      stats.seen += 1;
      if (valid.has(key(event))) {
        newRows.push({ event, relay, seenAt });
        validIds.add(event.id);
      } else if (stored.sightings.has(sightingKey(event.id, relay.url))) recorded += 1;
      else if (stored.events.has(event.id)) knownRows.push({ eventId: event.id, relayUrl: relay.url, seenAt });
      else if (!fresh.has(key(event))) {
        // seen this run, perhaps in a batch still committing: inserting the event again waits for that insert
        // (ON CONFLICT), where a bare sighting could break the foreign key
        runRows.push({ event, relay, seenAt });
      } else stats.invalid += 1;
    }
    // remembered only once known valid, so later batches skip them (see runRows for why that is safe)
    for (const id of validIds) seen.add(id);
    return { newRows, knownRows, runRows, recorded };
  };

  const retrying = <T>(fn: () => Promise<T>): Promise<T> =>
    withRetry(fn, {
      maxAttempts: 8,
      initialDelayMs: 250,
      maxDelayMs: 10_000,
      ...(deps.onRetry ? { onRetry: deps.onRetry } : {}),
    });

  const commit = async (p: Awaited<ReturnType<typeof prepare>>): Promise<void> => {
    const writes = p.newRows.length + p.knownRows.length + p.runRows.length;
    // the events the database actually inserted: batches prepared side by side may both hold a new event
    const inserted = await retrying(async () => {
      if (writes === 0) return 0;
      return await deps.sql.begin(async (tx) => {
        await tx`SET LOCAL synchronous_commit = off`;
        // the foreign-key check of each sighting queries the hash-partitioned event table; with the default plan
        // cache mode PostgreSQL re-plans that query for every row (custom plans over 16 partitions), about a fifth
        // of the insert's time; one generic plan with run-time pruning serves them all
        await tx`SET LOCAL plan_cache_mode = force_generic_plan`;
        // the relays exist (they were claimed from the relay table), so the level-1 functions do: each event
        // once, then every sighting, both in id order
        const events = new Map<string, NostrEvent>();
        for (const r of [...p.newRows, ...p.runRows]) events.set(r.event.id, r.event);
        const n =
          events.size > 0
            ? await insertEvents(
                tx,
                [...events.values()].sort((a, b) => byId(a.id, b.id)),
              )
            : 0;
        const sightings = [
          ...p.knownRows,
          ...[...p.newRows, ...p.runRows].map((r) => ({
            eventId: r.event.id,
            relayUrl: r.relay.url,
            seenAt: r.seenAt,
          })),
        ].sort((a, b) => byId(a.eventId, b.eventId));
        if (sightings.length > 0) await insertEventRelays(tx, sightings);
        return n;
      });
    });
    stats.inserted += inserted;
    stats.duplicates += writes + p.recorded - inserted;
    stats.batches += 1;
  };

  // the cursors of the committed prefix of batches, in order
  const advanceCursors = (): void => {
    const cursors = new Map<string, JsonObject>();
    while (done.has(frontier)) {
      for (const [url, value] of done.get(frontier) as Map<string, JsonObject>) cursors.set(url, value);
      done.delete(frontier);
      frontier += 1;
    }
    if (cursors.size === 0) return;
    const states = [...cursors].map(([url, value]) => ({
      serviceName: 'synchronizer' as const,
      stateType: 'cursor' as const,
      stateKey: url,
      stateValue: value,
    }));
    cursorTail = cursorTail.then(() => retrying(() => upsertServiceState(deps.sql, states)).then(() => undefined));
  };

  const seal = (): void => {
    const batch = open;
    const seq = sealed++;
    open = { sightings: [], cursors: new Map() };
    const tracked = preparing(() => prepare(batch))
      .then(commit)
      .then(() => {
        done.set(seq, batch.cursors);
        advanceCursors();
      })
      .catch((err) => {
        failure ??= err;
      });
    inFlight.add(tracked);
    void tracked.then(() => inFlight.delete(tracked));
  };

  const check = (): void => {
    if (failure !== undefined) throw failure;
  };

  return {
    stats,
    async add(relay, events) {
      check();
      for (const event of events) open.sightings.push({ event, relay });
      if (open.sightings.length >= deps.batchSize) seal();
      // `prepares` batches preparing and `commits` committing: beyond that the sockets wait
      while (inFlight.size >= prepares + commits) await Promise.race(inFlight);
      check();
    },
    mark(relay, cursor) {
      open.cursors.set(relay.url, cursor);
    },
    async flush() {
      if (open.sightings.length > 0 || open.cursors.size > 0) seal();
      await Promise.all(inFlight);
      check();
      await cursorTail;
    },
  };
}

/** A set of ids bounded by two generations: when the young one is full it becomes the old one. */
function boundedIdSet(capacity: number): { has(id: string): boolean; add(id: string): void } {
  const half = Math.max(1, Math.floor(capacity / 2));
  let young = new Set<string>();
  let old = new Set<string>();
  return {
    has: (id) => young.has(id) || old.has(id),
    add(id) {
      if (young.has(id)) return;
      if (young.size >= half) {
        old = young;
        young = new Set();
      }
      young.add(id);
    },
  };
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
