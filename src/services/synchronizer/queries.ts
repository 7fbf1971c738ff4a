/** The synchronizer's SQL beyond the shared relay leases (tagged templates). */
import type postgres from 'postgres';

type Sql = postgres.Sql | postgres.TransactionSql;

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

/** The events in [since, until] we already hold from `url` (what negentropy reconciles against). */
export async function heldItems(
  sql: Sql,
  url: string,
  since: number,
  until: number,
): Promise<{ timestamp: number; id: string }[]> {
  const rows = await sql<{ created_at: string; id: Buffer }[]>`
    SELECT e.created_at::text, e.id FROM event e
    WHERE e.created_at BETWEEN ${since}::bigint AND ${until}::bigint
      AND EXISTS (SELECT 1 FROM event_relay er WHERE er.event_id = e.id AND er.relay_url = ${url})`;
  return rows.map((r) => ({ timestamp: Number(r.created_at), id: r.id.toString('hex') }));
}
