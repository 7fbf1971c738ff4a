/**
 * The writer's prepare step (docs/design/write-path.md): from a batch of sightings (copies of events as relays
 * served them) to the rows to write. Ephemeral kinds are skipped unless kept; every other copy is proven to be the
 * valid event its id names (id recomputed for every copy, Schnorr skipped only for a pair verified before); what
 * the database already holds is looked up once per batch. Nothing here writes.
 */
import type postgres from 'postgres';
import { findStoredSightings, type StoredSightings, sightingKey } from '../../core/db/store.js';
import { isEphemeralKind, type NostrEvent } from '../../models/event.js';
import { proveCopies, type VerifiedPairs } from '../../models/event-proof.js';
import type { Relay } from '../../models/relay.js';

/** A copy of an event as one relay served it. */
export interface Sighting {
  readonly event: NostrEvent;
  readonly relay: Relay;
}

/** Why a copy is skipped (not archived, but not invalid either) when ephemeral kinds are not kept. */
export const EPHEMERAL_SKIPPED = 'ephemeral kind';

/** A copy not archived, from which relay, and why. `invalid` false: skipped by policy. */
export interface Refusal {
  readonly relayUrl: string;
  readonly reason: string;
  readonly invalid: boolean;
}

/** A proven sighting whose event is written too (the insert is a no-op when it is stored already). */
export interface EventRow {
  readonly event: NostrEvent;
  readonly relay: Relay;
  readonly seenAt: number;
}

/** A proven sighting of an event the database holds: only the sighting is written. */
export interface SightingRow {
  readonly eventId: string;
  readonly relayUrl: Relay['url'];
  readonly seenAt: number;
}

/** A prepared batch: what to write, what is recorded already, and what was refused. */
export interface PreparedBatch {
  readonly eventRows: EventRow[];
  readonly sightingRows: SightingRow[];
  /** Proven sightings already recorded: no write at all. */
  readonly recorded: number;
  readonly refused: Refusal[];
}

/** What preparing needs. */
export interface PrepareDeps {
  readonly sql: postgres.Sql;
  readonly verify: (events: readonly NostrEvent[]) => Promise<Uint8Array>;
  /** Pairs proven this run (shared by every batch of the writer). */
  readonly verified: VerifiedPairs;
  readonly keepEphemeral: boolean;
  readonly maxEventSize?: number;
  /** The sightings' seen_at (seconds since the epoch). */
  readonly now: () => number;
}

const NOTHING_STORED: StoredSightings = { events: new Set(), sightings: new Set(), sigs: new Map() };

/** Prepare one batch. */
export async function prepareBatch(sightings: readonly Sighting[], deps: PrepareDeps): Promise<PreparedBatch> {
  const refused: Refusal[] = [];
  const kept: Sighting[] = [];
  for (const s of sightings) {
    if (!deps.keepEphemeral && isEphemeralKind(s.event.kind)) {
      refused.push({ relayUrl: s.relay.url, reason: EPHEMERAL_SKIPPED, invalid: false });
    } else kept.push(s);
  }
  // events proven this run are stored or in a batch being committed: no lookup for them (their sightings are
  // written with the event, whose insert waits on ON CONFLICT for a concurrent one, so the foreign key holds)
  const lookup = new Map<string, { eventId: string; relayUrl: string }>();
  for (const { event, relay } of kept) {
    if (!deps.verified.hasId(event.id)) {
      lookup.set(sightingKey(event.id, relay.url), { eventId: event.id, relayUrl: relay.url });
    }
  }
  const stored = lookup.size > 0 ? await findStoredSightings(deps.sql, [...lookup.values()]) : NOTHING_STORED;
  const verdicts = await proveCopies(
    kept.map((s) => s.event),
    {
      verified: deps.verified,
      storedSig: (id) => stored.sigs.get(id),
      verify: deps.verify,
      ...(deps.maxEventSize === undefined ? {} : { maxEventSize: deps.maxEventSize }),
    },
  );
  const seenAt = deps.now();
  const eventRows: EventRow[] = [];
  const sightingRows: SightingRow[] = [];
  let recorded = 0;
  kept.forEach(({ event, relay }, i) => {
    const reason = verdicts[i];
    if (reason !== undefined) refused.push({ relayUrl: relay.url, reason, invalid: true });
    else if (stored.sightings.has(sightingKey(event.id, relay.url))) recorded += 1;
    else if (stored.events.has(event.id)) sightingRows.push({ eventId: event.id, relayUrl: relay.url, seenAt });
    else eventRows.push({ event, relay, seenAt });
  });
  return { eventRows, sightingRows, recorded, refused };
}
