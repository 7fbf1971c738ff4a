/** The finder's SQL: relays to scan, pages of archived events per relay, cursors and stale-state cleanup. */

import type { Sql } from '../../core/db/sql.js';
import { getServiceState } from '../../core/db/store.js';
import type { ScannedEvent } from './extract.js';

/** A finder cursor `(finder, cursor, <relay url>) = {timestamp: seen_at, id: event id hex}`. */
export interface EventCursor {
  readonly timestamp: number;
  readonly id: string;
}

/** One `event_relay` row joined with the parts of its event that name relays. */
export interface ScannedRow extends ScannedEvent {
  readonly seenAt: number;
  readonly eventId: string;
}

const HEX_ID = /^[0-9a-f]{64}$/;

/** Every relay URL, in order. */
export async function listRelayUrls(sql: Sql): Promise<string[]> {
  const rows = await sql<{ url: string }[]>`SELECT url FROM relay ORDER BY url`;
  return rows.map((r) => r.url);
}

/** Read a stored cursor value leniently: anything malformed is no cursor (the relay is scanned from the start). */
export function parseCursor(value: Readonly<Record<string, unknown>>): EventCursor | undefined {
  const { timestamp, id } = value;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) return undefined;
  if (typeof id !== 'string' || !HEX_ID.test(id)) return undefined;
  return { timestamp, id };
}

/** Every finder cursor by relay URL (malformed ones left out). */
export async function loadCursors(sql: Sql): Promise<Map<string, EventCursor>> {
  const cursors = new Map<string, EventCursor>();
  for (const s of await getServiceState(sql, 'finder', 'cursor')) {
    const c = parseCursor(s.stateValue);
    if (c) cursors.set(s.stateKey, c);
  }
  return cursors;
}

/** The next `limit` rows seen on `relayUrl` after `cursor`, ordered by `(seen_at, event_id)`. */
export async function scanRelayPage(
  sql: Sql,
  relayUrl: string,
  cursor: EventCursor | undefined,
  limit: number,
): Promise<ScannedRow[]> {
  // why: (-1, empty bytea) sorts before every stored row, so "no cursor" needs no second query shape
  const ts = cursor?.timestamp ?? -1;
  const id = cursor?.id ?? '';
  const rows = await sql<
    {
      seen_at: string | number;
      event_id: Buffer;
      pubkey: Buffer;
      kind: number;
      tags: unknown;
      content: string | null;
    }[]
  >`
    SELECT er.seen_at, er.event_id, e.pubkey, e.kind, e.tags, e.content
    FROM event_relay er JOIN event e ON e.id = er.event_id
    WHERE er.relay_url = ${relayUrl}
      AND (er.seen_at, er.event_id) > (${ts}::bigint, decode(${id}, 'hex'))
    ORDER BY er.seen_at, er.event_id
    LIMIT ${limit}`;
  return rows.map((r) => ({
    seenAt: Number(r.seen_at),
    eventId: r.event_id.toString('hex'),
    pubkey: r.pubkey.toString('hex'),
    kind: r.kind,
    tags: r.tags,
    content: r.content,
  }));
}

/** Delete finder cursors of relays that no longer exist. Returns how many were deleted. */
export async function deleteOrphanCursors(sql: Sql): Promise<number> {
  const res = await sql`
    DELETE FROM service_state s
    WHERE s.service_name = 'finder' AND s.state_type = 'cursor'
      AND NOT EXISTS (SELECT 1 FROM relay r WHERE r.url = s.state_key)`;
  return res.count;
}

/** Delete finder checkpoints of API sources not in `sourceUrls`. Returns how many were deleted. */
export async function deleteStaleCheckpoints(sql: Sql, sourceUrls: readonly string[]): Promise<number> {
  const res = await sql`
    DELETE FROM service_state
    WHERE service_name = 'finder' AND state_type = 'checkpoint'
      AND NOT (state_key = ANY(${sourceUrls as string[]}::text[]))`;
  return res.count;
}
