/**
 * The typed store: one function per stored function of the schema. Each takes `sql` first (so it
 * also works inside `sql.begin`), takes domain values, transposes them into parallel arrays and sends one
 * round trip per batch. Counts returned by the database are added up.
 */
import type { NostrEvent } from '../../models/event.js';
import type { Metadata, MetadataType, RelayMetadata } from '../../models/metadata.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import type { ServiceName, ServiceState, StateType } from '../../models/service-state.js';
import { type StoreOpts, sumBatches } from './batches.js';
import type { Sql } from './sql.js';

/** An event seen on a relay (with the relay's own row, so the cascade can create it). */
export interface RelaySighting {
  readonly event: NostrEvent;
  readonly relay: Relay;
  readonly seenAt: number;
}

const HEX = /^[0-9a-f]*$/i;

/**
 * A `bytea[]` literal of hex strings (`{"\\x…",…}`), sent as one text parameter and cast in SQL. The values are
 * already hex: building the literal directly saves a Buffer per value and postgres.js's serialise-and-escape pass
 * over every element (a tenth of the synchronizer's main thread with its garbage in the first-sync profile).
 */
export function byteaArray(hexes: readonly string[]): string {
  if (!HEX.test(hexes.join(''))) {
    const bad = hexes.find((h) => !HEX.test(h)) ?? '';
    throw new TypeError(`not a hex string: ${JSON.stringify(bad.slice(0, 80))}`);
  }
  return hexes.length === 0 ? '{}' : `{"\\\\x${hexes.join('","\\\\x')}"}`;
}

/** A `bigint[]` / `int[]` literal (`{1,2,3}`), for the same reason. */
export function intArray(xs: readonly number[]): string {
  for (const x of xs) if (!Number.isSafeInteger(x)) throw new TypeError(`not an integer: ${x}`);
  return `{${xs.join(',')}}`;
}

const count = (rows: readonly { n: number | null }[]): number => rows[0]?.n ?? 0;

/** relay_insert: new relays (existing URLs are left as they are). */
export function insertRelays(sql: Sql, relays: readonly Relay[], opts?: StoreOpts): Promise<number> {
  return sumBatches(relays, opts, async (b) =>
    count(
      await sql<{ n: number }[]>`SELECT relay_insert(${b.map((r) => r.url)}::text[],
        ${b.map((r) => r.network)}::text[], ${intArray(b.map((r) => r.discoveredAt))}::bigint[]) AS n`,
    ),
  );
}

/** event_insert: new events (the database computes tagvalues). */
export function insertEvents(sql: Sql, events: readonly NostrEvent[], opts?: StoreOpts): Promise<number> {
  return sumBatches(events, opts, async (b) =>
    count(
      await sql<
        { n: number }[]
      >`SELECT event_insert(${byteaArray(b.map((e) => e.id))}::bytea[], ${byteaArray(b.map((e) => e.pubkey))}::bytea[],
        ${intArray(b.map((e) => e.created_at))}::bigint[], ${intArray(b.map((e) => e.kind))}::int[],
        ${b.map((e) => JSON.stringify(e.tags))}::text[]::jsonb[], ${b.map((e) => e.content)}::text[],
        ${byteaArray(b.map((e) => e.sig))}::bytea[]) AS n`,
    ),
  );
}

/** metadata_insert: content-addressed documents (identical ones are stored once). */
export function insertMetadata(sql: Sql, docs: readonly Metadata[], opts?: StoreOpts): Promise<number> {
  return sumBatches(docs, opts, async (b) =>
    count(
      await sql<{ n: number }[]>`SELECT metadata_insert(${byteaArray(b.map((d) => d.id))}::bytea[],
        ${b.map((d) => d.type)}::text[], ${b.map((d) => d.json)}::text[]::jsonb[]) AS n`,
    ),
  );
}

/** event_relay_insert: sightings of events already stored. */
export function insertEventRelays(
  sql: Sql,
  rows: readonly { readonly eventId: string; readonly relayUrl: RelayUrl; readonly seenAt: number }[],
  opts?: StoreOpts,
): Promise<number> {
  return sumBatches(rows, opts, async (b) =>
    count(
      await sql<{ n: number }[]>`SELECT event_relay_insert(${byteaArray(b.map((r) => r.eventId))}::bytea[],
        ${b.map((r) => r.relayUrl)}::text[], ${intArray(b.map((r) => r.seenAt))}::bigint[]) AS n`,
    ),
  );
}

/** relay_metadata_insert: time-series rows for documents and relays already stored. */
export function insertRelayMetadata(
  sql: Sql,
  rows: readonly {
    readonly relayUrl: RelayUrl;
    readonly metadataId: string;
    readonly metadataType: MetadataType;
    readonly generatedAt: number;
  }[],
  opts?: StoreOpts,
): Promise<number> {
  return sumBatches(rows, opts, async (b) =>
    count(
      await sql<{ n: number }[]>`SELECT relay_metadata_insert(${b.map((r) => r.relayUrl)}::text[],
        ${byteaArray(b.map((r) => r.metadataId))}::bytea[], ${b.map((r) => r.metadataType)}::text[],
        ${intArray(b.map((r) => r.generatedAt))}::bigint[]) AS n`,
    ),
  );
}

/**
 * event_relay_insert_cascade: relays, events and sightings in one call per batch. Rows are sorted by event id
 * so concurrent writers lock in the same order. Returns the sightings inserted.
 */
