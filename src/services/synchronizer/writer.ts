/**
 * The synchronizer's one writer for all relays of a cycle (docs/design/write-path.md): prove before crediting,
 * batches sized for PostgreSQL, sorted by id, back-pressure from the database to the sockets.
 *
 * Sightings from every relay go into one open batch. A sealed batch is prepared (`writer-prepare.ts`: ephemeral
 * kinds skipped, every copy proven to be the valid event its id names, what is stored looked up), `prepares`
 * batches at a time, and then committed (`writer-commit.ts`), up to `commits` batches at once on separate
 * connections. A cursor marked while a batch was open is written once that batch and every earlier one have
 * committed (`cursor-order.ts`). `add` waits while too many batches are in flight: that wait is what slows the
 * sockets when PostgreSQL is busy. A failed commit (after its retries) or cursor write makes the next `add` and
 * `flush` reject with it.
 */
import type postgres from 'postgres';
import { withRetry } from '../../core/db/retry.js';
import { upsertServiceState } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import { createVerifiedPairs } from '../../models/event-proof.js';
import type { Relay } from '../../models/relay.js';
import type { JsonObject } from '../../models/service-state.js';
import { createLimiter } from '../../utils/limiter.js';
import type { VerifierPool } from '../../utils/verifier/pool.js';
import { type Cursors, createCursorOrder } from './cursor-order.js';
import { batchWrites, commitBatch } from './writer-commit.js';
import { type PreparedBatch, prepareBatch, type Sighting } from './writer-prepare.js';

/** What the writer counted. */
export interface WriterStats {
  /** Events handed to the writer. */
  seen: number;
  /** New events stored (valid, not known before). */
  inserted: number;
  /** Valid copies of events already stored or seen this run (stored as a sighting only). */
  duplicates: number;
  /** Copies that failed the id, signature or storable checks; never stored, never credited. */
  invalid: number;
  /** Valid or not, copies not archived by policy (ephemeral kinds unless `keepEphemeral`). */
  skipped: number;
  /** Copies invalid or skipped, by reason. */
  refusals: Record<string, number>;
  /** Batches committed. */
  batches: number;
}

/** The writer's collaborators and bounds. */
export interface WriterDeps {
  readonly sql: postgres.Sql;
  readonly pool: Pick<VerifierPool, 'verifySignatures'>;
  readonly batchSize: number;
  readonly maxEventSize?: number;
  /** Archive ephemeral kinds (20000-29999) too (default false: they are skipped and counted). */
  readonly keepEphemeral?: boolean;
  /** Seconds since the epoch (the sightings' seen_at). */
  readonly now: () => number;
  /** (id, signature) pairs remembered as proven, to skip the lookup and the Schnorr check (default 200,000). */
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
  /** Commit everything added and marked so far; rejects when a commit or a cursor write failed. */
  flush(): Promise<void>;
  /** The copies from `relayUrl` refused so far (invalid or skipped), by reason. */
  refusedFrom(relayUrl: string): Readonly<Record<string, number>>;
}

interface Batch {
  readonly sightings: Sighting[];
  readonly cursors: Map<string, JsonObject>;
}

/** Create a writer. */
export function createEventWriter(deps: WriterDeps): EventWriter {
  const stats: WriterStats = {
    seen: 0,
    inserted: 0,
    duplicates: 0,
    invalid: 0,
    skipped: 0,
    refusals: {},
    batches: 0,
  };
  const byRelay = new Map<string, Record<string, number>>();
  const verified = createVerifiedPairs(deps.seenCapacity ?? 200_000);
  let open: Batch = { sightings: [], cursors: new Map() };
  const commits = deps.commits ?? 3;
  const prepares = deps.prepares ?? 2;
  const preparing = createLimiter(prepares);
  const inFlight = new Set<Promise<void>>();
  let sealed = 0;
  let failure: unknown;
  const fail = (err: unknown): void => {
    failure ??= err;
  };

  const retrying = <T>(fn: () => Promise<T>): Promise<T> =>
    withRetry(fn, {
      maxAttempts: 8,
      initialDelayMs: 250,
      maxDelayMs: 10_000,
      ...(deps.onRetry ? { onRetry: deps.onRetry } : {}),
    });

  const cursors = createCursorOrder(async (due: Cursors) => {
    const states = [...due].map(([url, value]) => ({
      serviceName: 'synchronizer' as const,
      stateType: 'cursor' as const,
      stateKey: url,
      stateValue: value,
    }));
    await retrying(() => upsertServiceState(deps.sql, states));
  }, fail);

  const prepare = (batch: Batch): Promise<PreparedBatch> =>
    retrying(() =>
      prepareBatch(batch.sightings, {
        sql: deps.sql,
        verify: (events) => deps.pool.verifySignatures(events), // ids recomputed by proveCopies
        verified,
        keepEphemeral: deps.keepEphemeral ?? false,
        now: deps.now,
        ...(deps.maxEventSize === undefined ? {} : { maxEventSize: deps.maxEventSize }),
      }),
    );

  const count = (batch: Batch, prepared: PreparedBatch): void => {
    stats.seen += batch.sightings.length;
    for (const r of prepared.refused) {
      if (r.invalid) stats.invalid += 1;
      else stats.skipped += 1;
      stats.refusals[r.reason] = (stats.refusals[r.reason] ?? 0) + 1;
      const relay = byRelay.get(r.relayUrl) ?? {};
      relay[r.reason] = (relay[r.reason] ?? 0) + 1;
      byRelay.set(r.relayUrl, relay);
    }
  };

  const commit = async (prepared: PreparedBatch): Promise<void> => {
    const inserted = await retrying(() => commitBatch(deps.sql, prepared));
    stats.inserted += inserted;
    stats.duplicates += batchWrites(prepared) + prepared.recorded - inserted;
    stats.batches += 1;
  };

  const seal = (): void => {
    const batch = open;
    const seq = sealed++;
    open = { sightings: [], cursors: new Map() };
    const tracked = preparing(() => prepare(batch))
      .then(async (prepared) => {
        count(batch, prepared);
        await commit(prepared);
      })
      .then(() => cursors.committed(seq, batch.cursors))
      .catch(fail);
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
      await cursors.settled();
      check();
    },
    refusedFrom: (relayUrl) => byRelay.get(relayUrl) ?? {},
  };
}
