/** The synchronizer's SQL beyond the shared relay leases (tagged templates). */

import type { Sql } from '../../core/db/sql.js';
import type { HeldSet } from './negentropy.js';

/** The relay's NIP-11 `max_limit` from the monitor's latest stored document, or Infinity when unknown. */
export async function advertisedMaxLimit(sql: Sql, url: string): Promise<number> {
  const rows = await sql<{ max_limit: string | null }[]>`
    SELECT m.data -> 'data' -> 'limitation' ->> 'max_limit' AS max_limit
    FROM relay_metadata rm JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
    WHERE rm.relay_url = ${url} AND rm.metadata_type = 'nip11_info'
    ORDER BY rm.generated_at DESC LIMIT 1`;
  const value = Number(rows[0]?.max_limit ?? Number.NaN);
  return Number.isInteger(value) && value > 0 ? value : Number.POSITIVE_INFINITY;
}

/**
 * The events in [since, until] we already hold from `url`, oldest first (what negentropy reconciles against), in
 * one row: their created_at and their ids end to end (40 bytes an event), instead of a row object, a hex string and
 * a buffer per event. A window's list is kept while it is reconciled in parts.
 */
export async function heldItems(sql: Sql, url: string, since: number, until: number): Promise<HeldSet> {
  const [row] = await sql<{ timestamps: number[]; ids: Buffer }[]>`
    SELECT coalesce(array_agg(e.created_at::float8 ORDER BY e.created_at, e.id), '{}') AS timestamps,
      coalesce(string_agg(e.id, ''::bytea ORDER BY e.created_at, e.id), ''::bytea) AS ids
    FROM event e
    WHERE e.created_at BETWEEN ${since}::bigint AND ${until}::bigint
      AND EXISTS (SELECT 1 FROM event_relay er WHERE er.event_id = e.id AND er.relay_url = ${url})`;
  return row ?? { timestamps: [], ids: Buffer.alloc(0) };
}