export function insertEventRelaysCascade(sql: Sql, rows: readonly RelaySighting[], opts?: StoreOpts): Promise<number> {
  const sorted = [...rows].sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
  return sumBatches(sorted, opts, async (b) =>
    count(
      await sql<{ n: number }[]>`SELECT event_relay_insert_cascade(
        ${byteaArray(b.map((r) => r.event.id))}::bytea[], ${byteaArray(b.map((r) => r.event.pubkey))}::bytea[],
        ${intArray(b.map((r) => r.event.created_at))}::bigint[], ${intArray(b.map((r) => r.event.kind))}::int[],
        ${b.map((r) => JSON.stringify(r.event.tags))}::text[]::jsonb[], ${b.map((r) => r.event.content)}::text[],
        ${byteaArray(b.map((r) => r.event.sig))}::bytea[], ${b.map((r) => r.relay.url)}::text[],
        ${b.map((r) => r.relay.network)}::text[], ${intArray(b.map((r) => r.relay.discoveredAt))}::bigint[],
        ${intArray(b.map((r) => r.seenAt))}::bigint[]) AS n`,
    ),
  );
}

/** relay_metadata_insert_cascade: relays, documents and time-series rows. Returns the rows inserted. */
export function insertRelayMetadataCascade(
  sql: Sql,
  rows: readonly RelayMetadata[],
  opts?: StoreOpts,
): Promise<number> {
  return sumBatches(rows, opts, async (b) =>
    count(
      await sql<{ n: number }[]>`SELECT relay_metadata_insert_cascade(${b.map((r) => r.relay.url)}::text[],
        ${b.map((r) => r.relay.network)}::text[], ${intArray(b.map((r) => r.relay.discoveredAt))}::bigint[],
        ${byteaArray(b.map((r) => r.metadata.id))}::bytea[], ${b.map((r) => r.metadata.type)}::text[],
        ${b.map((r) => r.metadata.json)}::text[]::jsonb[], ${intArray(b.map((r) => r.generatedAt))}::bigint[]) AS n`,
    ),
  );
}

/** service_state_upsert: the last value per key wins; the whole value is replaced. */
export function upsertServiceState(sql: Sql, states: readonly ServiceState[], opts?: StoreOpts): Promise<number> {
  return sumBatches(states, opts, async (b) =>
    count(
      await sql<{ n: number }[]>`SELECT service_state_upsert(${b.map((s) => s.serviceName)}::text[],
        ${b.map((s) => s.stateType)}::text[], ${b.map((s) => s.stateKey)}::text[],
        ${b.map((s) => JSON.stringify(s.stateValue))}::text[]::jsonb[]) AS n`,
    ),
  );
}

/** service_state_get: one key, or every key of a service and state type, ordered by key. */
export async function getServiceState(
  sql: Sql,
  serviceName: ServiceName,
  stateType: StateType,
  stateKey?: string,
): Promise<ServiceState[]> {
  const rows = await sql<{ state_key: string; state_value: Record<string, unknown> }[]>`
    SELECT state_key, state_value FROM service_state_get(${serviceName}, ${stateType}, ${stateKey ?? null})`;
  return rows.map((r) => ({ serviceName, stateType, stateKey: r.state_key, stateValue: r.state_value }));
}

/** service_state_delete: remove the given keys. */
export function deleteServiceState(
  sql: Sql,
  keys: readonly Pick<ServiceState, 'serviceName' | 'stateType' | 'stateKey'>[],
  opts?: StoreOpts,
): Promise<number> {
  return sumBatches(keys, opts, async (b) =>
    count(
      await sql<{ n: number }[]>`SELECT service_state_delete(${b.map((k) => k.serviceName)}::text[],
        ${b.map((k) => k.stateType)}::text[], ${b.map((k) => k.stateKey)}::text[]) AS n`,
    ),
  );
}

/** What the archive already holds of some sightings: the stored event ids, and the `id relay` pairs already recorded. */
export interface StoredSightings {
  readonly events: Set<string>;
  readonly sightings: Set<string>;
  /** The signature each stored event was stored with (absent where the deployment keeps none: lilbrotr). */
  readonly sigs: Map<string, string>;
}

/** The key of a sighting in {@link StoredSightings.sightings}. */
export const sightingKey = (eventId: string, relayUrl: string): string => `${eventId} ${relayUrl}`;

/**
 * Which of these sightings' events are stored, and which sightings are already recorded (those need no write at
 * all): one round trip per batch.
 */
export async function findStoredSightings(
  sql: Sql,
  pairs: readonly { readonly eventId: string; readonly relayUrl: string }[],
  opts?: StoreOpts,
): Promise<StoredSightings> {
  const found: StoredSightings = { events: new Set(), sightings: new Set(), sigs: new Map() };
  await sumBatches(pairs, opts, async (b) => {
    // correlated probes per pair (a lateral lookup and an EXISTS): always index probes of the one partition
    // concerned, where a join lets the planner pick a merge join over whole partitions (seen: seq scans and an
    // external sort per batch). Only stored events come back (a first sync gets no rows to parse). The stored
    // signature lets a copy with the same one skip the Schnorr check.
    const rows = await sql<{ id: Buffer; relay_url: string; sig: Buffer | null; sighted: boolean }[]>`
      SELECT x.id, x.relay_url, s.sig,
        EXISTS (SELECT 1 FROM event_relay er WHERE er.event_id = x.id AND er.relay_url = x.relay_url) AS sighted
      FROM unnest(${byteaArray(b.map((p) => p.eventId))}::bytea[], ${b.map((p) => p.relayUrl)}::text[]) AS x(id, relay_url)
      JOIN LATERAL (SELECT e.sig FROM event e WHERE e.id = x.id) s ON true`;
    for (const r of rows) {
      const id = r.id.toString('hex');
      found.events.add(id);
      if (r.sig) found.sigs.set(id, r.sig.toString('hex'));
      if (r.sighted) found.sightings.add(sightingKey(id, r.relay_url));
    }
    return rows.length;
  });
  return found;
}
